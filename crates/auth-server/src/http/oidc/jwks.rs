//! `/t/{slug}/jwks.json`: the tenant's published keys (next, active, retired).
//! Cached no longer than a `next` key waits before it signs, so a cached copy
//! always holds every key that can have signed a live token.
use actix_web::http::header;
use actix_web::{web, HttpResponse};

use super::{cors, tenant_of};
use crate::error::OAuthError;
use crate::state::AppState;

pub async fn jwks(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, OAuthError> {
    let tenant = tenant_of(&state, &slug).await?;
    let keys = &state.oauth.keys;
    keys.ensure_keys(tenant.id, &[])
        .await
        .map_err(OAuthError::server)?;
    let body = keys.jwks(tenant.id).await.map_err(OAuthError::server)?;
    let mut res = HttpResponse::Ok()
        .insert_header((
            header::CACHE_CONTROL,
            format!("public, max-age={}", keys.policy().jwks_max_age_secs),
        ))
        .content_type("application/jwk-set+json")
        .body(body.to_string());
    cors::public(&mut res);
    Ok(res)
}
