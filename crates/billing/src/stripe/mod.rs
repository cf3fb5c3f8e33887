//! Talking to Stripe: the [`Gateway`] (customers, prices, Checkout, the
//! Customer Portal, subscriptions, the plan catalogue) and [`webhook`]
//! (signature checks and event parsing, no I/O).
//!
//! Requests are built with async-stripe's typed builders (so the form
//! encoding is Stripe's), sent with its client, and answered as plain JSON
//! from which each call reads only the fields it needs: a field Stripe adds
//! or drops elsewhere in an object does not break billing.
mod checkout;
mod customers;
mod object;
mod plans_sync;
mod portal;
mod prices;
mod subscriptions;
pub mod webhook;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use service_kit::secret::Secret;
use stripe::{IdempotencyKey, RequestStrategy, StripeError, StripeRequest};

use crate::config::{PriceIds, StripeSettings};
use crate::domain::plan::PlanId;

pub use checkout::{CheckoutLink, CheckoutRequest};
pub use plans_sync::SyncedPlan;
pub use subscriptions::SubscriptionSnapshot;

/// How long one request to Stripe may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The client of Stripe's API. Cheap to clone (the price cache is shared).
#[derive(Clone)]
pub struct Gateway {
    client: stripe::Client,
    /// For redacting error texts; never printed.
    secret_key: Secret,
    api_base: Option<String>,
    prices: PriceIds,
    price_cache: Arc<Mutex<HashMap<PlanId, String>>>,
}

impl fmt::Debug for Gateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gateway")
            .field(
                "api_base",
                &self
                    .api_base
                    .as_deref()
                    .unwrap_or("https://api.stripe.com/"),
            )
            .finish_non_exhaustive()
    }
}

/// What went wrong talking to Stripe. Texts never carry the secret key.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// Stripe answered with an error object.
    #[error("Stripe refused the request (HTTP {status}, {kind}{}): {message}", code.as_deref().map(|c| format!(", {c}")).unwrap_or_default())]
    Stripe {
        status: u16,
        /// Stripe's error `type`: `invalid_request_error`, `card_error`, `idempotency_error`, `api_error`.
        kind: String,
        /// Stripe's error `code`, e.g. `resource_missing`.
        code: Option<String>,
        message: String,
        param: Option<String>,
    },
    /// No answer: connection refused or reset, DNS, TLS.
    #[error("could not reach Stripe: {0}")]
    Transport(String),
    #[error("Stripe did not answer within the request timeout")]
    Timeout,
    /// An answer that is not what Stripe sends (bad JSON, missing field).
    #[error("unexpected response from Stripe: {0}")]
    Unexpected(String),
    /// The plan is not sold through Stripe, or no active price carries its lookup key.
    #[error("no Stripe price for the {0} plan")]
    NoPrice(PlanId),
    #[error("Stripe client configuration: {0}")]
    Config(String),
}

impl GatewayError {
    /// Stripe's 404 (`resource_missing`).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Stripe { status: 404, .. })
            || matches!(self, Self::Stripe { code: Some(code), .. } if code == "resource_missing")
    }

    /// The HTTP status of a Stripe refusal.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Stripe { status, .. } => Some(*status),
            _ => None,
        }
    }
}

impl Gateway {
    /// A client with [`REQUEST_TIMEOUT`] per request.
    pub fn new(settings: &StripeSettings) -> Result<Self, GatewayError> {
        Self::with_timeout(settings, REQUEST_TIMEOUT)
    }

