//! `POST /t/{slug}/revoke` (RFC 7009): revokes the grant behind a refresh or
//! access token of the calling client. Unknown tokens are not an error.
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::Value;

use super::{authenticated_client, cors, tenant_of};
use crate::error::{OAuthCode, OAuthError};
use crate::oauth::own_jwt::Expiry;
use crate::oauth::tokens::ACCESS_TOKEN_TYP;
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
    let now = state.oauth.now();
    let grant = match state
        .oauth
        .refresh
        .find(tenant.id, &crate::tokens::digest(token))
        .await?
    {
        Some(r) if r.client_id == client.id.as_ref() => Some(r.grant_id),
        Some(_) => None,
        None => match state
            .oauth
            .verify_own(&tenant, token, ACCESS_TOKEN_TYP, Expiry::Ignore)
            .await
        {
            Ok(claims)
                if claims.get("client_id").and_then(Value::as_str) == Some(client.id.as_ref()) =>
            {
                claims.get("gid").and_then(Value::as_str).map(str::to_owned)
            }
            _ => None,
        },
    };
    if let Some(grant) = grant {
        state
            .oauth
            .grants
            .revoke(tenant.id, &grant, "revoked by client", now)
            .await?;
    }
    let mut res = HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish();
    cors::add_origin(&mut res, origin);
    Ok(res)
}
