//! The stylesheet, each tenant's colours (served as CSS so the strict CSP
//! needs no inline styles) and the passkey script.
use actix_web::http::header;
use actix_web::{web, HttpResponse};

use super::render::{PASSKEYS_SCRIPT, STYLESHEET};
use crate::domain::branding::Branding;
use crate::state::AppState;

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(STYLESHEET)
}

/// The passkey ceremonies of the login and account pages (a file, so the
/// CSP needs no inline script).
pub async fn passkeys_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(PASSKEYS_SCRIPT)
}

pub async fn tenant_theme(state: web::Data<AppState>, slug: web::Path<String>) -> HttpResponse {
    // `#rgb` or `#rrggbb`, nothing else reaches the stylesheet.
    let brand = match state.directory.by_slug(&slug).await {
        Ok(t) => Branding::of(&t.settings).brand_color().map(str::to_owned),
        Err(_) => None,
    };
    let body = brand.map_or_else(String::new, |c| format!(":root {{ --brand: {c}; }}\n"));
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(body)
}
