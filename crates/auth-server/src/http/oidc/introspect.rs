//! `POST /t/{slug}/introspect` (RFC 7662), for the tenant's confidential
//! clients: whether a token is live, and what it says. A client sees only
//! the tokens issued to it and those whose `aud` names its client id (it is
//! their resource server), unless it holds the `introspect:any` privilege;
//! any other token answers `{"active": false}` (RFC 7662 §4).
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{authenticated_client, tenant_of};
use crate::domain::client::ClientKind;
use crate::error::{Challenge, OAuthCode, OAuthError};
use crate::oauth::own_jwt::Expiry;
use crate::oauth::tokens::ACCESS_TOKEN_TYP;
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
    let oauth = &state.oauth;
    let now = oauth.now();
    let inactive = json!({ "active": false });
    let body = if let Some(r) = oauth
        .refresh
        .find(tenant.id, &crate::tokens::digest(token))
        .await?
    {
        // A refresh token is for the authorization server only: no audience.
        let live = client.may_introspect(&r.client_id, &[])
            && r.used_at.is_none()
            && now < r.family_expires_at
            && now < r.idle_expires_at
            && oauth.grants.is_live(tenant.id, &r.grant_id).await?;
        if live {
            json!({ "active": true, "token_type": "refresh_token", "client_id": r.client_id, "sub": r.user_id,
                    "scope": r.scope, "exp": r.idle_expires_at.min(r.family_expires_at), "iat": r.created_at,
                    "iss": oauth.issuer(&tenant) })
        } else {
            inactive
        }
    } else {
        match oauth
            .verify_own(&tenant, token, ACCESS_TOKEN_TYP, Expiry::Enforce)
            .await
        {
            Ok(mut claims) => {
                let grant = claims
                    .get("gid")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let issued_to = claims
                    .get("client_id")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let audiences: Vec<&str> = match claims.get("aud") {
                    Some(Value::String(one)) => vec![one.as_str()],
                    Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
                    _ => Vec::new(),
                };
                if client.may_introspect(issued_to, &audiences)
                    && oauth.grants.is_live(tenant.id, &grant).await?
                {
                    claims.insert("active".into(), json!(true));
                    claims.insert("token_type".into(), json!("Bearer"));
                    Value::Object(claims)
                } else {
                    inactive
                }
            }
            Err(_) => inactive,
        }
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body))
}
