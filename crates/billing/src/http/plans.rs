//! `GET /v1/plans`: the catalogue, public.
use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::domain::plan::CATALOGUE;
use crate::service::Billing;

pub async fn list(billing: web::Data<Billing>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "plans": CATALOGUE,
        // Offline (no Stripe key): plans are shown, buying them is refused.
        "checkout_available": billing.stripe_configured(),
    }))
}
