//! `GET|POST /t/{slug}/userinfo` (OIDC Core §5.3): the user's claims by the
//! scopes of a live access token whose audience includes this endpoint.
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::Value;

use super::{bearer, cors, tenant_of};
use crate::domain::scope::ScopeSet;
use crate::domain::user::UserId;
use crate::error::{Challenge, OAuthCode, OAuthError};
use crate::oauth::own_jwt::Expiry;
use crate::oauth::tokens::{user_claims, ACCESS_TOKEN_TYP};
use crate::state::AppState;

#[derive(Deserialize, Default)]
pub struct BodyToken {
    access_token: Option<String>,
}

fn invalid(description: &str) -> OAuthError {
    OAuthError::new(OAuthCode::InvalidToken, description).with_challenge(Challenge::Bearer)
}

pub async fn userinfo_get(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, OAuthError> {
    userinfo(state, req, slug.into_inner(), None).await
}

pub async fn userinfo_post(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    form: web::Form<BodyToken>,
) -> Result<HttpResponse, OAuthError> {
    userinfo(
        state,
        req,
        slug.into_inner(),
        form.into_inner().access_token,
    )
    .await
}

async fn userinfo(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: String,
    body_token: Option<String>,
) -> Result<HttpResponse, OAuthError> {
    let tenant = tenant_of(&state, &slug).await?;
    let origin = cors::allowed_origin(&state, &tenant, &req).await;
    let token = bearer(&req).or(body_token).ok_or_else(|| {
        OAuthError::new(
            OAuthCode::InvalidRequest,
            "send the access token as a Bearer token",
        )
        .with_challenge(Challenge::Bearer)
    })?;
    let claims = state
        .oauth
        .verify_own(&tenant, &token, ACCESS_TOKEN_TYP, Expiry::Enforce)
        .await
        .map_err(|e| invalid(&e.to_string()))?;
    let userinfo_aud = format!("{}/userinfo", state.oauth.issuer(&tenant));
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => *a == userinfo_aud,
        Some(Value::Array(list)) => list
            .iter()
            .any(|a| a.as_str() == Some(userinfo_aud.as_str())),
        _ => false,
    };
    if !aud_ok {
        return Err(OAuthError::new(
            OAuthCode::InsufficientScope,
            "the token was not issued for userinfo (openid scope)",
        )
        .with_challenge(Challenge::Bearer));
    }
    let grant = claims
        .get("gid")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !state.oauth.grants.is_live(tenant.id, grant).await? {
        return Err(invalid("the token was revoked"));
    }
    let scope = ScopeSet::parse(
        claims
            .get("scope")
            .and_then(Value::as_str)
            .unwrap_or_default(),
    )
    .map_err(|_| invalid("bad scope claim"))?;
    let user_id = claims
        .get("sub")
        .and_then(Value::as_str)
        .and_then(UserId::parse)
        .ok_or_else(|| invalid("the token is not about a user"))?;
    let user = match state.oauth.users.get(tenant.id, user_id).await {
        Ok(u) if !u.is_disabled() => u,
        _ => return Err(invalid("the user is gone")),
    };
    let mut body = user_claims(&user, &scope);
    body.insert("sub".into(), Value::String(user.id.to_string()));
    let mut res = HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(body);
    cors::add_origin(&mut res, origin);
    Ok(res)
}
