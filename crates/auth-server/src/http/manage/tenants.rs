//! `/manage/v1/tenants`: create, read, list, update, change settings, disable.
use actix_web::http::header;
use actix_web::web::{self, Json};
use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use service_kit::http::json_object::JsonObject;
use service_kit::ApiError;
use std::borrow::Cow;
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::RefOr;
use utoipa::ToSchema;

use super::list_query::ListQuery;
use super::paths::TenantPath;
use crate::domain::api_credential::ManageScope;
use crate::domain::tenant::{
    DisplayName, NewTenant, Tenant, TenantSettings, TenantSlug, TenantUpdate,
};
use crate::domain::tenant_settings::{
    Setting, SettingKind, ALLOWLIST_MAX, AUDIENCE_MAX, SETTINGS, SETTINGS_MAX_BYTES,
    SIGNUP_DOMAINS_MAX,
};
use crate::http::extract::ManageCaller;
use crate::http::manage::openapi::{
    ChangeCollided, Conflict, Forbidden, Invalid, JsonBody, Read, Unauthorized,
};
use crate::state::AppState;

/// A new tenant.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTenantBody {
    /// The tenant's name in URLs (`/t/{slug}/…`): 3 to 40 lowercase ASCII
    /// letters, digits and `-`, not at either end. Unique; never changes.
    #[schema(example = "acme")]
    slug: String,
    /// The name shown to people: 1 to 100 characters, no control characters.
    #[schema(example = "Acme")]
    display_name: String,
    /// The tenant's settings; none when absent.
    #[serde(default)]
    #[schema(value_type = Option<SettingsSchema>)]
    settings: Option<Value>,
}

/// What to change; absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTenantBody {
    /// The name shown to people: 1 to 100 characters, no control characters.
    display_name: Option<String>,
    /// Replaces the settings as a whole (to change some, use
    /// `PATCH /manage/v1/tenants/{id}/settings`).
    #[schema(value_type = Option<SettingsSchema>)]
    settings: Option<Value>,
}

/// `active` or `disabled`: the state of a tenant, user or client.
#[derive(Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Active,
    Disabled,
}

impl Status {
    pub(crate) fn of(disabled: bool) -> Self {
        if disabled {
            Self::Disabled
        } else {
            Self::Active
        }
    }
}

/// A tenant.
#[derive(Serialize, ToSchema)]
pub struct TenantView {
    /// The tenant's id (a UUID).
    #[schema(example = "0b0f6c52-8f0e-4d5c-9a47-2f3d3c1e9a10")]
    id: String,
    #[schema(example = "acme")]
    slug: String,
    #[schema(example = "Acme")]
    display_name: String,
    /// The tenant's settings.
    #[schema(value_type = SettingsSchema)]
    settings: Map<String, Value>,
    status: Status,
    /// When the tenant was created.
    #[schema(format = DateTime)]
    created_at: String,
    /// When its name, settings or status last changed.
    #[schema(format = DateTime)]
    updated_at: String,
    /// When it was disabled; `null` while it is active.
    #[schema(format = DateTime)]
    disabled_at: Option<String>,
}

service_kit::page_of! {
    /// One page of tenants, in slug order.
    pub TenantList of TenantView
}

pub(crate) use service_kit::clock::rfc3339;

impl From<Tenant> for TenantView {
    fn from(t: Tenant) -> Self {
        Self {
            id: t.id.to_string(),
            status: Status::of(t.is_disabled()),
            slug: t.slug.to_string(),
            display_name: t.display_name.as_ref().to_owned(),
            settings: t.settings.as_map().clone(),
            created_at: rfc3339(t.created_at),
            updated_at: rfc3339(t.updated_at),
            disabled_at: t.disabled_at.map(rfc3339),
        }
    }
}

