//! What a tenant may do this month: its plan in force, its usage against
//! the limit, and whether new signups are open.
use serde::Serialize;

use super::{Billing, BillingError};
use crate::domain::month::Month;
use crate::domain::plan::PlanId;
use crate::domain::quota::{Quota, Warning};
use crate::domain::subscription::Subscription;
use crate::domain::tenant::TenantId;

/// The answer of `GET /v1/tenants/{id}/entitlements`, cached by the auth server.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Entitlements {
    pub tenant_id: String,
    /// The plan in force (Free once a grace period has run out).
    pub plan: PlanId,
    pub plan_name: &'static str,
    pub features: &'static [&'static str],
    /// Stripe's status word, or `active` for a manual or default plan.
    pub status: String,
    pub source: &'static str,
    pub month: String,
    pub mau_used: u64,
    pub mau_limit: Option<u64>,
    pub hard_limit: Option<u64>,
    pub usage_percent: Option<u64>,
    pub warning: Warning,
    pub signups_allowed: bool,
    pub suggested_plan: Option<PlanId>,
    pub grace_until: Option<i64>,
    pub current_period_end: Option<i64>,
    pub cancel_at_period_end: bool,
}

/// One month of one tenant's usage.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct UsageReport {
    pub month: String,
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
        let now = self.now();
        let month = Month::of(now).map_err(|e| BillingError::Invalid(e.to_string()))?;
        let subscription = self.subscription(tenant).await?;
        let used = self.usage.count(tenant, month).await?;
        Ok(entitlements_of(
            &subscription,
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

pub(super) fn entitlements_of(
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
