//! What a tenant may do this month: its plan in force, its usage against
//! the limit, and whether new signups are open.
use serde::Serialize;
use utoipa::ToSchema;

use super::{Billing, BillingError};
use crate::domain::month::Month;
use crate::domain::plan::PlanId;
use crate::domain::quota::{Quota, Warning};
use crate::domain::subscription::Subscription;
use crate::domain::tenant::TenantId;

/// The answer of `GET /v1/tenants/{id}/entitlements`, cached by the auth server.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ToSchema)]
pub struct Entitlements {
    /// The auth server's tenant id (a UUID).
    #[schema(example = "6f1c1d3e-8a3b-4c1f-9d2e-2b7a4c5d6e7f")]
    pub tenant_id: String,
    /// The plan in force (Free once a grace period has run out).
    pub plan: PlanId,
    #[schema(example = "Pro")]
    pub plan_name: &'static str,
    /// The features of the plan in force.
    pub features: &'static [&'static str],
    /// Stripe's status word, or `active` for a manual or default plan.
    #[schema(example = "active")]
    pub status: String,
    /// `stripe` or `manual`.
    #[schema(example = "stripe")]
    pub source: &'static str,
    /// This UTC month, `YYYY-MM`.
    #[schema(example = "2026-11")]
    pub month: String,
    /// Monthly active users counted this month.
    pub mau_used: u64,
    /// Monthly active users included; `null`: no limit (Enterprise without a figure).
    pub mau_limit: Option<u64>,
    /// The count at which new signups are refused (`mau_limit` × the hard-limit percentage).
    pub hard_limit: Option<u64>,
    /// `mau_used` in percent of `mau_limit`, rounded down; `null` without a limit.
    pub usage_percent: Option<u64>,
    pub warning: Warning,
    /// False at the hard limit: the auth server refuses new signups of the tenant.
    pub signups_allowed: bool,
    /// From 80 %: the smallest bigger plan that fits the usage plus a quarter.
    pub suggested_plan: Option<PlanId>,
    /// After a failed payment: when the plan falls back to Free (unix seconds).
    pub grace_until: Option<i64>,
    /// The end of the current Stripe billing period (unix seconds).
    pub current_period_end: Option<i64>,
    /// Whether the Stripe subscription ends at the end of the period.
    pub cancel_at_period_end: bool,
}

/// One month of one tenant's usage.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ToSchema)]
pub struct UsageReport {
    /// `YYYY-MM`, UTC.
    #[schema(example = "2026-11")]
    pub month: String,
    /// Monthly active users counted in that month.
    pub mau: u64,
}

impl Billing {
    pub async fn subscription(&self, tenant: TenantId) -> Result<Subscription, BillingError> {
        let now = self.now();
        Ok(self
            .subscriptions
            .get(tenant)
            .await?
            .unwrap_or_else(|| Subscription::free(tenant, now)))
    }

    pub async fn entitlements(&self, tenant: TenantId) -> Result<Entitlements, BillingError> {
        let subscription = self.subscription(tenant).await?;
        self.entitlements_for(&subscription).await
    }

    /// The entitlements of a subscription already read.
    pub async fn entitlements_for(
        &self,
        subscription: &Subscription,
    ) -> Result<Entitlements, BillingError> {
        let now = self.now();
        let month = Month::of(now).map_err(|e| BillingError::Invalid(e.to_string()))?;
        let used = self.usage.count(subscription.tenant_id, month).await?;
        Ok(entitlements_of(
            subscription,
            month,
            used,
            self.quotas.hard_limit_percent,
            now,
        ))
    }

    /// Monthly counts, newest first (at most 24 months).
    pub async fn usage_history(&self, tenant: TenantId) -> Result<Vec<UsageReport>, BillingError> {
        Ok(self
            .usage
            .history(tenant, 24)
            .await?
            .into_iter()
            .map(|(month, mau)| UsageReport {
                month: month.to_string(),
                mau,
            })
            .collect())
    }
}

/// Entitlements from a stored subscription and a month's count (no I/O).
pub fn entitlements_of(
    s: &Subscription,
    month: Month,
    used: u64,
    hard_limit_percent: u32,
    now: i64,
) -> Entitlements {
    let plan = s.effective_plan(now);
    let quota = Quota {
        used,
        limit: s.mau_limit(now),
        hard_limit_percent,
    };
    Entitlements {
        tenant_id: s.tenant_id.to_string(),
        plan,
        plan_name: plan.plan().name,
        features: plan.plan().features,
        status: s.status.clone(),
        source: s.source.as_str(),
        month: month.to_string(),
        mau_used: used,
        mau_limit: quota.limit,
        hard_limit: quota.hard_limit(),
        usage_percent: quota.percent(),
        warning: quota.warning(),
        signups_allowed: quota.signups_allowed(),
        suggested_plan: quota.suggestion(plan),
        grace_until: s.grace_until,
        current_period_end: s.current_period_end,
        cancel_at_period_end: s.cancel_at_period_end,
    }
}
