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

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};

use crate::domain::tenant::Tenant;
use crate::error::{OAuthCode, OAuthError};
use crate::state::AppState;

/// The tenant whose endpoint is asked (`{slug}` of the path), for handlers
/// that answer OAuth errors: an unknown or disabled tenant is
/// `invalid_request` before anything else of the request is read.
pub struct IssuerTenant(pub Arc<Tenant>);

impl FromRequest for IssuerTenant {
    type Error = OAuthError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, OAuthError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let slug = req.match_info().get("slug").unwrap_or_default().to_owned();
        Box::pin(async move {
            let state = state.ok_or_else(|| OAuthError::server("state missing"))?;
            tenant_of(&state, &slug).await.map(Self)
        })
    }
}

/// The tenant of the path; unknown and disabled tenants have no endpoints.
pub async fn tenant_of(state: &web::Data<AppState>, slug: &str) -> Result<Arc<Tenant>, OAuthError> {
    match state.directory.active(slug).await {
        Ok(Some(t)) => Ok(t),
        Ok(None) => Err(OAuthError::new(OAuthCode::InvalidRequest, "unknown tenant")),
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
) -> Result<Arc<crate::domain::client::Client>, OAuthError> {
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let who = crate::oauth::client_auth::presented(header, client_id, client_secret)?;
    state.oauth.authenticate(tenant, &who).await
}

/// The form of revocation (RFC 7009 §2.1) and introspection (RFC 7662
/// §2.1): a token and the client's credentials when not in the
/// `Authorization` header. `token_type_hint` is accepted and not read: the
/// server tells refresh tokens from JWTs by their form.
#[derive(serde::Deserialize)]
pub struct TokenQuestion {
    token: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

impl TokenQuestion {
    /// The calling client, authenticated (see [`authenticated_client`]).
    pub async fn client(
        &self,
        state: &web::Data<AppState>,
        req: &actix_web::HttpRequest,
        tenant: &Tenant,
    ) -> Result<Arc<crate::domain::client::Client>, OAuthError> {
        authenticated_client(
            state,
            req,
            tenant,
            self.client_id.as_deref(),
            self.client_secret.as_deref(),
        )
        .await
    }

    /// The token asked about; required.
    pub fn token(&self) -> Result<&str, OAuthError> {
        self.token
            .as_deref()
            .ok_or_else(|| OAuthError::new(OAuthCode::InvalidRequest, "token is required"))
    }
}

/// A public document with its `ETag` and `Cache-Control`; `304 Not
/// Modified` when the request's `If-None-Match` already names that `ETag`.
pub fn cached_document(
    req: &actix_web::HttpRequest,
    body: &[u8],
    etag: &str,
    max_age_secs: i64,
    content_type: &'static str,
) -> actix_web::HttpResponse {
    use actix_web::http::header;
    let known = req
        .headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*");
    let mut res = if known {
        actix_web::HttpResponse::NotModified()
    } else {
        actix_web::HttpResponse::Ok()
    };
    res.insert_header((header::ETAG, etag)).insert_header((
        header::CACHE_CONTROL,
        format!("public, max-age={max_age_secs}"),
    ));
    if known {
        res.finish()
    } else {
        res.content_type(content_type).body(body.to_vec())
    }
}
