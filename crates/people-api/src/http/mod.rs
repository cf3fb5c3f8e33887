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
/// (development only; its `CallbackPage` is app data then). Each path is one
/// resource with all its methods: another method answers 405 with `Allow`.
pub fn configure(cfg: &mut web::ServiceConfig, demo_callback: bool) {
    if demo_callback {
        cfg.service(web::resource(crate::demo::CALLBACK_PATH).get(callback::show_callback));
        cfg.service(web::resource("/callback.css").get(callback::stylesheet));
    }
    cfg.service(
        web::scope("/v1")
            // Personal data: no shared or browser cache keeps it.
            .wrap(DefaultHeaders::new().add((header::CACHE_CONTROL, "no-store")))
            .service(web::resource("/me").get(me::get_me).put(me::put_me))
            .service(web::resource("/people/{id}").get(people::get_person))
            .service(
                web::resource("/connections")
                    .post(connections::request_connection)
                    .get(connections::list_connections),
            )
            .service(
                web::resource("/connections/{id}")
                    .get(connections::get_connection)
                    .delete(connections::delete_connection),
            )
            .service(web::resource("/connections/{id}/accept").post(connections::accept_connection))
            .service(
                web::resource("/connections/{id}/decline").post(connections::decline_connection),
            ),
    );
}

#[cfg(test)]
mod tests {
    /// Handlers parse, call a use case (`crate::service`) and render; only
    /// the use cases reach the stores, whose handles are their private fields.
    #[test]
    fn no_http_file_names_a_store() {
        service_kit::testing::assert_http_names_no_store(env!("CARGO_MANIFEST_DIR"), 7);
    }
}
