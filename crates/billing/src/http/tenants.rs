//! One tenant's billing: entitlements, subscription, usage, account, invoices.
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use service_kit::bearer::AuthenticatedUser;
use service_kit::{ApiError, Code};

use super::caller::{operator, tenant_access, Access};
use crate::domain::month::Month;
use crate::domain::plan::PlanId;
use crate::domain::quota::Quota;
use crate::error::HttpError;
use crate::service::Billing;

pub async fn entitlements(
    user: AuthenticatedUser,
    billing: web::Data<Billing>,
    path: web::Path<String>,
) -> Result<HttpResponse, HttpError> {
    let tenant = tenant_access(&user, &path, Access::ReadEntitlements)?;
    Ok(HttpResponse::Ok().json(billing.entitlements(tenant).await?))
}

/// The entitlements plus what Stripe knows, for the dashboard.
pub async fn subscription(
    user: AuthenticatedUser,
    billing: web::Data<Billing>,
    path: web::Path<String>,
) -> Result<HttpResponse, HttpError> {
    let tenant = tenant_access(&user, &path, Access::Manage)?;
    let s = billing.subscription(tenant).await?;
    let entitlements = billing.entitlements(tenant).await?;
    Ok(HttpResponse::Ok().json(json!({
        "entitlements": entitlements,
        "subscribed_plan": s.plan,
        "stripe_subscription_id": s.stripe_subscription_id,
        "checkout_available": billing.stripe_configured(),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetPlan {
    plan: String,
    mau_limit: Option<u64>,
}

/// `PUT …/plan`: an operator sets the plan by hand (offline, Enterprise).
pub async fn set_plan(
    user: AuthenticatedUser,
    billing: web::Data<Billing>,
    path: web::Path<String>,
    body: web::Json<SetPlan>,
) -> Result<HttpResponse, HttpError> {
    operator(&user)?;
    let tenant = tenant_access(&user, &path, Access::Manage)?;
    let plan =
        PlanId::parse(&body.plan).map_err(|e| ApiError::new(Code::InvalidInput, e.to_string()))?;
    billing.set_plan(tenant, plan, body.mau_limit).await?;
    Ok(HttpResponse::Ok().json(billing.entitlements(tenant).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageQuery {
    month: Option<String>,
}

/// `GET …/usage[?month=YYYY-MM]`: one month (default: this one) and the history.
pub async fn usage(
    user: AuthenticatedUser,
    billing: web::Data<Billing>,
    path: web::Path<String>,
    query: web::Query<UsageQuery>,
) -> Result<HttpResponse, HttpError> {
    let tenant = tenant_access(&user, &path, Access::Manage)?;
    let history = billing.usage_history(tenant).await?;
    let entitlements = billing.entitlements(tenant).await?;
    let month = match &query.month {
        Some(m) => Month::parse(m)?.to_string(),
        None => entitlements.month.clone(),
    };
    let mau = history
        .iter()
        .find(|h| h.month == month)
        .map_or(0, |h| h.mau);
    let quota = Quota {
        used: mau,
        limit: entitlements.mau_limit,
        hard_limit_percent: 0,
    };
    Ok(HttpResponse::Ok().json(json!({
        "month": month,
        "mau": mau,
        "mau_limit": entitlements.mau_limit,
        "usage_percent": quota.percent(),
        "current": entitlements,
        "history": history,
    })))
}

pub async fn account(
    user: AuthenticatedUser,
    billing: web::Data<Billing>,
    path: web::Path<String>,
) -> Result<HttpResponse, HttpError> {
    let tenant = tenant_access(&user, &path, Access::Manage)?;
    Ok(HttpResponse::Ok().json(json!({
        "tenant_id": tenant.to_string(),
        "owner_email": billing.owner_email(tenant).await?,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountBody {
    owner_email: Option<String>,
}

/// `PUT …/account`: who receives quota and payment emails.
pub async fn set_account(
    user: AuthenticatedUser,
    billing: web::Data<Billing>,
    path: web::Path<String>,
    body: web::Json<AccountBody>,
) -> Result<HttpResponse, HttpError> {
    let tenant = tenant_access(&user, &path, Access::Manage)?;
    let email = body.owner_email.as_deref().map(str::trim);
    billing.set_owner_email(tenant, email).await?;
    Ok(HttpResponse::Ok().json(json!({
        "tenant_id": tenant.to_string(),
        "owner_email": email,
    })))
}

pub async fn invoices(
    user: AuthenticatedUser,
    billing: web::Data<Billing>,
    path: web::Path<String>,
) -> Result<HttpResponse, HttpError> {
    let tenant = tenant_access(&user, &path, Access::Manage)?;
    Ok(HttpResponse::Ok().json(json!({ "invoices": billing.invoices(tenant).await? })))
}
