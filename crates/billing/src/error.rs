//! Billing errors to client codes. Statuses live in
//! `service_kit::problem::Code`; this file only says which code each error is.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use service_kit::bearer::BearerError;
use service_kit::{ApiError, Code};

use crate::domain::month::BadMonth;
use crate::domain::tenant::BadTenantId;
use crate::service::BillingError;
use crate::stripe::webhook::{
    SignatureError, MAX_SIGNATURE_HEADER_BYTES, MAX_V1_SIGNATURES, V1_SIGNATURE_HEX_LEN,
};
use crate::stripe::GatewayError;

/// What a handler fails with: a problem, or a refused token (whose answer
/// carries an RFC 6750 challenge).
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Bearer(#[from] BearerError),
}

impl ResponseError for HttpError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Api(e) => e.status_code(),
            Self::Bearer(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Api(e) => e.error_response(),
            Self::Bearer(e) => e.error_response(),
        }
    }
}

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

impl From<BadMonth> for HttpError {
    fn from(e: BadMonth) -> Self {
        Self::Api(ApiError::new(Code::InvalidInput, e.to_string()))
    }
}

/// Lets handlers use `?` on every layer's error.
macro_rules! through_api_error {
    ($($error:ty),*) => {$(
        impl From<$error> for HttpError {
            fn from(e: $error) -> Self {
                Self::Api(e.into())
            }
        }
    )*};
}
through_api_error!(BillingError, BadTenantId);
