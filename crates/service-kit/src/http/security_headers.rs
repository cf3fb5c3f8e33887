//! Security headers on every response (DESIGN.md baseline, RFC 9700 §4.16).
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, Error};

use crate::config::HttpSettings;

/// Pages: our own scripts, styles and images only; forms post back to us.
pub const PAGE_CSP: &str =
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";
/// Everything else (JSON): nothing may be loaded or framed.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";
pub const HSTS: &str = "max-age=63072000; includeSubDomains";

pub async fn apply(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let https = req
        .app_data::<web::Data<HttpSettings>>()
        .is_some_and(|s| s.served_over_https());
    // Handlers and extractors turn their errors into responses, and the inner
    // middleware never fails, so `?` only passes on actix's own rare errors.
    let mut res = next.call(req).await?.map_into_boxed_body();
    let headers = res.headers_mut();
    let is_page = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html"));
    let csp = if is_page { PAGE_CSP } else { API_CSP };
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    Ok(res)
}
