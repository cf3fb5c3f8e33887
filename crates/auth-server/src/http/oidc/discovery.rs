//! `/.well-known/openid-configuration` (OIDC Discovery) and RFC 8414 metadata.
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde_json::json;

use super::{cors, tenant_of};
use crate::error::OAuthError;
use crate::keys::signing::SigningAlg;
use crate::state::AppState;

pub async fn metadata(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, OAuthError> {
    let tenant = tenant_of(&state, &slug).await?;
    let issuer = state.oauth.issuer(&tenant);
    // Only algorithms whose key the JWKS publishes; RS256 is always one.
    let id_token_algs: Vec<&str> = state
        .oauth
        .keys
        .signing_algs(tenant.id)
        .await
        .map_err(OAuthError::server)?
        .into_iter()
        .map(SigningAlg::as_str)
        .collect();
    let body = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "jwks_uri": format!("{issuer}/jwks.json"),
        "revocation_endpoint": format!("{issuer}/revoke"),
        "introspection_endpoint": format!("{issuer}/introspect"),
        "end_session_endpoint": format!("{issuer}/end_session"),
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": id_token_algs,
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "at_hash",
                              "name", "preferred_username", "updated_at", "email", "email_verified"],
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "ui_locales_supported": ["en", "fr"],
        "authorization_response_iss_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "claims_parameter_supported": false,
    });
    let mut res = HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .json(body);
    cors::public(&mut res);
    Ok(res)
}
