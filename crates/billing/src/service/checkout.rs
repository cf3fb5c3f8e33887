//! Subscribing, upgrading and managing payment: Stripe Checkout for a first
//! subscription, a price change for an existing one, the Customer Portal for
//! the card and cancellation; and the operator's manual plan.
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::{Billing, BillingError};
use crate::domain::invoice::Invoice;
use crate::domain::plan::PlanId;
use crate::domain::subscription::{apply_stripe_view, StripeView, Subscription, SECONDS_PER_DAY};
use crate::domain::tenant::TenantId;
use crate::stripe::{CheckoutRequest, SubscriptionSnapshot};

pub struct CheckoutParams {
    pub plan: PlanId,
    pub success_url: String,
    pub cancel_url: String,
}

/// What a checkout request did, told apart by `outcome`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum CheckoutOutcome {
    /// No subscription yet: send the browser to Stripe Checkout.
    Checkout {
        /// Stripe's Checkout Session id (`cs_…`).
        session_id: String,
        /// Where to send the browser.
        url: String,
    },
    /// The existing subscription now has the new plan's price.
    Changed {
        plan: PlanId,
        /// Stripe's status of the subscription.
        status: String,
    },
}

/// A return address for Stripe pages: absolute http(s), no credentials.
pub fn check_return_url(field: &str, url: &str) -> Result<(), BillingError> {
    let bad = |why: &str| BillingError::Invalid(format!("{field}: {why}"));
    if url.len() > 2_048 {
        return Err(bad("at most 2048 characters"));
    }
    let parsed = url::Url::parse(url).map_err(|_| bad("not an absolute URL"))?;
    if !matches!(parsed.scheme(), "https" | "http") || parsed.host().is_none() {
        return Err(bad("must be an http(s) URL"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad("must not carry credentials"));
    }
    Ok(())
}

/// The idempotency key of a Checkout session: the same for the same request
/// (tenant, customer, plan, return addresses) over the same stored state on
/// the same UTC day. Two tabs or two clicks before the first payment is
/// known get the one session Stripe made for the first, so the tenant
/// cannot pay twice; once the state changes (a subscription ends, an
/// operator sets a plan) or the day turns, a new session is made. Stripe
/// keeps a key for at least 24 hours and a session stays open for 24 hours,
/// so a session handed out again is still open.
fn checkout_key(
    tenant: TenantId,
    customer: &str,
    params: &CheckoutParams,
    stored: Option<&Subscription>,
    now: i64,
) -> String {
    let state = stored.map(|s| {
        (
            s.updated_at,
            s.status.as_str(),
            s.stripe_subscription_id.as_deref(),
        )
    });
    let request = format!(
        "{customer}\n{}\n{}\n{state:?}",
        params.success_url, params.cancel_url
    );
    let digest = Sha256::digest(request.as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    let day = now.div_euclid(SECONDS_PER_DAY);
    format!("connectauth-checkout-{tenant}-{}-{day}-{hex}", params.plan)
}

impl Billing {
    pub async fn checkout(
        &self,
        tenant: TenantId,
        params: &CheckoutParams,
    ) -> Result<CheckoutOutcome, BillingError> {
        check_return_url("success_url", &params.success_url)?;
        check_return_url("cancel_url", &params.cancel_url)?;
        let stripe = self.stripe()?;
        if !params.plan.plan().self_serve {
            return Err(BillingError::NotPurchasable(params.plan));
        }
        let now = self.now();
        let stored = self.subscriptions.get(tenant).await?;
        let current = stored
            .clone()
            .unwrap_or_else(|| Subscription::free(tenant, now));
        if current.has_live_stripe_subscription() {
            return self.change_plan(tenant, &current, params.plan).await;
        }
        let customer = self.ensure_customer(tenant).await?;
        let key = checkout_key(tenant, &customer, params, stored.as_ref(), now);
        let link = stripe
            .gateway
            .create_checkout_session(&CheckoutRequest {
                tenant_id: &tenant.to_string(),
                customer_id: &customer,
                plan: params.plan,
                success_url: &params.success_url,
                cancel_url: &params.cancel_url,
                idempotency_key: &key,
            })
            .await?;
        Ok(CheckoutOutcome::Checkout {
            session_id: link.id,
            url: link.url,
        })
    }

    async fn change_plan(
        &self,
        tenant: TenantId,
        current: &Subscription,
        plan: PlanId,
    ) -> Result<CheckoutOutcome, BillingError> {
        let stripe = self.stripe()?;
        let subscription_id = current
            .stripe_subscription_id
            .as_deref()
            .ok_or(BillingError::NoSubscription)?;
        let price = stripe.gateway.price_for(plan).await?;
        if current.stripe_price_id.as_deref() == Some(price.as_str()) {
            return Err(BillingError::Invalid(format!(
                "the tenant is already on the {} plan",
                plan.plan().name
            )));
        }
        // The same change asked again before anything else changed reuses
        // the key, so Stripe applies it once.
        let key = format!(
            "connectauth-change-{subscription_id}-{price}-{}",
            current.updated_at
        );
        // Stripe's answer is a read of the subscription: it is stored by the
        // webhooks' rule, so a cancellation read after it is not undone.
        let read = self.accounts.begin_stripe_read(tenant, self.now()).await?;
        let snapshot = stripe
            .gateway
            .change_price(subscription_id, &price, &key)
            .await?;
        let now = self.now();
        let view = self.view_of(&snapshot).await?;
        let grace_days = self.quotas.grace_days;
        let stored = match self
            .subscriptions
            .change(tenant, now, |before| {
                apply_stripe_view(before.unwrap_or(current), &view, read, now, grace_days)
            })
            .await?
        {
            Some(change) => change.after,
            None => self.subscription(tenant).await?,
        };
        tracing::info!(%tenant, plan = %stored.plan, "subscription price changed");
        Ok(CheckoutOutcome::Changed {
            plan: stored.effective_plan(now),
            status: stored.status,
        })
    }

    /// The tenant's Stripe customer, created once (idempotency key per tenant).
    async fn ensure_customer(&self, tenant: TenantId) -> Result<String, BillingError> {
        let account = self.accounts.get(tenant).await?;
        if let Some(id) = account.stripe_customer_id {
            return Ok(id);
        }
        let id = self
            .stripe()?
            .gateway
            .create_customer(
                &tenant.to_string(),
                &format!("ConnectAuth tenant {tenant}"),
                account.owner_email.as_deref(),
            )
            .await?;
        Ok(self
            .accounts
            .attach_customer(tenant, &id, self.now())
            .await?)
    }

    /// A Customer Portal session (card, invoices, cancellation).
    pub async fn portal(&self, tenant: TenantId, return_url: &str) -> Result<String, BillingError> {
        check_return_url("return_url", return_url)?;
        let stripe = self.stripe()?;
        let customer = self
            .accounts
            .get(tenant)
            .await?
            .stripe_customer_id
            .ok_or(BillingError::NoSubscription)?;
        Ok(stripe
            .gateway
            .create_portal_session(&customer, return_url)
            .await?)
    }

    /// The plan the price of a subscription stands for.
    pub(super) async fn view_of(
        &self,
        snapshot: &SubscriptionSnapshot,
    ) -> Result<StripeView, BillingError> {
        let stripe = self.stripe()?;
        let mut plan = None;
        if let Some(price) = snapshot.price_id.as_deref() {
            for candidate in [PlanId::Starter, PlanId::Pro] {
                if stripe.gateway.price_for(candidate).await? == price {
                    plan = Some(candidate);
                }
            }
            if plan.is_none() {
                tracing::warn!(price, "a subscription has a price billing does not sell");
            }
        }
        Ok(StripeView {
            subscription_id: snapshot.id.clone(),
            status: snapshot.status.clone(),
            plan,
            price_id: snapshot.price_id.clone(),
            current_period_end: snapshot.current_period_end,
            cancel_at_period_end: snapshot.cancel_at_period_end,
        })
    }

    pub async fn owner_email(&self, tenant: TenantId) -> Result<Option<String>, BillingError> {
        Ok(self.accounts.get(tenant).await?.owner_email)
    }

    pub async fn invoices(&self, tenant: TenantId) -> Result<Vec<Invoice>, BillingError> {
        Ok(self.invoices.list(tenant, 100).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_000_000;

    fn params(plan: PlanId) -> CheckoutParams {
        CheckoutParams {
            plan,
            success_url: "https://dashboard.example.com/ok".into(),
            cancel_url: "https://dashboard.example.com/".into(),
        }
    }

    #[test]
    fn the_same_checkout_over_the_same_state_has_one_key() {
        let tenant = TenantId::parse("6f1c1d3e-8a3b-4c1f-9d2e-2b7a4c5d6e7f").expect("tenant");
        let key = |plan, stored: Option<&Subscription>, now| {
            checkout_key(tenant, "cus_1", &params(plan), stored, now)
        };
        let first = key(PlanId::Starter, None, NOW);
        assert_eq!(
            first,
            key(PlanId::Starter, None, NOW + 60),
            "a second click"
        );
        assert!(first.len() <= 255, "Stripe's limit");
        let ended = Subscription {
            status: "canceled".into(),
            stripe_subscription_id: Some("sub_1".into()),
            ..Subscription::free(tenant, NOW)
        };
        for other in [
            key(PlanId::Pro, None, NOW),
            key(PlanId::Starter, Some(&ended), NOW),
            key(PlanId::Starter, None, NOW + SECONDS_PER_DAY),
            checkout_key(tenant, "cus_2", &params(PlanId::Starter), None, NOW),
        ] {
            assert_ne!(first, other);
        }
    }
}
