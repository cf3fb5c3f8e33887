//! Stripe Checkout (subscribe or change plan) and the Customer Portal.
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use service_kit::bearer::AuthenticatedUser;
use service_kit::{ApiError, Code};

use super::caller::{tenant_access, Access};
use crate::domain::plan::PlanId;
use crate::error::HttpError;
use crate::service::{Billing, CheckoutOutcome, CheckoutParams};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckoutBody {
    plan: String,
    success_url: String,
    cancel_url: String,
}

/// `POST …/checkout`: 201 with a Checkout URL for a first subscription, 200
/// once an existing subscription has the new plan.
pub async fn checkout(
    user: AuthenticatedUser,
    billing: web::Data<Billing>,
    path: web::Path<String>,
    body: web::Json<CheckoutBody>,
) -> Result<HttpResponse, HttpError> {
    let tenant = tenant_access(&user, &path, Access::Manage)?;
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortalBody {
    return_url: String,
}

pub async fn portal(
    user: AuthenticatedUser,
    billing: web::Data<Billing>,
    path: web::Path<String>,
    body: web::Json<PortalBody>,
) -> Result<HttpResponse, HttpError> {
    let tenant = tenant_access(&user, &path, Access::Manage)?;
    let url = billing.portal(tenant, &body.return_url).await?;
    Ok(HttpResponse::Created().json(json!({ "url": url })))
}