/// Create a tenant
#[utoipa::path(
    post,
    path = "/manage/v1/tenants",
    tag = "tenants",
    request_body = CreateTenantBody,
    responses(
        (status = 201, description = "The tenant was created.", body = TenantView,
         headers(("Location" = String, description = "`/manage/v1/tenants/{id}`"))),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        JsonBody, Invalid,
    ),
)]
pub async fn create_tenant(
    caller: ManageCaller,
    state: web::Data<AppState>,
    body: JsonObject<CreateTenantBody>,
) -> Result<HttpResponse, ApiError> {
    caller.operator_only()?;
    let body = body.into_inner();
    let new = NewTenant {
        slug: TenantSlug::parse(&body.slug)?,
        display_name: DisplayName::parse_exact(&body.display_name)?,
        settings: body
            .settings
            .map(TenantSettings::parse)
            .transpose()?
            .unwrap_or_default(),
    };
    let tenant = state.manage.tenants.create(new).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/manage/v1/tenants/{}", tenant.id),
        ))
        .json(TenantView::from(tenant)))
}

/// List tenants
#[utoipa::path(
    get,
    path = "/manage/v1/tenants",
    tag = "tenants",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of tenants, in slug order.", body = TenantList),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        Invalid,
    ),
)]
pub async fn list_tenants(
    caller: ManageCaller,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<Json<TenantList>, ApiError> {
    caller.operator_only()?;
    let page = state.manage.tenants.list(&query.page()?).await?;
    Ok(Json(TenantList::of(page, TenantView::from)))
}

/// Get a tenant
#[utoipa::path(
    get,
    path = "/manage/v1/tenants/{id}",
    tag = "tenants",
    params(TenantPath),
    responses(
        (status = 200, description = "The tenant.", body = TenantView),
        Read,
    ),
)]
pub async fn get_tenant(
    caller: ManageCaller,
    TenantPath { tenant }: TenantPath,
) -> Result<Json<TenantView>, ApiError> {
    caller.may(tenant.id, ManageScope::Read)?;
    Ok(Json(TenantView::from(tenant)))
}

/// Get a tenant by slug
#[utoipa::path(
    get,
    path = "/manage/v1/tenants/by-slug/{slug}",
    tag = "tenants",
    params(("slug" = String, Path, description = "The tenant's slug.", example = "acme")),
    responses(
        (status = 200, description = "The tenant.", body = TenantView),
        Read,
    ),
)]
pub async fn get_tenant_by_slug(
    caller: ManageCaller,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<Json<TenantView>, ApiError> {
    caller.operator_only()?;
    let tenant = state.manage.tenants.get_by_slug(&slug).await?;
    Ok(Json(TenantView::from(tenant)))
}

/// Update a tenant
///
/// Changes the display name and/or replaces the settings; the slug never changes.
#[utoipa::path(
    patch,
    path = "/manage/v1/tenants/{id}",
    tag = "tenants",
    params(TenantPath),
    request_body = UpdateTenantBody,
    responses(
        (status = 200, description = "The updated tenant.", body = TenantView),
        Read, JsonBody, Invalid,
    ),
)]
pub async fn update_tenant(
    caller: ManageCaller,
    state: web::Data<AppState>,
    TenantPath { tenant }: TenantPath,
    body: JsonObject<UpdateTenantBody>,
) -> Result<Json<TenantView>, ApiError> {
    caller.may(tenant.id, ManageScope::Write)?;
    let body = body.into_inner();
    let update = TenantUpdate {
        display_name: body
            .display_name
            .as_deref()
            .map(DisplayName::parse_exact)
            .transpose()?,
        settings: body.settings.map(TenantSettings::parse).transpose()?,
    };
    let tenant = state.manage.tenants.update(tenant.id, update).await?;
    Ok(Json(TenantView::from(tenant)))
}

/// Disable a tenant
///
/// Its hosted pages and OpenID Connect endpoints then treat it as unknown.
/// Disabling a disabled tenant keeps the first date. The `platform` tenant
/// (tenant owners, the services' tokens) cannot be disabled.
#[utoipa::path(
    post,
    path = "/manage/v1/tenants/{id}/disable",
    tag = "tenants",
    params(TenantPath),
    responses(
        (status = 200, description = "The disabled tenant.", body = TenantView),
        (status = 409, response = Conflict),
        Read,
    ),
)]
pub async fn disable_tenant(
    caller: ManageCaller,
    state: web::Data<AppState>,
    TenantPath { tenant }: TenantPath,
) -> Result<Json<TenantView>, ApiError> {
    caller.operator_only()?;
    let tenant = state.manage.tenants.disable(tenant.id).await?;
    Ok(Json(TenantView::from(tenant)))
}

