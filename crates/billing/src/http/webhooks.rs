//! `POST /webhooks/stripe`: the raw body is what Stripe signed, so it is
//! read as bytes and checked before anything is parsed.
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::error::HttpError;
use crate::service::Billing;

pub async fn stripe(
    req: HttpRequest,
    billing: web::Data<Billing>,
    body: web::Bytes,
) -> Result<HttpResponse, HttpError> {
    let signature = req
        .headers()
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    let outcome = billing.handle_webhook(&body, signature).await?;
    Ok(HttpResponse::Ok().json(json!({ "received": true, "outcome": outcome })))
}
