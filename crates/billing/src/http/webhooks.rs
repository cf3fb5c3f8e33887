//! `POST /webhooks/stripe`: the raw body is what Stripe signed, so it is
//! read as bytes and checked before anything is parsed.
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use service_kit::http::client_address::{self, TrustedProxies};
use utoipa::ToSchema;

use super::openapi::{PayloadTooLarge, Stripe, TooManyRequests, WebhookRefused};
use crate::error::HttpError;
use crate::service::{Billing, WebhookOutcome};

/// The acknowledgement Stripe gets.
#[derive(Serialize, ToSchema)]
pub struct WebhookAck {
    /// Always true.
    received: bool,
    outcome: WebhookOutcome,
}

/// Receive a Stripe event
///
/// For Stripe only: the raw body must carry a valid `Stripe-Signature`. Each
/// event is applied once (a redelivery is answered `duplicate`); billing
/// fetches the subscription as it is now, so events may arrive late, twice or
/// out of order. The answer is 2xx only once the change is committed; any
/// other answer makes Stripe retry. An address whose deliveries keep failing
/// their signature (10 within 5 minutes by default) is answered 429 for a
/// while (15 minutes) without being checked.
#[utoipa::path(
    post,
    path = "/webhooks/stripe",
    tag = "webhooks",
    request_body(content = Object, content_type = "application/json",
        description = "A Stripe event, exactly as Stripe signed it (`id`, `type`, `data.object`, …)."),
    security(("stripe_signature" = [])),
    responses(
        (status = 200, description = "The event is applied, was applied before, or is recorded and ignored.",
         body = WebhookAck),
        (status = 400, response = WebhookRefused),
        (status = 413, response = PayloadTooLarge),
        (status = 429, response = TooManyRequests),
        Stripe,
    ),
)]
pub async fn stripe(
    req: HttpRequest,
    billing: web::Data<Billing>,
    proxies: web::Data<TrustedProxies>,
    body: web::Bytes,
) -> Result<HttpResponse, HttpError> {
    let signature = req
        .headers()
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    let sender = client_address::of_request(&req, &proxies);
    let outcome = billing.handle_webhook(&body, signature, sender).await?;
    Ok(HttpResponse::Ok().json(WebhookAck {
        received: true,
        outcome,
    }))
}
