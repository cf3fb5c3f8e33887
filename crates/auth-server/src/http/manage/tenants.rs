//! `/manage/v1/tenants`: create, read, list, update, disable.
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use service_kit::{ApiError, Code};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::domain::page::PageRequest;
use crate::domain::tenant::{
    DisplayName, NewTenant, Tenant, TenantId, TenantSettings, TenantSlug, TenantUpdate,
};
use crate::http::extract::Operator;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateTenantBody {
    slug: String,
    display_name: String,
    #[serde(default)]
    settings: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateTenantBody {
    display_name: Option<String>,
    settings: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    limit: Option<u32>,
    after: Option<String>,
}

#[derive(Serialize)]
pub struct TenantView {
    id: String,
    slug: String,
    display_name: String,
    settings: Map<String, Value>,
    status: &'static str,
    created_at: String,
    updated_at: String,
    disabled_at: Option<String>,
}

#[derive(Serialize)]
pub struct TenantList {
    items: Vec<TenantView>,
    next_after: Option<String>,
}

pub(crate) fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

impl From<Tenant> for TenantView {
    fn from(t: Tenant) -> Self {
        Self {
            id: t.id.to_string(),
            status: if t.is_disabled() {
                "disabled"
            } else {
                "active"
            },
            slug: t.slug.to_string(),
            display_name: t.display_name.as_ref().to_owned(),
            settings: t.settings.as_map().clone(),
            created_at: rfc3339(t.created_at),
            updated_at: rfc3339(t.updated_at),
            disabled_at: t.disabled_at.map(rfc3339),
        }
    }
}

pub async fn create_tenant(
    _: Operator,
    state: web::Data<AppState>,
    body: web::Json<CreateTenantBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let new = NewTenant {
        slug: TenantSlug::parse(&body.slug)?,
        display_name: DisplayName::parse(&body.display_name)?,
        settings: TenantSettings::parse(
            body.settings.unwrap_or_else(|| Value::Object(Map::new())),
        )?,
    };
    let tenant = state.tenants.create(new).await?;
    tracing::info!(tenant_id = %tenant.id, slug = %tenant.slug, "tenant created");
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/manage/v1/tenants/{}", tenant.id),
        ))
        .json(TenantView::from(tenant)))
}

pub async fn list_tenants(
    _: Operator,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let page = PageRequest::parse(query.limit, query.after)
        .map_err(|e| ApiError::new(Code::InvalidInput, e.to_string()))?;
    let page = state.tenants.list(&page).await?;
    Ok(HttpResponse::Ok().json(TenantList {
        items: page.items.into_iter().map(TenantView::from).collect(),
        next_after: page.next_after,
    }))
}

pub async fn get_tenant(
    _: Operator,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    Ok(HttpResponse::Ok().json(TenantView::from(state.tenants.get(id).await?)))
}

pub async fn get_tenant_by_slug(
    _: Operator,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let tenant = state.tenants.get_by_slug(&slug).await?;
    Ok(HttpResponse::Ok().json(TenantView::from(tenant)))
}

pub async fn update_tenant(
    _: Operator,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<UpdateTenantBody>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    let body = body.into_inner();
    let update = TenantUpdate {
        display_name: body
            .display_name
            .as_deref()
            .map(DisplayName::parse)
            .transpose()?,
        settings: body.settings.map(TenantSettings::parse).transpose()?,
    };
    let tenant = state.tenants.update(id, update).await?;
    tracing::info!(tenant_id = %tenant.id, "tenant updated");
    Ok(HttpResponse::Ok().json(TenantView::from(tenant)))
}

pub async fn disable_tenant(
    _: Operator,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    let tenant = state.tenants.disable(id).await?;
    tracing::info!(tenant_id = %tenant.id, "tenant disabled");
    Ok(HttpResponse::Ok().json(TenantView::from(tenant)))
}

/// An unknown id shape is simply a tenant that does not exist.
fn parse_id(text: &str) -> Result<TenantId, ApiError> {
    TenantId::parse(text).map_err(|_| ApiError::new(Code::TenantNotFound, "no such tenant"))
}
