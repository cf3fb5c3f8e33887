//! Billing errors to client codes. Statuses live in
//! `service_kit::problem::Code`; this file only says which code each error is.
pub use service_kit::http::HttpError;
use service_kit::{ApiError, Code};

use crate::domain::tenant::BadTenantId;
use crate::service::BillingError;
use crate::stripe::webhook::{
    SignatureError, MAX_SIGNATURE_HEADER_BYTES, MAX_V1_SIGNATURES, V1_SIGNATURE_HEX_LEN,
};
use crate::stripe::GatewayError;

impl From<BillingError> for ApiError {
    fn from(e: BillingError) -> Self {
        match e {
            BillingError::Store(_) => ApiError::internal(e),
            BillingError::Gateway(g) => gateway(g),
            BillingError::NotConfigured => ApiError::new(
                Code::BillingNotConfigured,
                "Billing is not configured on this installation (no Stripe key): plans can be \
                 viewed, and an operator sets a tenant's plan with `connectauth billing set-plan`.",
            ),
            BillingError::NotPurchasable(plan) => ApiError::new(
                Code::PlanNotPurchasable,
                format!(
                    "The {} plan is not sold online; contact sales for Enterprise.",
                    plan.plan().name
                ),
            ),
            BillingError::NoSubscription => ApiError::new(Code::NoSubscription, e.to_string()),
            BillingError::Invalid(detail) => ApiError::new(Code::InvalidInput, detail),
            BillingError::Signature(s) => {
                tracing::info!(reason = %s, "stripe webhook refused");
                let detail = match s {
                    SignatureError::TooLong
                    | SignatureError::TooManySignatures
                    | SignatureError::Malformed => format!(
                        "The Stripe-Signature header is malformed: it has at most \
                         {MAX_SIGNATURE_HEADER_BYTES} bytes, a t= timestamp and at most \
                         {MAX_V1_SIGNATURES} v1 signatures of {V1_SIGNATURE_HEX_LEN} hex digits."
                    ),
                    _ => "The Stripe-Signature does not verify.".to_owned(),
                };
                ApiError::new(Code::WebhookSignature, detail)
            }
            BillingError::Event(ev) => ApiError::new(Code::BadRequest, ev.to_string()),
            BillingError::SenderRefused { retry_after } => ApiError::new(
                Code::TooManyRequests,
                "Too many deliveries from this address failed their Stripe-Signature lately; \
                 it is refused for a while.",
            )
            .with_retry_after(retry_after),
        }
    }
}

fn gateway(e: GatewayError) -> ApiError {
    match e {
        GatewayError::Transport(_) | GatewayError::Timeout => {
            tracing::warn!(error = %e, "Stripe unreachable");
            ApiError::unavailable("The payment provider cannot be reached; try again.", 30)
        }
        other => {
            tracing::warn!(error = %other, "Stripe call failed");
            ApiError::new(
                Code::PaymentProvider,
                "The payment provider refused or failed the request; it has been logged.",
            )
            .with_source(other)
        }
    }
}

impl From<BadTenantId> for ApiError {
    fn from(e: BadTenantId) -> Self {
        ApiError::new(Code::InvalidInput, e.to_string())
    }
}

service_kit::through_api_error!(BillingError, BadTenantId);
