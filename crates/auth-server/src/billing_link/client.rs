//! The billing API as the auth server calls it, 2 s per request: usage
//! reports and a tenant's entitlements with the platform service token; the
//! dashboard's calls (subscription, invoices, account, checkout, portal)
//! with an owner token; the public plan catalogue with no token.
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use super::service_token::{OwnerToken, ServiceTokenError, ServiceTokens};
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
    /// `None`: no limit.
    #[serde(default)]
    pub usage_percent: Option<f64>,
    /// `none`, `approaching`, `reached` or `over_limit`.
    #[serde(default)]
    pub warning: String,
    pub signups_allowed: bool,
    #[serde(default)]
    pub suggested_plan: Option<String>,
    /// After a failed payment: when the plan falls back to Free (unix seconds).
    #[serde(default)]
    pub grace_until: Option<i64>,
    #[serde(default)]
    pub plan_name: String,
    /// The end of the current Stripe billing period (unix seconds).
    #[serde(default)]
    pub current_period_end: Option<i64>,
    #[serde(default)]
    pub cancel_at_period_end: bool,
}

/// `GET /v1/tenants/{id}/subscription`: the entitlements plus what Stripe knows.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Subscription {
    pub entitlements: Entitlements,
    /// May differ from the plan in force after an unpaid grace period.
    #[serde(default)]
    pub subscribed_plan: String,
    #[serde(default)]
    pub stripe_subscription_id: Option<String>,
    /// False when billing runs without Stripe.
    #[serde(default)]
    pub checkout_available: bool,
}

/// One invoice, as Stripe's webhooks described it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Invoice {
    pub id: String,
    #[serde(default)]
    pub number: Option<String>,
    #[serde(default)]
    pub status: String,
    /// In the smallest unit of `currency`.
    #[serde(default)]
    pub amount_due: i64,
    #[serde(default)]
    pub amount_paid: i64,
    #[serde(default)]
    pub currency: String,
    #[serde(default)]
    pub hosted_invoice_url: Option<String>,
    /// Unix seconds.
    #[serde(default)]
    pub created: i64,
}

#[derive(Debug, Deserialize)]
struct InvoiceList {
    invoices: Vec<Invoice>,
}

/// `GET`/`PUT /v1/tenants/{id}/account`: who receives the tenant's quota
/// and payment emails.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Account {
    #[serde(default)]
    pub tenant_id: String,
    /// `None`: nobody is emailed.
    #[serde(default)]
    pub owner_email: Option<String>,
}

#[derive(Debug, Serialize)]
struct AccountBody<'a> {
    owner_email: &'a str,
}

/// One plan of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Plan {
    pub id: String,
    pub name: String,
    /// `None`: on quote.
    #[serde(default)]
    pub price_cents: Option<u64>,
    #[serde(default)]
    pub currency: String,
    /// `None`: set per contract.
    #[serde(default)]
    pub mau_limit: Option<u64>,
    #[serde(default)]
    pub features: Vec<String>,
    /// Whether it can be bought through Stripe Checkout.
    #[serde(default)]
    pub self_serve: bool,
}

/// `GET /v1/plans`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PlanList {
    pub plans: Vec<Plan>,
    #[serde(default)]
    pub checkout_available: bool,
}

/// The answer of `POST /v1/tenants/{id}/checkout`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum CheckoutOutcome {
    /// Send the browser to Stripe Checkout at `url`.
    Checkout { session_id: String, url: String },
    /// The live subscription now has the plan's price.
    Changed {
        plan: String,
        #[serde(default)]
        status: String,
    },
}

#[derive(Debug, Serialize)]
struct CheckoutBody<'a> {
    plan: &'a str,
    success_url: &'a str,
    cancel_url: &'a str,
}

#[derive(Debug, Serialize)]
struct PortalBody<'a> {
    return_url: &'a str,
}

/// `{"url"}`: the Customer Portal session to send the browser to.
#[derive(Debug, Deserialize)]
struct PortalLink {
    url: String,
}

/// Which token a request carries.
#[derive(Clone, Copy)]
enum Bearer<'a> {
    /// The auth server's own service token.
    Service,
    /// A tenant owner's `billing:manage` token.
    Owner(&'a OwnerToken),
    /// None: a public route.
    Public,
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
    service_tokens: Arc<ServiceTokens>,
}

