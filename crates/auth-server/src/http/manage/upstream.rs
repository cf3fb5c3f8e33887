//! `/manage/v1/tenants/{id}/upstream-providers`: the identity providers a
//! tenant's users may sign in through (a preset such as Google, or any
//! OpenID Connect provider). The client secret is write-only.
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use service_kit::http::json_object::JsonObject;
use service_kit::openapi::Problem;
use service_kit::ApiError;
use utoipa::ToSchema;

use super::openapi::{Invalid, JsonBody, Read};
use super::paths::TenantPath;
use super::tenants::rfc3339;
use crate::domain::api_credential::ManageScope;
use crate::domain::tenant::Tenant;
use crate::domain::upstream::UpstreamProvider;
use crate::http::extract::ManageCaller;
use crate::manage::upstream::ProviderInput;
use crate::state::AppState;

/// A new upstream provider: a `preset` (`google`) or an `issuer`, and the
/// client registered there (its redirect URI is the `callback_url` of any
/// provider answer: `{PUBLIC_URL}/t/{slug}/upstream/callback`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProviderBody {
    /// `google`; sets the issuer, and the slug and name unless given.
    #[schema(example = "google")]
    preset: Option<String>,
    /// In URLs and button ids: 2–32 lowercase letters, digits or `-`.
    slug: Option<String>,
    /// On the button: "Continue with {display_name}".
    display_name: Option<String>,
    /// An OpenID Connect issuer (https; discovery must name it exactly).
    #[schema(example = "https://accounts.example.com")]
    issuer: Option<String>,
    client_id: String,
    /// Sealed at once; never shown again.
    client_secret: String,
    /// Space-separated, with `openid`. Default `openid email profile`.
    scopes: Option<String>,
    /// Shown on the login page. Default true.
    enabled: Option<bool>,
}

/// A change: what is absent stays.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProviderBody {
    slug: Option<String>,
    display_name: Option<String>,
    issuer: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    scopes: Option<String>,
    enabled: Option<bool>,
}

/// An upstream provider (the client secret is never shown).
#[derive(Serialize, ToSchema)]
pub struct ProviderView {
    id: String,
    slug: String,
    display_name: String,
    issuer: String,
    client_id: String,
    scopes: String,
    enabled: bool,
    /// The redirect URI to register at the provider.
    callback_url: String,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

/// The tenant's upstream providers, by slug.
#[derive(Serialize, ToSchema)]
pub struct ProviderList {
    items: Vec<ProviderView>,
}

fn view(state: &AppState, tenant: &Tenant, p: UpstreamProvider) -> ProviderView {
    ProviderView {
        callback_url: state.manage.upstreams.callback_url(tenant),
        id: p.id,
        slug: p.slug.to_string(),
        display_name: p.display_name.as_ref().to_owned(),
        issuer: p.issuer,
        client_id: p.client_id,
        scopes: p.scopes,
        enabled: p.enabled,
        created_at: rfc3339(p.created_at),
        updated_at: rfc3339(p.updated_at),
    }
}

/// Add an upstream provider
#[utoipa::path(
    post,
    path = "/manage/v1/tenants/{id}/upstream-providers",
    tag = "upstream",
    params(TenantPath),
    request_body = CreateProviderBody,
    responses(
        (status = 201, description = "The provider; its login button shows at once.", body = ProviderView),
        (status = 409, description = "The tenant has a provider with this slug (`provider-slug-taken`).",
         body = Problem, content_type = "application/problem+json"),
        Read, JsonBody, Invalid,
    ),
)]
pub async fn create_provider(
    caller: ManageCaller,
    state: web::Data<AppState>,
    TenantPath { tenant }: TenantPath,
    body: JsonObject<CreateProviderBody>,
) -> Result<HttpResponse, ApiError> {
    caller.may(tenant.id, ManageScope::Write)?;
    let body = body.into_inner();
    let created = state
        .manage
        .upstreams
        .create(
            tenant.id,
            ProviderInput {
                preset: body.preset,
                slug: body.slug,
                display_name: body.display_name,
                issuer: body.issuer,
                client_id: Some(body.client_id),
                client_secret: Some(body.client_secret),
                scopes: body.scopes,
                enabled: body.enabled,
            },
        )
        .await?;
    let location = format!(
        "/manage/v1/tenants/{}/upstream-providers/{}",
        tenant.id, created.id
    );
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(view(&state, &tenant, created)))
}

