//! `POST /t/{slug}/revoke` (RFC 7009): revokes a refresh or access token of
//! the calling client (`OAuth::revoke_token`). Unknown tokens are not an error.
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::{authenticated_client, cors, tenant_of};
use crate::error::{OAuthCode, OAuthError};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct RevokeForm {
    token: Option<String>,
    #[allow(dead_code)]
    token_type_hint: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

pub async fn revoke(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    form: web::Form<RevokeForm>,
) -> Result<HttpResponse, OAuthError> {
    let tenant = tenant_of(&state, &slug).await?;
    let origin = cors::allowed_origin(&state, &tenant, &req).await;
    let client = authenticated_client(
        &state,
        &req,
        &tenant,
        form.client_id.as_deref(),
        form.client_secret.as_deref(),
    )
    .await?;
    let token = form
        .token
        .as_deref()
        .ok_or_else(|| OAuthError::new(OAuthCode::InvalidRequest, "token is required"))?;
    state.oauth.revoke_token(&tenant, &client, token).await?;
    let mut res = HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish();
    cors::add_origin(&mut res, origin);
    Ok(res)
}
