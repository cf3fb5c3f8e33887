//! The OIDC/OAuth endpoints of each tenant (issuer `{PUBLIC_URL}/t/{slug}`),
//! one file each.
pub mod authorize;
pub mod cors;
pub mod discovery;
pub mod end_session;
pub mod introspect;
pub mod jwks;
pub mod revoke;
pub mod token;
pub mod userinfo;

use actix_web::web;

use crate::domain::tenant::Tenant;
use crate::error::{OAuthCode, OAuthError};
use crate::state::AppState;
use crate::store::StoreError;

/// The tenant of the path; unknown and disabled tenants have no endpoints.
pub async fn tenant_of(state: &web::Data<AppState>, slug: &str) -> Result<Tenant, OAuthError> {
    match state.tenants.get_by_slug(slug).await {
        Ok(t) if !t.is_disabled() => Ok(t),
        Ok(_) | Err(StoreError::TenantNotFound) => {
            Err(OAuthError::new(OAuthCode::InvalidRequest, "unknown tenant"))
        }
        Err(e) => Err(OAuthError::server(e)),
    }
}

/// The client authenticated by the request (Basic header, or id and secret
/// in the form), for token, revocation and introspection.
pub async fn authenticated_client(
    state: &web::Data<AppState>,
    req: &actix_web::HttpRequest,
    tenant: &Tenant,
    client_id: Option<&str>,
    client_secret: Option<&str>,
) -> Result<crate::domain::client::Client, OAuthError> {
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let who = crate::oauth::client_auth::presented(header, client_id, client_secret)?;
    state.oauth.authenticate(tenant, &who).await
}
