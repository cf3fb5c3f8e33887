//! What an operator sets by hand, through the API or `connectauth billing`:
//! the manual plan (offline mode, Enterprise contracts) and the owner's
//! address. [`ManualPlans`] needs only the billing database: the billing
//! service holds one, and the command line, which builds no service (no
//! Stripe, no mail), builds its own.
use service_kit::clock::SharedClock;

use super::{entitlements_of, BillingError, Entitlements};
use crate::config::QuotaSettings;
use crate::domain::month::Month;
use crate::domain::plan::PlanId;
use crate::domain::subscription::{Source, Subscription};
use crate::domain::tenant::TenantId;
use crate::store::accounts::AccountStore;
use crate::store::subscriptions::SubscriptionStore;
use crate::store::usage::UsageStore;

/// A tenant's billing as an operator reads it.
#[derive(Debug, Clone)]
pub struct Standing {
    /// As stored (its plan may have lapsed: `entitlements.plan` is in force).
    pub subscription: Subscription,
    pub entitlements: Entitlements,
    pub owner_email: Option<String>,
}

/// The operator's use case over the billing database alone.
pub struct ManualPlans {
    accounts: AccountStore,
    subscriptions: SubscriptionStore,
    usage: UsageStore,
    clock: SharedClock,
    quotas: QuotaSettings,
}

impl ManualPlans {
    pub fn new(pool: sqlx::AnyPool, clock: SharedClock, quotas: QuotaSettings) -> Self {
        Self {
            accounts: AccountStore::new(pool.clone()),
            subscriptions: SubscriptionStore::new(pool.clone()),
            usage: UsageStore::new(pool),
            clock,
            quotas,
        }
    }

    /// The subscription (Free when none is stored), this month's
    /// entitlements and who gets the quota mail.
    pub async fn standing(&self, tenant: TenantId) -> Result<Standing, BillingError> {
        let now = self.clock.now();
        let month = Month::of(now).map_err(|e| BillingError::Invalid(e.to_string()))?;
        let subscription = self
            .subscriptions
            .get(tenant)
            .await?
            .unwrap_or_else(|| Subscription::free(tenant, now));
        let used = self.usage.count(tenant, month).await?;
        let owner_email = self.accounts.get(tenant).await?.owner_email;
        let entitlements = entitlements_of(
            &subscription,
            month,
            used,
            self.quotas.hard_limit_percent,
            now,
        );
        Ok(Standing {
            subscription,
            entitlements,
            owner_email,
        })
    }

    /// Puts the tenant on `plan` by hand. Refused while the tenant pays
    /// through Stripe (that subscription is changed or cancelled there); a
    /// custom limit is for Enterprise only. The check is made under the
    /// tenant's lock, in the write: a Stripe subscription committed by a
    /// webhook meanwhile is seen, never overwritten.
    pub async fn set_plan(
        &self,
        tenant: TenantId,
        plan: PlanId,
        mau_limit: Option<u64>,
    ) -> Result<Subscription, BillingError> {
        if mau_limit.is_some() && plan != PlanId::Enterprise {
            return Err(BillingError::Invalid(
                "a custom limit is for the Enterprise plan only".into(),
            ));
        }
        let now = self.clock.now();
        let changed = self
            .subscriptions
            .change(tenant, now, |before| {
                if before.is_some_and(Subscription::has_live_stripe_subscription) {
                    return None;
                }
                Some(Subscription {
                    plan,
                    status: "active".into(),
                    source: Source::Manual,
                    mau_limit,
                    // Later reads from Stripe are still ordered after earlier ones.
                    stripe_read: before.and_then(|b| b.stripe_read),
                    ..Subscription::free(tenant, now)
                })
            })
            .await?;
        changed.map(|c| c.after).ok_or_else(|| {
            BillingError::Invalid(
                "the tenant pays through Stripe: change or cancel that subscription first".into(),
            )
        })
    }

    /// Sets (or, with `None`, clears) who receives quota and payment mail.
    pub async fn set_owner_email(
        &self,
        tenant: TenantId,
        email: Option<&str>,
    ) -> Result<(), BillingError> {
        if let Some(email) = email {
            check_owner_email(email)?;
        }
        let now = self.clock.now();
        Ok(self.accounts.set_owner_email(tenant, email, now).await?)
    }
}

/// Whether `email` may receive quota and payment mail.
pub fn check_owner_email(email: &str) -> Result<(), BillingError> {
    if service_kit::mail::check_email(email).is_ok() {
        Ok(())
    } else {
        Err(BillingError::Invalid(
            "owner_email is not an email address".into(),
        ))
    }
}
