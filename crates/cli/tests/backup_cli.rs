//! `connectauth backup` and `connectauth restore` against real databases:
//! what was there at the backup comes back, tokens issued before it still
//! verify against the restored server's JWKS, and every bad file or target
//! is refused with the database left as it was.
#[path = "backup_cli/auth_database.rs"]
mod auth_database;
#[path = "backup_cli/bad_backups.rs"]
mod bad_backups;
#[path = "backup_cli/billing_database.rs"]
mod billing_database;
mod common;
#[path = "backup_cli/older_release.rs"]
mod older_release;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{run, stderr, stdout};

fn ok(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {}{}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

/// The backup file `connectauth backup` wrote.
fn written(out: &str) -> PathBuf {
    PathBuf::from(
        out.lines()
            .find_map(|l| l.strip_prefix("wrote "))
            .unwrap_or_else(|| panic!("no `wrote` line in {out}")),
    )
}

/// `connectauth restore <service> --from <file> --yes`, off the test's
/// runtime thread: a pool the test closed lets go of its SQLite connections
/// through tasks of this runtime, which a blocking wait would hold up past
/// the restore's own wait for connections to let go.
async fn restore(dir: &Path, service: &str, from: &str, env: &[(&str, &str)]) -> Output {
    let (dir, service, from) = (dir.to_owned(), service.to_owned(), from.to_owned());
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        run(&dir, &["restore", &service, "--from", &from, "--yes"], &env)
    })
    .await
    .expect("restore ran")
}
