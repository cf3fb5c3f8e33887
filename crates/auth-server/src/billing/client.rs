//! The billing API as the auth server calls it: usage reports and a tenant's
//! entitlements, with the platform service token, 2 s per request.
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use super::service_token::{ServiceTokenError, ServiceTokens};
use crate::domain::tenant::TenantId;

pub const TIMEOUT: Duration = Duration::from_secs(2);
/// The most events billing takes in one `POST /v1/usage`.
pub const MAX_EVENTS_PER_REQUEST: usize = 1000;

/// One end user active in a month: `{"tenant_id","user_id","at"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageEvent {
    pub tenant_id: String,
    pub user_id: String,
    /// Unix seconds; billing files the event under this instant's UTC month.
    pub at: i64,
}

#[derive(Debug, Serialize)]
struct UsageBody<'a> {
    events: &'a [UsageEvent],
}

/// `{"received": N, "recorded": M}`: M of the N were new to billing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct UsageReceipt {
    pub received: u64,
    pub recorded: u64,
}

/// `GET /v1/tenants/{id}/entitlements`. Only `signups_allowed` is required;
/// the rest is informational here, so a field billing adds or reshapes never
/// turns into an unreadable answer.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Entitlements {
    #[serde(default)]
    pub tenant_id: String,
    #[serde(default)]
    pub plan: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub month: String,
    #[serde(default)]
    pub mau_used: u64,
    /// `None`: unlimited.
    #[serde(default)]
    pub mau_limit: Option<u64>,
    #[serde(default)]
    pub hard_limit: Option<u64>,
    #[serde(default)]
    pub usage_percent: f64,
    /// `none`, `approaching`, `reached` or `over_limit`.
    #[serde(default)]
    pub warning: String,
    pub signups_allowed: bool,
    #[serde(default)]
    pub suggested_plan: Option<String>,
    #[serde(default)]
    pub grace_until: Option<Value>,
}

#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    #[error("no service token: {0}")]
    Token(#[from] ServiceTokenError),
    #[error("billing client: {0}")]
    Setup(#[source] reqwest::Error),
    #[error("billing is unreachable: {0}")]
    Unreachable(#[source] reqwest::Error),
    #[error("billing answered {status} ({code})")]
    Refused { status: u16, code: String },
    #[error("billing's answer is unreadable: {0}")]
    Unreadable(#[source] reqwest::Error),
    #[error("at most {MAX_EVENTS_PER_REQUEST} events per request")]
    TooManyEvents,
}

pub struct BillingClient {
    http: reqwest::Client,
    base: String,
    tokens: Arc<ServiceTokens>,
}

impl BillingClient {
    pub fn new(base: &Url, tokens: Arc<ServiceTokens>) -> Result<Self, BillingError> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            // The bearer token goes to the configured host only.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(BillingError::Setup)?;
        Ok(Self {
            http,
            base: base.as_str().trim_end_matches('/').to_owned(),
            tokens,
        })
    }

    /// `POST /v1/usage`. Billing keeps a set, so sending events twice is harmless.
    pub async fn report_usage(&self, events: &[UsageEvent]) -> Result<UsageReceipt, BillingError> {
        if events.len() > MAX_EVENTS_PER_REQUEST {
            return Err(BillingError::TooManyEvents);
        }
        let request = self
            .http
            .post(format!("{}/v1/usage", self.base))
            .json(&UsageBody { events });
        self.send(request).await
    }

    /// `GET /v1/tenants/{id}/entitlements`.
    pub async fn entitlements(&self, tenant: TenantId) -> Result<Entitlements, BillingError> {
        let request = self
            .http
            .get(format!("{}/v1/tenants/{tenant}/entitlements", self.base));
        self.send(request).await
    }

    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, BillingError> {
        let token = self.tokens.bearer().await?;
        let response = request
            .bearer_auth(token)
            .send()
            .await
            .map_err(BillingError::Unreachable)?;
        let status = response.status();
        if status.is_success() {
            return response.json().await.map_err(BillingError::Unreadable);
        }
        if status == StatusCode::UNAUTHORIZED {
            // Perhaps its key was revoked: the next call mints a fresh one.
            self.tokens.forget().await;
        }
        // The problem's stable `code` is enough for the log; the body may be anything.
        let code = response
            .json::<Value>()
            .await
            .ok()
            .and_then(|v| v.get("code").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_default();
        Err(BillingError::Refused {
            status: status.as_u16(),
            code: code.chars().take(100).collect(),
        })
    }
}
