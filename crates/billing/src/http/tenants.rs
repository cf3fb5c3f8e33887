//! One tenant's billing: entitlements, subscription, usage, account, invoices.
use actix_web::{web, HttpResponse};
use connectauth_verify::actix::AuthenticatedUser;
use serde::{Deserialize, Serialize};
use service_kit::http::json_object::JsonObject;
use service_kit::{ApiError, Code};
use utoipa::{IntoParams, ToSchema};

use super::caller::{operator, tenant_access, Access, ManagedTenant, TenantPath};
use super::openapi::{BadRequest, JsonBody, Scoped};
use crate::domain::invoice::Invoice;
use crate::domain::month::Month;
use crate::domain::plan::PlanId;
use crate::error::HttpError;
use crate::service::{Billing, Entitlements, SubscriptionView, UsageView};

/// Get a tenant's entitlements
///
/// What the tenant may do this month: its plan in force, its usage against
/// the limit, and whether new signups are open. The auth server caches it.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenant_id}/entitlements",
    tag = "tenants",
    params(TenantPath),
    security(("platform_token" = ["billing:entitlements"]), ("platform_token" = ["billing:admin"]), ("platform_token" = ["billing:manage"])),
    responses(
        (status = 200, description = "The tenant's entitlements (Free for a tenant billing has never heard of).",
         body = Entitlements),
        Scoped,
    ),
)]
pub async fn entitlements(
    user: AuthenticatedUser,
    billing: web::Data<Billing>,
    path: web::Path<TenantPath>,
) -> Result<HttpResponse, HttpError> {
    let tenant = tenant_access(&user, &path, Access::ReadEntitlements)?;
    Ok(HttpResponse::Ok().json(billing.entitlements(tenant).await?))
}

/// Get a tenant's subscription
///
/// The entitlements plus what Stripe knows, for the dashboard.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenant_id}/subscription",
    tag = "tenants",
    params(TenantPath),
    security(("platform_token" = ["billing:admin"]), ("platform_token" = ["billing:manage"])),
    responses(
        (status = 200, description = "The tenant's subscription.", body = SubscriptionView),
        Scoped,
    ),
)]
pub async fn subscription(
    ManagedTenant(tenant): ManagedTenant,
    billing: web::Data<Billing>,
) -> Result<HttpResponse, HttpError> {
    Ok(HttpResponse::Ok().json(billing.subscription_view(tenant).await?))
}

/// The plan an operator puts the tenant on.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPlan {
    /// `free`, `starter`, `pro` or `enterprise` (case-insensitive).
    #[schema(
        example = "enterprise",
        pattern = r"^\s*([Ff][Rr][Ee][Ee]|[Ss][Tt][Aa][Rr][Tt][Ee][Rr]|[Pp][Rr][Oo]|[Ee][Nn][Tt][Ee][Rr][Pp][Rr][Ii][Ss][Ee])\s*$"
    )]
    plan: String,
    /// A contractual limit of monthly active users: Enterprise only.
    #[schema(maximum = 9_223_372_036_854_775_807_u64)]
    mau_limit: Option<u64>,
}

