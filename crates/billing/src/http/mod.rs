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

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/webhooks/stripe", web::post().to(webhooks::stripe))
        .service(
            web::scope("/v1")
                .wrap(DefaultHeaders::new().add((header::CACHE_CONTROL, "no-store")))
                .route("/openapi.json", web::get().to(openapi::openapi_json))
                .route("/plans", web::get().to(plans::list))
                .route("/usage", web::post().to(usage::report))
                .service(
                    web::scope("/tenants/{tenant_id}")
                        .route("/entitlements", web::get().to(tenants::entitlements))
                        .route("/subscription", web::get().to(tenants::subscription))
                        .route("/plan", web::put().to(tenants::set_plan))
                        .route("/usage", web::get().to(tenants::usage))
                        .route("/account", web::get().to(tenants::account))
                        .route("/account", web::put().to(tenants::set_account))
                        .route("/invoices", web::get().to(tenants::invoices))
                        .route("/checkout", web::post().to(payments::checkout))
                        .route("/portal", web::post().to(payments::portal)),
                ),
        );
}
