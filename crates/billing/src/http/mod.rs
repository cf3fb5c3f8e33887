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