/// Set a tenant's plan by hand
///
/// Operators only: offline installations and Enterprise contracts. Refused
/// (422) while the tenant pays through Stripe.
#[utoipa::path(
    put,
    path = "/v1/tenants/{tenant_id}/plan",
    tag = "tenants",
    params(TenantPath),
    request_body = SetPlan,
    security(("platform_token" = ["billing:admin"])),
    responses(
        (status = 200, description = "The plan is set; the new entitlements.", body = Entitlements),
        Scoped, JsonBody,
    ),
)]
pub async fn set_plan(
    user: AuthenticatedUser,
    billing: web::Data<Billing>,
    path: web::Path<TenantPath>,
    body: JsonObject<SetPlan>,
) -> Result<HttpResponse, HttpError> {
    operator(&user)?;
    let tenant = tenant_access(&user, &path, Access::Manage)?;
    let plan =
        PlanId::parse(&body.plan).map_err(|e| ApiError::new(Code::InvalidInput, e.to_string()))?;
    // The document's bound (a signed 64-bit integer, as stored).
    if body.mau_limit.is_some_and(|l| i64::try_from(l).is_err()) {
        return Err(ApiError::new(Code::InvalidInput, "mau_limit is too large").into());
    }
    billing
        .manual
        .set_plan(tenant, plan, body.mau_limit)
        .await?;
    Ok(HttpResponse::Ok().json(billing.entitlements(tenant).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UsageQuery {
    /// The UTC month, `YYYY-MM` (default: this month).
    #[param(example = "2026-11", pattern = r"^[2-9][0-9]{3}-(0[1-9]|1[0-2])$")]
    month: Option<String>,
}

/// Get a tenant's usage
///
/// One month (default: this one) and up to 24 months of counts.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenant_id}/usage",
    tag = "tenants",
    params(
        TenantPath,
        UsageQuery,
    ),
    security(("platform_token" = ["billing:admin"]), ("platform_token" = ["billing:manage"])),
    responses(
        (status = 200, description = "The month's usage and the history.", body = UsageView),
        (status = 400, response = BadRequest),
        Scoped,
    ),
)]
pub async fn usage(
    ManagedTenant(tenant): ManagedTenant,
    billing: web::Data<Billing>,
    query: web::Query<UsageQuery>,
) -> Result<HttpResponse, HttpError> {
    let month = query.month.as_deref().map(Month::parse).transpose()?;
    Ok(HttpResponse::Ok().json(billing.usage_view(tenant, month).await?))
}

/// Who receives the tenant's quota and payment emails.
#[derive(Serialize, ToSchema)]
pub struct AccountView {
    /// The auth server's tenant id.
    #[schema(example = "6f1c1d3e-8a3b-4c1f-9d2e-2b7a4c5d6e7f")]
    tenant_id: String,
    /// `null`: nobody is emailed.
    #[schema(example = "owner@acme.example")]
    owner_email: Option<String>,
}

/// Get a tenant's account
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenant_id}/account",
    tag = "tenants",
    params(TenantPath),
    security(("platform_token" = ["billing:admin"]), ("platform_token" = ["billing:manage"])),
    responses(
        (status = 200, description = "The tenant's billing account.", body = AccountView),
        Scoped,
    ),
)]
pub async fn account(
    ManagedTenant(tenant): ManagedTenant,
    billing: web::Data<Billing>,
) -> Result<HttpResponse, HttpError> {
    Ok(HttpResponse::Ok().json(AccountView {
        tenant_id: tenant.to_string(),
        owner_email: billing.owner_email(tenant).await?,
    }))
}

/// Who receives the tenant's quota and payment emails.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountBody {
    /// An email address (trimmed); `null` or absent: nobody.
    #[schema(example = "owner@acme.example")]
    owner_email: Option<String>,
}

/// Set a tenant's account
///
/// Who receives quota and payment emails.
#[utoipa::path(
    put,
    path = "/v1/tenants/{tenant_id}/account",
    tag = "tenants",
    params(TenantPath),
    request_body = AccountBody,
    security(("platform_token" = ["billing:admin"]), ("platform_token" = ["billing:manage"])),
    responses(
        (status = 200, description = "The account is saved.", body = AccountView),
        Scoped, JsonBody,
    ),
)]
pub async fn set_account(
    ManagedTenant(tenant): ManagedTenant,
    billing: web::Data<Billing>,
    body: JsonObject<AccountBody>,
) -> Result<HttpResponse, HttpError> {
    let email = body.owner_email.as_deref().map(str::trim);
    billing.manual.set_owner_email(tenant, email).await?;
    Ok(HttpResponse::Ok().json(AccountView {
        tenant_id: tenant.to_string(),
        owner_email: email.map(str::to_owned),
    }))
}

/// The tenant's invoices.
#[derive(Serialize, ToSchema)]
pub struct InvoiceList {
    /// Newest first, as Stripe's webhooks described them.
    invoices: Vec<Invoice>,
}

/// List a tenant's invoices
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenant_id}/invoices",
    tag = "tenants",
    params(TenantPath),
    security(("platform_token" = ["billing:admin"]), ("platform_token" = ["billing:manage"])),
    responses(
        (status = 200, description = "The tenant's invoices, newest first.", body = InvoiceList),
        Scoped,
    ),
)]
pub async fn invoices(
    ManagedTenant(tenant): ManagedTenant,
    billing: web::Data<Billing>,
) -> Result<HttpResponse, HttpError> {
    Ok(HttpResponse::Ok().json(InvoiceList {
        invoices: billing.invoices(tenant).await?,
    }))
}