    /// A client whose requests give up after `timeout`.
    pub fn with_timeout(
        settings: &StripeSettings,
        timeout: Duration,
    ) -> Result<Self, GatewayError> {
        let mut builder = stripe::ClientBuilder::new(settings.secret_key.expose())
            .timeout(timeout)
            .app_info(
                "connectauth-billing",
                Some(env!("CARGO_PKG_VERSION").to_owned()),
                None,
            );
        let api_base = match &settings.api_base {
            Some(base) => {
                url::Url::parse(base)
                    .map_err(|e| GatewayError::Config(format!("api_base `{base}`: {e}")))?;
                // async-stripe appends `v1/…` to the base as text.
                let base = if base.ends_with('/') {
                    base.clone()
                } else {
                    format!("{base}/")
                };
                builder = builder.url(base.clone());
                Some(base)
            }
            None => None,
        };
        let client = builder.build().map_err(|e| {
            GatewayError::Config(
                // Only the header construction can fail here; never echo the key.
                redact(&e.to_string(), settings.secret_key.expose()),
            )
        })?;
        Ok(Self {
            client,
            secret_key: settings.secret_key.clone(),
            api_base,
            prices: settings.prices.clone(),
            price_cache: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    /// Sends `request` (with `idempotency_key` when given) and returns the
    /// answer as JSON.
    async fn send<R: StripeRequest>(
        &self,
        request: &R,
        idempotency_key: Option<&str>,
    ) -> Result<serde_json::Value, GatewayError> {
        let mut customized = request.build().customize::<miniserde::json::Value>();
        if let Some(key) = idempotency_key {
            let key = IdempotencyKey::new(key)
                .map_err(|e| GatewayError::Config(format!("idempotency key: {e}")))?;
            customized = customized.request_strategy(RequestStrategy::Idempotent(key));
        }
        let value = customized
            .send(&self.client)
            .await
            .map_err(|e| self.map_error(e))?;
        serde_json::from_str(&miniserde::json::to_string(&value))
            .map_err(|e| GatewayError::Unexpected(format!("not JSON: {e}")))
    }

    fn map_error(&self, error: StripeError) -> GatewayError {
        let key = self.secret_key.expose();
        match error {
            StripeError::Stripe(api, status) => GatewayError::Stripe {
                status,
                kind: api.type_.as_str().to_owned(),
                code: api.code.as_ref().map(|c| c.as_str().to_owned()),
                message: redact(api.message.as_deref().unwrap_or("(no message)"), key),
                param: api.param.clone(),
            },
            StripeError::ClientError(text) => GatewayError::Transport(redact(&text, key)),
            StripeError::Timeout => GatewayError::Timeout,
            StripeError::JSONDeserialize(text) => GatewayError::Unexpected(redact(&text, key)),
            StripeError::ConfigError(text) => GatewayError::Config(redact(&text, key)),
        }
    }
}

/// `text` with every occurrence of `secret` replaced.
fn redact(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        text.to_owned()
    } else {
        text.replace(secret, "[REDACTED]")
    }
}

fn unexpected(error: impl fmt::Display) -> GatewayError {
    GatewayError::Unexpected(error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(base: Option<&str>) -> StripeSettings {
        StripeSettings {
            secret_key: Secret::new("sk_test_very_secret_value"),
            api_base: base.map(str::to_owned),
            webhook_secrets: vec![Secret::new("whsec_x")],
            webhook_tolerance_secs: 300,
            prices: PriceIds::default(),
        }
    }

    #[test]
    fn debug_never_shows_the_key() {
        let gateway = Gateway::new(&settings(Some("http://127.0.0.1:9"))).expect("gateway");
        let text = format!("{gateway:?}");
        assert!(!text.contains("very_secret"), "{text}");
        assert!(text.contains("http://127.0.0.1:9/"), "{text}");
    }

    #[test]
    fn a_bad_base_url_is_a_config_error() {
        let error = Gateway::new(&settings(Some("not a url"))).expect_err("refused");
        assert!(matches!(error, GatewayError::Config(_)), "{error:?}");
    }

    #[test]
    fn error_texts_are_redacted() {
        assert_eq!(
            redact("bad key sk_1 here", "sk_1"),
            "bad key [REDACTED] here"
        );
        assert_eq!(redact("nothing", ""), "nothing");
    }

    #[test]
    fn stripe_errors_read_well() {
        let error = GatewayError::Stripe {
            status: 404,
            kind: "invalid_request_error".into(),
            code: Some("resource_missing".into()),
            message: "No such customer: 'cus_x'".into(),
            param: Some("customer".into()),
        };
        assert!(error.is_not_found());
        assert_eq!(
            error.to_string(),
            "Stripe refused the request (HTTP 404, invalid_request_error, resource_missing): No such customer: 'cus_x'"
        );
    }
}
