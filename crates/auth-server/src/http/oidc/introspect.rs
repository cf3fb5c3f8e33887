//! `POST /t/{slug}/introspect` (RFC 7662), for the tenant's confidential
//! clients: whether a token is live, and what it says. A client sees only
//! the tokens issued to it and those whose `aud` names its client id (it is
//! their resource server), unless it holds the `introspect:any` privilege;
//! any other token answers `{"active": false}` (RFC 7662 §4).
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::{authenticated_client, tenant_of};
use crate::domain::client::ClientKind;
use crate::error::{Challenge, OAuthCode, OAuthError};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct IntrospectForm {
    token: Option<String>,
    #[allow(dead_code)]
    token_type_hint: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

pub async fn introspect(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    form: web::Form<IntrospectForm>,
) -> Result<HttpResponse, OAuthError> {
    let tenant = tenant_of(&state, &slug).await?;
    let client = authenticated_client(
        &state,
        &req,
        &tenant,
        form.client_id.as_deref(),
        form.client_secret.as_deref(),
    )
    .await?;
    if client.kind != ClientKind::Confidential {
        return Err(OAuthError::new(
            OAuthCode::InvalidClient,
            "introspection is for confidential clients",
        )
        .with_challenge(Challenge::Basic));
    }
    let token = form
        .token
        .as_deref()
        .ok_or_else(|| OAuthError::new(OAuthCode::InvalidRequest, "token is required"))?;
    let body = state.oauth.introspect(&tenant, &client, token).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body))
}
