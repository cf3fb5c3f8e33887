//! The auth server's URL table, top to bottom. `/healthz` and `/readyz` come
//! from the shared baseline.
pub mod extract;
pub mod manage;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/manage/v1")
            .route("/tenants", web::post().to(manage::tenants::create_tenant))
            .route("/tenants", web::get().to(manage::tenants::list_tenants))
            .route(
                "/tenants/by-slug/{slug}",
                web::get().to(manage::tenants::get_tenant_by_slug),
            )
            .route("/tenants/{id}", web::get().to(manage::tenants::get_tenant))
            .route(
                "/tenants/{id}",
                web::patch().to(manage::tenants::update_tenant),
            )
            .route(
                "/tenants/{id}/disable",
                web::post().to(manage::tenants::disable_tenant),
            ),
    );
}
