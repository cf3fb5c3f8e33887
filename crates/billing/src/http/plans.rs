//! `GET /v1/plans`: the catalogue, public.
use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::plan::{Plan, CATALOGUE};
use crate::service::Billing;

/// The catalogue, from the smallest plan to the largest.
#[derive(Serialize, ToSchema)]
pub struct PlanList {
    plans: &'static [Plan],
    /// Whether plans can be bought here: false when billing runs offline (no
    /// Stripe key), where plans are shown and buying them is refused.
    checkout_available: bool,
}

/// List the plans
///
/// Public: it needs no token.
#[utoipa::path(
    get,
    path = "/v1/plans",
    tag = "plans",
    security(()),
    responses(
        (status = 200, description = "The plan catalogue.", body = PlanList,
         headers(("Cache-Control" = String, description = "`no-store`"))),
    ),
)]
pub async fn list(billing: web::Data<Billing>) -> HttpResponse {
    HttpResponse::Ok().json(PlanList {
        plans: &CATALOGUE,
        // Offline (no Stripe key): plans are shown, buying them is refused.
        checkout_available: billing.stripe_configured(),
    })
}
