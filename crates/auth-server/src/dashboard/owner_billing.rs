//! An owner's view of, and actions on, their tenant's billing: each call
//! mints a `billing:manage` token for that owner and that tenant only and
//! asks billing. Billing's refusals the owner can act on become their own
//! errors; anything else (down, 5xx, an unreadable answer) is "unavailable".
use std::sync::Arc;

use url::Url;

use crate::billing_link::client::{
    Account, BillingClient, BillingError, CheckoutOutcome, Invoice, PlanList, Subscription,
};
use service_kit::mail::check_email;

use crate::billing_link::service_token::ServiceTokens;
use crate::domain::tenant::{Tenant, TenantId};
use crate::domain::user::UserId;

/// Where the dashboard shows a tenant's billing: `/dashboard/t/{slug}/billing`.
pub fn billing_path(slug: &str) -> String {
    format!("/dashboard/t/{slug}/billing")
}

#[derive(Debug, thiserror::Error)]
pub enum OwnerBillingError {
    /// No `AUTH_BILLING_URL`: this installation has no billing at all.
    #[error("billing is off (no AUTH_BILLING_URL)")]
    Off,
    /// Billing runs without Stripe (`409 billing-not-configured`).
    #[error("billing is not configured on this installation")]
    NotConfigured,
    /// `422 plan-not-purchasable`, or a plan name that cannot be one.
    #[error("this plan cannot be bought online")]
    NotPurchasable,
    /// `409 no-subscription`: nothing to manage in the portal yet.
    #[error("the tenant has no subscription")]
    NoSubscription,
    /// An address billing cannot send to: refused here (empty, too long, no
    /// `@`) or by billing (`422 invalid-input`).
    #[error("not an email address billing can send to")]
    InvalidEmail,
    #[error("billing is unavailable: {0}")]
    Unavailable(String),
}

impl From<BillingError> for OwnerBillingError {
    fn from(e: BillingError) -> Self {
        match &e {
            BillingError::Refused { status: 409, code } if code == "billing-not-configured" => {
                Self::NotConfigured
            }
            BillingError::Refused { status: 422, code } if code == "plan-not-purchasable" => {
                Self::NotPurchasable
            }
            BillingError::Refused { status: 409, code } if code == "no-subscription" => {
                Self::NoSubscription
            }
            _ => Self::Unavailable(e.to_string()),
        }
    }
}

/// Everything the billing page shows.
#[derive(Debug, Clone)]
pub struct Overview {
    pub subscription: Subscription,
    pub invoices: Vec<Invoice>,
    pub plans: PlanList,
    /// Who receives the quota and payment emails.
    pub account: Account,
}

/// Where to send the browser after a billing action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Stripe's page (Checkout or the Customer Portal): an absolute http(s) URL.
    Stripe(Url),
    /// The subscription changed at once to this plan.
    Changed(String),
}

pub struct OwnerBilling {
    /// `None`: billing is off.
    client: Option<Arc<BillingClient>>,
    service_tokens: Arc<ServiceTokens>,
    public_url: Url,
    /// The only origins an owner is sent to for payment.
    payment_origins: Vec<Url>,
}

impl OwnerBilling {
    pub fn new(
        client: Option<Arc<BillingClient>>,
        service_tokens: Arc<ServiceTokens>,
        public_url: Url,
        payment_origins: Vec<Url>,
    ) -> Self {
        Self {
            client,
            service_tokens,
            public_url,
            payment_origins,
        }
    }

    pub fn is_on(&self) -> bool {
        self.client.is_some()
    }

    /// The subscription, invoices, account and plans, asked together.
    pub async fn overview(
        &self,
        owner: UserId,
        tenant: TenantId,
    ) -> Result<Overview, OwnerBillingError> {
        let client = self.client()?;
        let token = self.token(owner, tenant).await?;
        let (subscription, invoices, account, plans) = tokio::try_join!(
            client.subscription(&token, tenant),
            client.invoices(&token, tenant),
            client.account(&token, tenant),
            client.plans(),
        )?;
        Ok(Overview {
            subscription,
            invoices,
            plans,
            account,
        })
    }

    /// Subscribe to `plan` or switch to it. Stripe sends the browser back to
    /// the tenant's billing page on this server.
    pub async fn checkout(
        &self,
        owner: UserId,
        tenant: &Tenant,
        plan: &str,
    ) -> Result<Next, OwnerBillingError> {
        let client = self.client()?;
        if !is_plan_id(plan) {
            return Err(OwnerBillingError::NotPurchasable);
        }
        let page = self.page_url(tenant);
        let success = format!("{page}?checkout=success");
        let cancel = format!("{page}?checkout=cancelled");
        let token = self.token(owner, tenant.id).await?;
        match client
            .checkout(&token, tenant.id, plan, &success, &cancel)
            .await?
        {
            CheckoutOutcome::Checkout { url, .. } => {
                stripe_url(&url, &self.payment_origins).map(Next::Stripe)
            }
            CheckoutOutcome::Changed { plan, .. } => Ok(Next::Changed(plan)),
        }
    }