impl BillingClient {
    pub fn new(base: &Url, service_tokens: Arc<ServiceTokens>) -> Result<Self, BillingError> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            // The bearer token goes to the configured host only.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(BillingError::Setup)?;
        Ok(Self {
            http,
            base: base.as_str().trim_end_matches('/').to_owned(),
            service_tokens,
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
        self.send(request, Bearer::Service).await
    }

    /// `GET /v1/tenants/{id}/entitlements`.
    pub async fn entitlements(&self, tenant: TenantId) -> Result<Entitlements, BillingError> {
        let request = self
            .http
            .get(format!("{}/v1/tenants/{tenant}/entitlements", self.base));
        self.send(request, Bearer::Service).await
    }

    /// `GET /v1/tenants/{id}/subscription`, as the tenant's owner.
    pub async fn subscription(
        &self,
        owner: &OwnerToken,
        tenant: TenantId,
    ) -> Result<Subscription, BillingError> {
        let request = self
            .http
            .get(format!("{}/v1/tenants/{tenant}/subscription", self.base));
        self.send(request, Bearer::Owner(owner)).await
    }

    /// `GET /v1/tenants/{id}/invoices`, newest first, as the tenant's owner.
    pub async fn invoices(
        &self,
        owner: &OwnerToken,
        tenant: TenantId,
    ) -> Result<Vec<Invoice>, BillingError> {
        let request = self
            .http
            .get(format!("{}/v1/tenants/{tenant}/invoices", self.base));
        let list: InvoiceList = self.send(request, Bearer::Owner(owner)).await?;
        Ok(list.invoices)
    }

    /// `GET /v1/tenants/{id}/account`, as the tenant's owner.
    pub async fn account(
        &self,
        owner: &OwnerToken,
        tenant: TenantId,
    ) -> Result<Account, BillingError> {
        let request = self
            .http
            .get(format!("{}/v1/tenants/{tenant}/account", self.base));
        self.send(request, Bearer::Owner(owner)).await
    }

    /// `PUT /v1/tenants/{id}/account {"owner_email"}`, as the tenant's owner.
    /// A refused address is `422 invalid-input`.
    pub async fn set_owner_email(
        &self,
        owner: &OwnerToken,
        tenant: TenantId,
        owner_email: &str,
    ) -> Result<Account, BillingError> {
        let request = self
            .http
            .put(format!("{}/v1/tenants/{tenant}/account", self.base))
            .json(&AccountBody { owner_email });
        self.send(request, Bearer::Owner(owner)).await
    }

    /// `GET /v1/plans` (public).
    pub async fn plans(&self) -> Result<PlanList, BillingError> {
        let request = self.http.get(format!("{}/v1/plans", self.base));
        self.send(request, Bearer::Public).await
    }

    /// `POST /v1/tenants/{id}/checkout`, as the tenant's owner.
    pub async fn checkout(
        &self,
        owner: &OwnerToken,
        tenant: TenantId,
        plan: &str,
        success_url: &str,
        cancel_url: &str,
    ) -> Result<CheckoutOutcome, BillingError> {
        let request = self
            .http
            .post(format!("{}/v1/tenants/{tenant}/checkout", self.base))
            .json(&CheckoutBody {
                plan,
                success_url,
                cancel_url,
            });
        self.send(request, Bearer::Owner(owner)).await
    }

    /// `POST /v1/tenants/{id}/portal`, as the tenant's owner: the portal's URL.
    pub async fn portal(
        &self,
        owner: &OwnerToken,
        tenant: TenantId,
        return_url: &str,
    ) -> Result<String, BillingError> {
        let request = self
            .http
            .post(format!("{}/v1/tenants/{tenant}/portal", self.base))
            .json(&PortalBody { return_url });
        let link: PortalLink = self.send(request, Bearer::Owner(owner)).await?;
        Ok(link.url)
    }

    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        bearer: Bearer<'_>,
    ) -> Result<T, BillingError> {
        let request = match bearer {
            Bearer::Service => request.bearer_auth(self.service_tokens.bearer().await?),
            Bearer::Owner(token) => request.bearer_auth(token.as_str()),
            Bearer::Public => request,
        };
        let response = request.send().await.map_err(BillingError::Unreachable)?;
        let status = response.status();
        if status.is_success() {
            return response.json().await.map_err(BillingError::Unreadable);
        }
        if status == StatusCode::UNAUTHORIZED && matches!(bearer, Bearer::Service) {
            // Perhaps its key was revoked: the next call mints a fresh one.
            self.service_tokens.forget().await;
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
