//! The sentinel's daily security report of a tenant (the console page and
//! the owners' daily mail read it): that day's audit events and the
//! tenant's second-factor adoption, counted by `domain::security_report`;
//! and what the AI analyst wrote: the report's summary, incidents' notes.
use std::collections::HashMap;

use service_kit::clock::SharedClock;

use crate::domain::security_report::{DayError, ReportDay, SecurityReport};
use crate::domain::tenant::TenantId;
use crate::store::incident_notes::IncidentNoteStore;
use crate::store::security_report::SecurityReportStore;
use crate::store::StoreError;

pub struct SecurityReports {
    store: SecurityReportStore,
    notes: IncidentNoteStore,
    clock: SharedClock,
}

impl SecurityReports {
    pub fn new(store: SecurityReportStore, notes: IncidentNoteStore, clock: SharedClock) -> Self {
        Self {
            store,
            notes,
            clock,
        }
    }

    /// The day a report asks for: `text` (`YYYY-MM-DD`, one of the last
    /// days), or yesterday without one.
    pub fn day(&self, text: Option<&str>) -> Result<ReportDay, DayError> {
        ReportDay::asked(text, self.clock.now())
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

    /// The AI analyst's summary of the tenant's report of `day`, written
    /// when it was mailed (none: no analyst, or it wrote nothing).
    pub async fn summary(
        &self,
        tenant: TenantId,
        day: ReportDay,
    ) -> Result<Option<String>, StoreError> {
        self.store.summary(tenant, day).await
    }

    /// The AI analyst's triage notes of the tenant's incidents `ids`, by
    /// incident id (those it wrote).
    pub async fn incident_notes(
        &self,
        tenant: TenantId,
        ids: &[String],
    ) -> Result<HashMap<String, String>, StoreError> {
        self.notes.notes(tenant, ids).await
    }
}