/// Change a tenant's settings
///
/// A JSON merge patch (RFC 7396): each setting the body names is set, or
/// removed when `null`; the others stay. A value of the wrong type or out
/// of bounds (`"true"` for a boolean, a threshold of 0) or an unknown key is
/// refused with 422 and nothing changes.
#[utoipa::path(
    patch,
    path = "/manage/v1/tenants/{id}/settings",
    tag = "tenants",
    params(TenantPath),
    request_body(content = SettingsSchema, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The tenant, with its settings changed.", body = TenantView),
        (status = 503, response = ChangeCollided),
        Read, JsonBody, Invalid,
    ),
)]
pub async fn patch_tenant_settings(
    caller: ManageCaller,
    state: web::Data<AppState>,
    TenantPath { tenant }: TenantPath,
    patch: JsonObject<Value>,
) -> Result<Json<TenantView>, ApiError> {
    caller.may(tenant.id, ManageScope::Write)?;
    let tenant = state
        .manage
        .tenants
        .patch_settings(tenant.id, patch.into_inner())
        .await?;
    Ok(Json(TenantView::from(tenant)))
}

/// The JSON Schema of a tenant's settings, made from the domain's table of
/// settings (`domain::tenant_settings::SETTINGS`): one source for the rules
/// and their documentation. Every key may be `null` (absent, or removed by a
/// merge patch).
pub struct SettingsSchema;

impl utoipa::PartialSchema for SettingsSchema {
    fn schema() -> RefOr<Schema> {
        let mut object = ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(format!(
                "A tenant's settings: a JSON object of at most {SETTINGS_MAX_BYTES} bytes."
            )))
            .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)));
        for setting in SETTINGS {
            object = object.property(setting.key, setting_schema(setting));
        }
        object.into()
    }
}

impl ToSchema for SettingsSchema {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("TenantSettings")
    }
}

fn nullable(t: Type) -> SchemaType {
    SchemaType::from_iter([t, Type::Null])
}

/// A domain name, as `signup_email_domains` takes it.
const DOMAIN_PATTERN: &str = r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$";

fn setting_schema(setting: &Setting) -> Schema {
    let about = Some(setting.about);
    match setting.kind {
        SettingKind::Flag => ObjectBuilder::new()
            .schema_type(nullable(Type::Boolean))
            .description(about)
            .into(),
        SettingKind::Integer(min, max) => ObjectBuilder::new()
            .schema_type(nullable(Type::Integer))
            .minimum(Some(min))
            .maximum(Some(max))
            .description(about)
            .into(),
        SettingKind::Audience => ObjectBuilder::new()
            .schema_type(nullable(Type::String))
            .min_length(Some(1))
            .max_length(Some(AUDIENCE_MAX))
            .pattern(Some("^[!-~]+$"))
            .description(about)
            .into(),
        SettingKind::Domains => ArrayBuilder::new()
            .schema_type(nullable(Type::Array))
            .items(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .max_length(Some(253))
                    .pattern(Some(DOMAIN_PATTERN)),
            )
            .max_items(Some(SIGNUP_DOMAINS_MAX))
            .description(about)
            .into(),
        SettingKind::Colour => ObjectBuilder::new()
            .schema_type(nullable(Type::String))
            .pattern(Some("^#([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})$"))
            .description(about)
            .into(),
        SettingKind::WebUrl => ObjectBuilder::new()
            .schema_type(nullable(Type::String))
            .format(Some(SchemaFormat::Custom("uri".to_owned())))
            .pattern(Some("^https://"))
            .description(about)
            .into(),
        SettingKind::Networks => ArrayBuilder::new()
            .schema_type(nullable(Type::Array))
            .items(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .max_length(Some(43))
                    .pattern(Some(r"^[0-9A-Fa-f:.]+(/[0-9]{1,3})?$")),
            )
            .max_items(Some(ALLOWLIST_MAX))
            .description(about)
            .into(),
    }
}
