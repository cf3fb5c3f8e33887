//! Stripe Checkout (subscribe or change plan) and the Customer Portal.
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use service_kit::http::json_object::JsonObject;
use service_kit::{ApiError, Code};
use utoipa::ToSchema;

use super::caller::{ManagedTenant, TenantPath};
use super::openapi::{JsonBody, Scoped, Stripe};
use crate::domain::plan::PlanId;
use crate::error::HttpError;
use crate::service::{Billing, CheckoutOutcome, CheckoutParams};

/// The plan to buy and where Stripe sends the browser back.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutBody {
    /// A self-serve plan: `starter` or `pro` (case-insensitive).
    #[schema(
        example = "pro",
        pattern = r"^\s*([Ss][Tt][Aa][Rr][Tt][Ee][Rr]|[Pp][Rr][Oo])\s*$"
    )]
    plan: String,
    /// Where Stripe sends the browser after paying: an absolute http(s) URL
    /// without credentials, at most 2048 characters.
    #[schema(
        example = "https://dashboard.example.com/billing?paid=1",
        pattern = r"^https?://(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?::[0-9]{1,4})?(?:[/?][A-Za-z0-9\-._~:/?\[\]@!$&'()+,;=%]*)?$",
        max_length = 2048
    )]
    success_url: String,
    /// Where Stripe sends the browser on cancel; same rules.
    #[schema(
        example = "https://dashboard.example.com/billing",
        pattern = r"^https?://(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?::[0-9]{1,4})?(?:[/?][A-Za-z0-9\-._~:/?\[\]@!$&'()+,;=%]*)?$",
        max_length = 2048
    )]
    cancel_url: String,
}

/// Subscribe or change plan
///
/// Without a live subscription: a Stripe Checkout Session for the plan (201);
/// send the browser to `url`, nothing changes until Stripe's webhook says so.
/// With one: its price is replaced, prorated (200). Free and Enterprise are
/// not sold online (422 `plan-not-purchasable`).
#[utoipa::path(
    post,
    path = "/v1/tenants/{tenant_id}/checkout",
    tag = "payments",
    params(TenantPath),
    request_body = CheckoutBody,
    security(("platform_token" = ["billing:admin"]), ("platform_token" = ["billing:manage"])),
    responses(
        (status = 201, description = "A Checkout Session was created (`outcome`: `checkout`).",
         body = CheckoutOutcome),
        (status = 200, description = "The existing subscription now has the plan (`outcome`: `changed`).",
         body = CheckoutOutcome),
        Scoped, JsonBody, Stripe,
    ),
)]
pub async fn checkout(
    ManagedTenant(tenant): ManagedTenant,
    billing: web::Data<Billing>,
    body: JsonObject<CheckoutBody>,
) -> Result<HttpResponse, HttpError> {
    let plan =
        PlanId::parse(&body.plan).map_err(|e| ApiError::new(Code::InvalidInput, e.to_string()))?;
    let body = body.into_inner();
    let outcome = billing
        .checkout(
            tenant,
            &CheckoutParams {
                plan,
                success_url: body.success_url,
                cancel_url: body.cancel_url,
            },
        )
        .await?;
    Ok(match outcome {
        CheckoutOutcome::Checkout { .. } => HttpResponse::Created().json(outcome),
        CheckoutOutcome::Changed { .. } => HttpResponse::Ok().json(outcome),
    })
}

/// Where Stripe's portal sends the browser back.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PortalBody {
    /// An absolute http(s) URL without credentials, at most 2048 characters.
    #[schema(
        example = "https://dashboard.example.com/billing",
        pattern = r"^https?://(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?::[0-9]{1,4})?(?:[/?][A-Za-z0-9\-._~:/?\[\]@!$&'()+,;=%]*)?$",
        max_length = 2048
    )]
    return_url: String,
}

/// A Stripe page to send the browser to.
#[derive(Serialize, ToSchema)]
pub struct PortalLink {
    /// The Customer Portal session's URL.
    url: String,
}

/// Open the Customer Portal
///
/// Stripe's Customer Portal of the tenant: card, invoices, cancellation.
#[utoipa::path(
    post,
    path = "/v1/tenants/{tenant_id}/portal",
    tag = "payments",
    params(TenantPath),
    request_body = PortalBody,
    security(("platform_token" = ["billing:admin"]), ("platform_token" = ["billing:manage"])),
    responses(
        (status = 201, description = "A portal session was created.", body = PortalLink),
        Scoped, JsonBody, Stripe,
    ),
)]
pub async fn portal(
    ManagedTenant(tenant): ManagedTenant,
    billing: web::Data<Billing>,
    body: JsonObject<PortalBody>,
) -> Result<HttpResponse, HttpError> {
    let url = billing.portal(tenant, &body.return_url).await?;
    Ok(HttpResponse::Created().json(PortalLink { url }))
}
