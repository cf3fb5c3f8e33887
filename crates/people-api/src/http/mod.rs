//! The Connect People URL table, top to bottom. `/healthz` and `/readyz`
//! come from the shared baseline.
pub mod callback;
pub mod caller;
pub mod connections;
pub mod me;
pub mod people;
pub mod views;

use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;
use actix_web::web;

/// `demo_callback`: serve the page of the `connectauth dev` demo client
/// (development only; its `DemoCallback` is app data then).
pub fn configure(cfg: &mut web::ServiceConfig, demo_callback: bool) {
    if demo_callback {
        cfg.route(
            crate::demo::CALLBACK_PATH,
            web::get().to(callback::show_callback),
        );
        cfg.route("/callback.css", web::get().to(callback::stylesheet));
    }
    cfg.service(
        web::scope("/v1")
            // Personal data: no shared or browser cache keeps it.
            .wrap(DefaultHeaders::new().add((header::CACHE_CONTROL, "no-store")))
            .route("/me", web::get().to(me::get_me))
            .route("/me", web::put().to(me::put_me))
            .route("/people/{id}", web::get().to(people::get_person))
            .route(
                "/connections",
                web::post().to(connections::request_connection),
            )
            .route("/connections", web::get().to(connections::list_connections))
            .route(
                "/connections/{id}",
                web::get().to(connections::get_connection),
            )
            .route(
                "/connections/{id}",
                web::delete().to(connections::delete_connection),
            )
            .route(
                "/connections/{id}/accept",
                web::post().to(connections::accept_connection),
            )
            .route(
                "/connections/{id}/decline",
                web::post().to(connections::decline_connection),
            ),
    );
}