/// List a tenant's upstream providers
#[utoipa::path(
    get,
    path = "/manage/v1/tenants/{id}/upstream-providers",
    tag = "upstream",
    params(TenantPath),
    responses(
        (status = 200, description = "The providers, by slug.", body = ProviderList),
        Read,
    ),
)]
pub async fn list_providers(
    caller: ManageCaller,
    state: web::Data<AppState>,
    TenantPath { tenant }: TenantPath,
) -> Result<HttpResponse, ApiError> {
    caller.may(tenant.id, ManageScope::Read)?;
    let items = state.manage.upstreams.list(tenant.id).await?;
    Ok(HttpResponse::Ok().json(ProviderList {
        items: items
            .into_iter()
            .map(|p| view(&state, &tenant, p))
            .collect(),
    }))
}

/// Get an upstream provider
#[utoipa::path(
    get,
    path = "/manage/v1/tenants/{id}/upstream-providers/{provider_id}",
    tag = "upstream",
    params(TenantPath, ("provider_id" = String, Path, description = "The provider's id.")),
    responses(
        (status = 200, description = "The provider.", body = ProviderView),
        Read,
    ),
)]
pub async fn get_provider(
    caller: ManageCaller,
    state: web::Data<AppState>,
    TenantPath { tenant }: TenantPath,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    caller.may(tenant.id, ManageScope::Read)?;
    let p = state.manage.upstreams.get(tenant.id, &path.1).await?;
    Ok(HttpResponse::Ok().json(view(&state, &tenant, p)))
}

/// Change an upstream provider
#[utoipa::path(
    patch,
    path = "/manage/v1/tenants/{id}/upstream-providers/{provider_id}",
    tag = "upstream",
    params(TenantPath, ("provider_id" = String, Path, description = "The provider's id.")),
    request_body = UpdateProviderBody,
    responses(
        (status = 200, description = "The provider as changed.", body = ProviderView),
        (status = 409, description = "The tenant has a provider with this slug (`provider-slug-taken`).",
         body = Problem, content_type = "application/problem+json"),
        Read, JsonBody, Invalid,
    ),
)]
pub async fn update_provider(
    caller: ManageCaller,
    state: web::Data<AppState>,
    TenantPath { tenant }: TenantPath,
    path: web::Path<(String, String)>,
    body: JsonObject<UpdateProviderBody>,
) -> Result<HttpResponse, ApiError> {
    caller.may(tenant.id, ManageScope::Write)?;
    let body = body.into_inner();
    let p = state
        .manage
        .upstreams
        .update(
            tenant.id,
            &path.1,
            ProviderInput {
                preset: None,
                slug: body.slug,
                display_name: body.display_name,
                issuer: body.issuer,
                client_id: body.client_id,
                client_secret: body.client_secret,
                scopes: body.scopes,
                enabled: body.enabled,
            },
        )
        .await?;
    Ok(HttpResponse::Ok().json(view(&state, &tenant, p)))
}

/// Remove an upstream provider
///
/// Its button goes, and so does every link from a user to an account there;
/// the users stay (one with no password sets one through "forgot password").
#[utoipa::path(
    delete,
    path = "/manage/v1/tenants/{id}/upstream-providers/{provider_id}",
    tag = "upstream",
    params(TenantPath, ("provider_id" = String, Path, description = "The provider's id.")),
    responses(
        (status = 204, description = "The provider is removed."),
        Read,
    ),
)]
pub async fn delete_provider(
    caller: ManageCaller,
    state: web::Data<AppState>,
    TenantPath { tenant }: TenantPath,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    caller.may(tenant.id, ManageScope::Write)?;
    state.manage.upstreams.delete(tenant.id, &path.1).await?;
    Ok(HttpResponse::NoContent().finish())
}
