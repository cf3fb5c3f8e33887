//! What a tenant's billing page reads: the subscription with what Stripe
//! knows, and one month of usage with the history.
use serde::Serialize;
use utoipa::ToSchema;

use super::{Billing, BillingError, Entitlements, UsageReport};
use crate::domain::month::Month;
use crate::domain::plan::PlanId;
use crate::domain::quota::Quota;
use crate::domain::tenant::TenantId;

/// The entitlements plus what Stripe knows.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ToSchema)]
pub struct SubscriptionView {
    entitlements: Entitlements,
    /// The plan subscribed to, which may differ from the plan in force after
    /// an unpaid grace period.
    subscribed_plan: PlanId,
    /// Stripe's subscription id (`sub_…`), if any.
    stripe_subscription_id: Option<String>,
    /// Whether plans can be bought here (false without a Stripe key).
    checkout_available: bool,
}

/// One month of usage and the history.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ToSchema)]
pub struct UsageView {
    /// The month asked for, `YYYY-MM`.
    #[schema(example = "2026-11")]
    month: String,
    /// Monthly active users counted in that month.
    mau: u64,
    /// The limit of the plan in force now; `null`: no limit.
    mau_limit: Option<u64>,
    /// `mau` in percent of `mau_limit`, rounded down.
    usage_percent: Option<u64>,
    /// The entitlements of this month.
    current: Entitlements,
    /// Monthly counts, newest first, at most 24 months.
    history: Vec<UsageReport>,
}

impl Billing {
    /// The subscription as stored (Free when none is), its entitlements and
    /// whether plans can be bought here.
    pub async fn subscription_view(
        &self,
        tenant: TenantId,
    ) -> Result<SubscriptionView, BillingError> {
        let s = self.subscription(tenant).await?;
        let entitlements = self.entitlements_for(&s).await?;
        Ok(SubscriptionView {
            entitlements,
            subscribed_plan: s.plan,
            stripe_subscription_id: s.stripe_subscription_id,
            checkout_available: self.stripe_configured(),
        })
    }

    /// `month` (default: this one) against the limit of the plan in force
    /// now, and up to 24 months of counts.
    pub async fn usage_view(
        &self,
        tenant: TenantId,
        month: Option<Month>,
    ) -> Result<UsageView, BillingError> {
        let history = self.usage_history(tenant).await?;
        let current = self.entitlements(tenant).await?;
        let month = month.map_or_else(|| current.month.clone(), |m| m.to_string());
        let mau = history
            .iter()
            .find(|h| h.month == month)
            .map_or(0, |h| h.mau);
        let quota = Quota {
            used: mau,
            limit: current.mau_limit,
            hard_limit_percent: 0,
        };
        Ok(UsageView {
            month,
            mau,
            mau_limit: current.mau_limit,
            usage_percent: quota.percent(),
            current,
            history,
        })
    }
}
