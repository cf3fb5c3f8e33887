//! `/.well-known/openid-configuration` (OIDC Discovery) and RFC 8414 metadata.
use actix_web::{web, HttpRequest, HttpResponse};

use super::{cached_document, cors, IssuerTenant};
use crate::error::OAuthError;
use crate::state::AppState;

/// How long clients may cache the document.
const MAX_AGE_SECS: i64 = 3600;

pub async fn metadata(
    state: web::Data<AppState>,
    req: HttpRequest,
    IssuerTenant(tenant): IssuerTenant,
) -> Result<HttpResponse, OAuthError> {
    let doc = state
        .oauth
        .discovery(&tenant)
        .await
        .map_err(OAuthError::server)?;
    let mut res = cached_document(&req, &doc.body, &doc.etag, MAX_AGE_SECS, "application/json");
    cors::public(&mut res);
    Ok(res)
}
