//! `POST /t/{slug}/token`: parse, authenticate the client, run the grant.
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::{authenticated_client, cors, IssuerTenant};
use crate::error::{OAuthCode, OAuthError};
use crate::http::pages::client_ip::requester;
use crate::oauth::grants::authorization_code::CodeExchange;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    scope: Option<String>,
    resource: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

fn missing(name: &str) -> OAuthError {
    OAuthError::new(OAuthCode::InvalidRequest, format!("{name} is required"))
}

pub async fn token(
    state: web::Data<AppState>,
    req: HttpRequest,
    IssuerTenant(tenant): IssuerTenant,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, OAuthError> {
    let origin = cors::allowed_origin(&state, &tenant, &req).await;
    let client = authenticated_client(
        &state,
        &req,
        &tenant,
        form.client_id.as_deref(),
        form.client_secret.as_deref(),
    )
    .await?;
    let oauth = &state.oauth;
    // A resource the client may not ask for is refused whatever the grant;
    // codes and refresh tokens keep the resource authorized at `authorize`.
    oauth.check_resource(&tenant, &client, form.resource.as_deref())?;
    let grant = form.grant_type.as_deref().unwrap_or_default();
    let response = match form.grant_type.as_deref() {
        Some("authorization_code") => {
            let code = form.code.as_deref().ok_or_else(|| missing("code"))?;
            let caller = requester(&req, &state.trusted_proxies);
            let exchange = CodeExchange {
                code,
                redirect_uri: form.redirect_uri.as_deref(),
                code_verifier: form.code_verifier.as_deref(),
                caller: &caller,
            };
            oauth.exchange_code(&tenant, &client, exchange).await?
        }
        Some("refresh_token") => {
            let token = form
                .refresh_token
                .as_deref()
                .ok_or_else(|| missing("refresh_token"))?;
            // Who is asking is read only where a reuse may be recorded:
            // client_credentials stays free of it.
            let caller = requester(&req, &state.trusted_proxies);
            oauth
                .refresh(&tenant, &client, token, form.scope.as_deref(), &caller)
                .await?
        }
        Some("client_credentials") => {
            oauth
                .client_credentials(
                    &tenant,
                    &client,
                    form.scope.as_deref(),
                    form.resource.as_deref(),
                )
                .await?
        }
        Some(_) => {
            return Err(OAuthError::new(
                OAuthCode::UnsupportedGrantType,
                "supported: authorization_code, refresh_token, client_credentials",
            ))
        }
        None => return Err(missing("grant_type")),
    };
    if service_kit::metrics::enabled() {
        metrics::counter!(
            "connectauth_tokens_issued_total",
            "grant" => grant.to_owned(),
            "tenant" => tenant.slug.to_string()
        )
        .increment(1);
    }
    let mut res = HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(response);
    cors::add_origin(&mut res, origin);
    Ok(res)
}
