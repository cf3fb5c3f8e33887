//! `/t/{slug}/jwks.json`: the tenant's published keys (next, active, retired).
//! Cached no longer than a `next` key waits before it signs, so a cached copy
//! always holds every key that can have signed a live token.
use actix_web::{web, HttpRequest, HttpResponse};

use super::{cached_document, cors, IssuerTenant};
use crate::error::OAuthError;
use crate::state::AppState;

pub async fn jwks(
    state: web::Data<AppState>,
    req: HttpRequest,
    IssuerTenant(tenant): IssuerTenant,
) -> Result<HttpResponse, OAuthError> {
    let keys = &state.oauth.keys;
    let set = keys
        .published(tenant.id)
        .await
        .map_err(OAuthError::server)?;
    let mut res = cached_document(
        &req,
        set.jwks(),
        set.etag(),
        keys.policy().jwks_max_age_secs,
        "application/jwk-set+json",
    );
    cors::public(&mut res);
    Ok(res)
}
