//! The platform operators' daily report across tenants (the management API
//! `GET /manage/v1/reports/operator`, `connectauth report operator` and the
//! operators' daily mail read it): each tenant's day, its active users
//! month over month, its plan use as billing tells it, and the mails it
//! was sent, put together by `domain::operator_report`.
use std::collections::HashMap;
use std::sync::Arc;

use service_kit::clock::SharedClock;

use crate::billing_link::client::BillingClient;
use crate::domain::operator_report::{
    activity_periods, Activity, Inputs, OperatorReport, PlanUse, TenantName,
};
use crate::domain::security_report::{DayError, ReportDay};
use crate::domain::tenant::{TenantId, PLATFORM_SLUG};
use crate::store::operator_report::OperatorReportStore;
use crate::store::StoreError;

pub struct OperatorReports {
    store: OperatorReportStore,
    /// Plans and their use; `None`: billing is off (no plan is shown).
    billing: Option<Arc<BillingClient>>,
    clock: SharedClock,
}

impl OperatorReports {
    pub fn new(
        store: OperatorReportStore,
        billing: Option<Arc<BillingClient>>,
        clock: SharedClock,
    ) -> Self {
        Self {
            store,
            billing,
            clock,
        }
    }

    /// The day asked for: `text` (`YYYY-MM-DD`, one of the last 30 days),
    /// or yesterday without one.
    pub fn day(&self, text: Option<&str>) -> Result<ReportDay, DayError> {
        ReportDay::asked(text, self.clock.now())
    }

    /// The report of `day`.
    pub async fn of_day(&self, day: ReportDay) -> Result<OperatorReport, StoreError> {
        let tenants = self.store.tenants(PLATFORM_SLUG).await?;
        let counts = self.store.event_counts(day).await?;
        let (previous, last, end) = activity_periods(day);
        let recent = self.store.active_users(last, end).await?;
        let before = self.store.active_users(previous, last).await?;
        let activity: HashMap<String, Activity> = tenants
            .iter()
            .map(|t| {
                let a = Activity {
                    last_30_days: recent.get(&t.id).copied().unwrap_or(0),
                    previous_30_days: before.get(&t.id).copied().unwrap_or(0),
                };
                (t.id.clone(), a)
            })
            .collect();
        let plans = self.plans(&tenants).await;
        let reports_mailed = self.store.security_reports_mailed(day).await?;
        Ok(OperatorReport::compute(&Inputs {
            day,
            tenants: &tenants,
            counts: &counts,
            activity: &activity,
            plans: &plans,
            reports_mailed: &reports_mailed,
        }))
    }

    /// The analyst's summary of `day`'s report, written when it was mailed.
    pub async fn summary(&self, day: ReportDay) -> Result<Option<String>, StoreError> {
        self.store.summary(day).await
    }

    /// Records that `day`'s report is mailed; false when it already was.
    pub async fn claim_mail(&self, day: ReportDay) -> Result<bool, StoreError> {
        self.store.claim_mail(day, self.clock.now()).await
    }

    pub async fn keep_summary(&self, day: ReportDay, summary: &str) -> Result<(), StoreError> {
        self.store.set_summary(day, summary).await
    }

    /// Each tenant's plan use, asked of billing one tenant at a time (this
    /// month's, whatever the day); billing off or failing: none, the first
    /// failure ends the asking (logged).
    async fn plans(&self, tenants: &[TenantName]) -> HashMap<String, PlanUse> {
        let mut plans = HashMap::new();
        let Some(billing) = &self.billing else {
            return plans;
        };
        for t in tenants {
            let Ok(id) = TenantId::parse(&t.id) else {
                continue;
            };
            match billing.entitlements(id).await {
                Ok(e) => {
                    plans.insert(
                        t.id.clone(),
                        PlanUse {
                            plan: e.plan,
                            mau_used: e.mau_used,
                            mau_limit: e.mau_limit,
                            warning: e.warning,
                        },
                    );
                }
                Err(e) => {
                    tracing::warn!(error = %e, "operator report without plans: billing did not answer");
                    break;
                }
            }
        }
        plans
    }
}
