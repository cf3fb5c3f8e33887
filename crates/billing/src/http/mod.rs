//! The billing URL table, top to bottom. `/healthz` and `/readyz` come from
//! the shared baseline. Every route here is in the OpenAPI document
//! (`openapi.rs`; `tests/openapi.rs` checks it).
pub mod caller;
pub mod openapi;
pub mod payments;
pub mod plans;
pub mod tenants;
pub mod usage;
pub mod webhooks;

use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;
use actix_web::web;

/// Each path is one resource with all its methods: another method on a
/// known path answers 405 with `Allow`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/webhooks/stripe").post(webhooks::stripe))
        .service(
            web::scope("/v1")
                .wrap(DefaultHeaders::new().add((header::CACHE_CONTROL, "no-store")))
                .service(web::resource("/openapi.json").get(openapi::openapi_json))
                .service(web::resource("/plans").get(plans::list))
                .service(web::resource("/usage").post(usage::report))
                .service(
                    web::scope("/tenants/{tenant_id}")
                        .service(web::resource("/entitlements").get(tenants::entitlements))
                        .service(web::resource("/subscription").get(tenants::subscription))
                        .service(web::resource("/plan").put(tenants::set_plan))
                        .service(web::resource("/usage").get(tenants::usage))
                        .service(
                            web::resource("/account")
                                .get(tenants::account)
                                .put(tenants::set_account),
                        )
                        .service(web::resource("/invoices").get(tenants::invoices))
                        .service(web::resource("/checkout").post(payments::checkout))
                        .service(web::resource("/portal").post(payments::portal)),
                ),
        );
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use service_kit::testing::rust_sources;

    /// Handlers parse, call a use case (`crate::service`) and render; only
    /// the use cases reach the stores, whose handles are their private fields.
    #[test]
    fn no_http_file_names_a_store() {
        service_kit::testing::assert_http_names_no_store(env!("CARGO_MANIFEST_DIR"), 8);
    }

    /// Nor a type the stores declare (a store handle, a row), imported by
    /// another path: what a handler renders is a domain or a use case's type.
    /// The types are read from `src/store`; comments are skipped.
    #[test]
    fn no_http_file_names_a_store_type() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let store_types: BTreeSet<String> = rust_sources(&src.join("store"))
            .iter()
            .flat_map(|path| {
                let text = std::fs::read_to_string(path).expect("readable source");
                text.lines()
                    .filter_map(|line| {
                        let line = line.trim_start();
                        let rest = ["pub struct ", "pub enum ", "pub type ", "pub trait "]
                            .iter()
                            .find_map(|p| line.strip_prefix(p))?;
                        Some(identifiers(rest).next()?.to_owned())
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        assert!(
            store_types.len() >= 6,
            "found only {store_types:?} under src/store"
        );
        let mut offenders = Vec::new();
        for path in rust_sources(&src.join("http")) {
            let text = std::fs::read_to_string(&path).expect("readable source");
            let named: BTreeSet<&str> = text
                .lines()
                .filter(|line| !line.trim_start().starts_with("//"))
                .flat_map(identifiers)
                .filter(|word| store_types.contains(*word))
                .collect();
            if !named.is_empty() {
                offenders.push(format!("{}: {named:?}", path.display()));
            }
        }
        assert!(
            offenders.is_empty(),
            "a store type is named in {offenders:?}"
        );
    }

    fn identifiers(text: &str) -> impl Iterator<Item = &str> {
        text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|word| !word.is_empty())
    }
}
