//! The sentinel's daily security report of a tenant (the console page and
//! the owners' daily mail read it): that day's audit events and the
//! tenant's second-factor adoption, counted by `domain::security_report`.
use service_kit::clock::SharedClock;

use crate::domain::security_report::{DayError, ReportDay, SecurityReport};
use crate::domain::tenant::TenantId;
use crate::store::security_report::SecurityReportStore;
use crate::store::StoreError;

pub struct SecurityReports {
    store: SecurityReportStore,
    clock: SharedClock,
}

impl SecurityReports {
    pub fn new(store: SecurityReportStore, clock: SharedClock) -> Self {
        Self { store, clock }
    }

    /// The day a report asks for: `text` (`YYYY-MM-DD`, one of the last
    /// days), or yesterday without one.
    pub fn day(&self, text: Option<&str>) -> Result<ReportDay, DayError> {
        let now = self.clock.now();
        match text {
            None => Ok(ReportDay::yesterday(now)),
            Some(text) => ReportDay::parse_recent(text, now),
        }
    }

    /// The tenant's report of `day`.
    pub async fn of_day(
        &self,
        tenant: TenantId,
        day: ReportDay,
    ) -> Result<SecurityReport, StoreError> {
        let events = self.store.events(tenant, day).await?;
        let mfa = self.store.mfa_adoption(tenant).await?;
        Ok(SecurityReport::compute(day, &events, mfa))
    }
}
