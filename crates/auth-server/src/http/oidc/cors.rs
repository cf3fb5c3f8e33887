//! CORS for browser-based clients: token, userinfo and revocation answer the
//! origins the tenant's clients registered (never `*`, no credentials);
//! discovery and JWKS are public. Never on `authorize` (RFC 9700 §2.6).
use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};

use crate::domain::tenant::Tenant;
use crate::state::AppState;

/// The request's Origin, if an enabled client of the tenant registered it.
pub async fn allowed_origin(
    state: &web::Data<AppState>,
    tenant: &Tenant,
    req: &HttpRequest,
) -> Option<String> {
    let origin = req.headers().get(header::ORIGIN)?.to_str().ok()?;
    match state.oauth.origin_allowed(tenant.id, origin).await {
        Ok(true) => Some(origin.to_owned()),
        Ok(false) => None,
        Err(e) => {
            tracing::warn!(error = %e, "the registered origins could not be read");
            None
        }
    }
}

pub fn add_origin(res: &mut HttpResponse, origin: Option<String>) {
    let headers = res.headers_mut();
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(value) = origin.and_then(|o| HeaderValue::from_str(&o).ok()) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
    }
}

pub fn public(res: &mut HttpResponse) {
    res.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
}

/// Answers a preflight for `path` under the tenant.
pub async fn preflight(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> HttpResponse {
    let Ok(tenant) = super::tenant_of(&state, &slug).await else {
        return HttpResponse::NotFound().finish();
    };
    let public_path = req.path().ends_with("/jwks.json") || req.path().contains("/.well-known/");
    let origin = if public_path {
        Some("*".to_owned())
    } else {
        allowed_origin(&state, &tenant, &req).await
    };
    let mut res = HttpResponse::NoContent()
        .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, OPTIONS"))
        .insert_header((
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            "Authorization, Content-Type",
        ))
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"))
        .finish();
    add_origin(&mut res, origin);
    res
}
