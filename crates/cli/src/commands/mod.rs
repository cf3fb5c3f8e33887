//! One module per top-level command.
pub mod backup;
pub mod billing;
pub mod blocks;
pub mod client;
pub mod demo;
pub mod dev;
pub mod keys;
pub mod migrate;
pub mod owners;
mod refused;
pub mod report;
pub mod secrets;
pub mod serve;
pub mod tenant;
pub mod upstream;
pub mod webhooks;
mod when;

#[cfg(test)]
mod tests {
    use std::path::Path;

    use service_kit::testing::files_naming;

    /// Files allowed to name a store, each with the reason it cannot go
    /// through a use case yet. Empty is the goal.
    const EXCEPTIONS: [(&str, &str); 0] = [];

    /// Commands parse, call a use case (the auth server's `manage`, billing's
    /// `service`) and print: the CLI, the console and the management API then
    /// do the same thing for the same operation. Whitespace is dropped first
    /// so a grouped import or a path split over lines is seen too.
    #[test]
    fn no_cli_file_names_a_store() {
        // Spelt in halves so this file does not name what it looks for.
        let needles = [
            concat!("auth_server::", "store"),
            concat!("billing::", "store"),
            concat!("store", "::"),
        ];
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let offenders: Vec<String> = files_naming(&root, &needles, 11)
            .into_iter()
            .filter(|path| !EXCEPTIONS.iter().any(|(file, _)| path.ends_with(file)))
            .collect();
        assert!(offenders.is_empty(), "a store is named in {offenders:?}");
    }
}
