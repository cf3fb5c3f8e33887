//! `/manage/v1/tenants/{id}/users` and `/events`: what an operator needs to
//! look after a tenant's end users (ASVS 7.4.2, 7.4.5: disabling a user or
//! ending their sessions takes effect at once).
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use service_kit::{ApiError, Code};

use super::tenants::rfc3339;
use crate::domain::page::PageRequest;
use crate::domain::tenant::TenantId;
use crate::domain::user::{User, UserId};
use crate::http::extract::Operator;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    limit: Option<u32>,
    after: Option<String>,
}

#[derive(Serialize)]
pub struct UserView {
    id: String,
    email: String,
    username: Option<String>,
    display_name: String,
    email_verified: bool,
    mfa_enabled: bool,
    status: &'static str,
    metadata: serde_json::Map<String, serde_json::Value>,
    created_at: String,
    last_login_at: Option<String>,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        Self {
            id: u.id.to_string(),
            email: u.email.address().to_owned(),
            username: u.username.as_ref().map(|n| n.as_ref().to_owned()),
            display_name: u.display_name.as_ref().to_owned(),
            email_verified: u.email_verified_at.is_some(),
            mfa_enabled: u.mfa_enabled(),
            status: if u.is_disabled() {
                "disabled"
            } else {
                "active"
            },
            metadata: u.metadata.as_map().clone(),
            created_at: rfc3339(u.created_at),
            last_login_at: u.last_login_at.map(rfc3339),
        }
    }
}

#[derive(Serialize)]
pub struct EventView {
    kind: String,
    outcome: String,
    user_id: Option<String>,
    ip: String,
    user_agent: String,
    detail: String,
    at: String,
}

fn ids(path: &(String, String)) -> Result<(TenantId, UserId), ApiError> {
    let tenant = TenantId::parse(&path.0)
        .map_err(|_| ApiError::new(Code::TenantNotFound, "no such tenant"))?;
    let user =
        UserId::parse(&path.1).ok_or_else(|| ApiError::new(Code::NotFound, "no such user"))?;
    Ok((tenant, user))
}

async fn existing_tenant(state: &AppState, id: &str) -> Result<TenantId, ApiError> {
    let id =
        TenantId::parse(id).map_err(|_| ApiError::new(Code::TenantNotFound, "no such tenant"))?;
    Ok(state.tenants.get(id).await?.id)
}

pub async fn list_users(
    _: Operator,
    state: web::Data<AppState>,
    tenant: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let tenant = existing_tenant(&state, &tenant).await?;
    let query = query.into_inner();
    let page = PageRequest::parse(query.limit, query.after)
        .map_err(|e| ApiError::new(Code::InvalidInput, e.to_string()))?;
    let page = state.identity.users.list(tenant, &page).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "items": page.items.into_iter().map(UserView::from).collect::<Vec<_>>(),
        "next_after": page.next_after,
    })))
}

pub async fn get_user(
    _: Operator,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (tenant, user) = ids(&path)?;
    Ok(HttpResponse::Ok().json(UserView::from(
        state.identity.users.get(tenant, user).await?,
    )))
}

pub async fn disable_user(
    _: Operator,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (tenant, user) = ids(&path)?;
    state
        .identity
        .users
        .disable(tenant, user, crate::store::now())
        .await?;
    let ended = state
        .identity
        .sessions
        .delete_all_for_user(tenant, user)
        .await?;
    state
        .identity
        .grants
        .revoke_for_user(
            tenant,
            &user.to_string(),
            "user disabled",
            crate::store::now(),
        )
        .await?;
    tracing::info!(tenant_id = %tenant, user_id = %user, ended, "user disabled by operator");
    Ok(HttpResponse::Ok().json(UserView::from(
        state.identity.users.get(tenant, user).await?,
    )))
}

pub async fn end_user_sessions(
    _: Operator,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (tenant, user) = ids(&path)?;
    state.identity.users.get(tenant, user).await?;
    let ended = state
        .identity
        .sessions
        .delete_all_for_user(tenant, user)
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "ended": ended })))
}

pub async fn list_events(
    _: Operator,
    state: web::Data<AppState>,
    tenant: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let tenant = existing_tenant(&state, &tenant).await?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) || query.after.is_some() {
        return Err(ApiError::new(
            Code::InvalidInput,
            "limit must be between 1 and 500; `after` is not supported here",
        ));
    }
    let events = state
        .identity
        .audit
        .recent(tenant, i64::from(limit))
        .await?;
    let items: Vec<EventView> = events
        .into_iter()
        .map(|e| EventView {
            kind: e.kind,
            outcome: e.outcome,
            user_id: e.user_id,
            ip: e.ip,
            user_agent: e.user_agent,
            detail: e.detail,
            at: rfc3339(e.created_at),
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}