    /// Stripe's Customer Portal of the tenant (card, invoices, cancellation).
    pub async fn portal(&self, owner: UserId, tenant: &Tenant) -> Result<Url, OwnerBillingError> {
        let client = self.client()?;
        let token = self.token(owner, tenant.id).await?;
        let url = client
            .portal(&token, tenant.id, &self.page_url(tenant))
            .await?;
        stripe_url(&url, &self.payment_origins)
    }

    /// Where the billing page's forms may send the browser (its CSP).
    pub fn payment_origins(&self) -> &[Url] {
        &self.payment_origins
    }

    /// Sends the tenant's quota and payment emails to `email` (trimmed);
    /// obviously bad input never reaches billing.
    pub async fn set_owner_email(
        &self,
        owner: UserId,
        tenant: &Tenant,
        email: &str,
    ) -> Result<(), OwnerBillingError> {
        let client = self.client()?;
        let email = email.trim();
        if check_email(email).is_err() {
            return Err(OwnerBillingError::InvalidEmail);
        }
        let token = self.token(owner, tenant.id).await?;
        match client.set_owner_email(&token, tenant.id, email).await {
            Ok(_) => Ok(()),
            Err(BillingError::Refused { status: 422, code }) if code == "invalid-input" => {
                Err(OwnerBillingError::InvalidEmail)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// `{PUBLIC_URL}/dashboard/t/{slug}/billing`.
    fn page_url(&self, tenant: &Tenant) -> String {
        let base = self.public_url.as_str().trim_end_matches('/');
        format!("{base}{}", billing_path(tenant.slug.as_ref()))
    }

    fn client(&self) -> Result<&BillingClient, OwnerBillingError> {
        self.client.as_deref().ok_or(OwnerBillingError::Off)
    }

    async fn token(
        &self,
        owner: UserId,
        tenant: TenantId,
    ) -> Result<crate::billing_link::service_token::OwnerToken, OwnerBillingError> {
        self.service_tokens
            .owner_token(owner, tenant)
            .await
            .map_err(|e| OwnerBillingError::Unavailable(format!("owner token: {e}")))
    }
}

/// Plan ids are short lowercase words (`starter`, `pro`).
fn is_plan_id(plan: &str) -> bool {
    (1..=32).contains(&plan.len())
        && plan
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// A URL billing gave to send the browser to: absolute http(s), on one of
/// the payment origins (no open redirect, even through billing).
fn stripe_url(text: &str, origins: &[Url]) -> Result<Url, OwnerBillingError> {
    Url::parse(text)
        .ok()
        .filter(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some())
        .filter(|u| origins.iter().any(|o| o.origin() == u.origin()))
        .ok_or_else(|| {
            OwnerBillingError::Unavailable(format!(
                "billing gave a URL outside AUTH_PAYMENT_ORIGINS: {}",
                text.chars().take(200).collect::<String>()
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_plan_ids_are_sent() {
        assert!(is_plan_id("pro") && is_plan_id("starter"));
        assert!(!is_plan_id("") && !is_plan_id("Pro") && !is_plan_id("pro&x=1"));
        assert!(!is_plan_id(&"a".repeat(33)));
    }

    #[test]
    fn only_urls_on_a_payment_origin_are_followed() {
        let origins: Vec<Url> = crate::config::DEFAULT_PAYMENT_ORIGINS
            .split(',')
            .map(|o| Url::parse(o).expect("origin"))
            .collect();
        let follow = |u: &str| stripe_url(u, &origins).is_ok();
        assert!(follow("https://checkout.stripe.com/c/pay/cs_1"));
        assert!(follow("https://billing.stripe.com/p/session/bps_1"));
        assert!(!follow(
            "https://checkout.stripe.com.evil.example/c/pay/cs_1"
        ));
        assert!(!follow("http://checkout.stripe.com/c/pay/cs_1"));
        assert!(!follow("https://evil.example/"));
        assert!(!follow("javascript:alert(1)"));
        assert!(!follow("/relative"));
        assert!(!follow("data:text/html,x"));
    }

    #[test]
    fn billing_refusals_the_owner_can_act_on_are_told_apart() {
        let refused = |status, code: &str| {
            OwnerBillingError::from(BillingError::Refused {
                status,
                code: code.into(),
            })
        };
        assert!(matches!(
            refused(409, "billing-not-configured"),
            OwnerBillingError::NotConfigured
        ));
        assert!(matches!(
            refused(422, "plan-not-purchasable"),
            OwnerBillingError::NotPurchasable
        ));
        assert!(matches!(
            refused(409, "no-subscription"),
            OwnerBillingError::NoSubscription
        ));
        assert!(matches!(
            refused(502, "payment-provider"),
            OwnerBillingError::Unavailable(_)
        ));
    }
}
