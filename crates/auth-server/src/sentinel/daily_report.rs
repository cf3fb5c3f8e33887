//! The sentinel's daily security report mailed to each tenant's owners
//! (role `owner`): yesterday's figures (`domain::security_report`) and a link
//! to the console page, once a day from `AUTH_SENTINEL_REPORT_HOUR` (UTC),
//! only for tenants with a login or sentinel event that day.
//!
//! Once across instances, twice over: the run holds the `scheduled_jobs`
//! lease and is due only when the last one finished before today's hour;
//! and each tenant's mail is recorded (`security_report_mails`) before it is
//! queued, so a run that an instance resumes after another one died, or a
//! restart, never mails a day twice.
//!
//! Then, when `AUTH_OPERATOR_EMAILS` names anyone, the platform operators'
//! report across tenants of the same day goes to them, once (recorded in
//! `operator_report_mails` the same way).
//!
//! With the AI analyst on, each mail opens with its summary of the day,
//! kept with the mail's record for the console page; without it (off,
//! failed, over budget) the mail is the same minus that paragraph.
use std::sync::Arc;
use std::time::Duration;

use service_kit::clock::SharedClock;
use service_kit::config::Loader;
use service_kit::db::Database;
use service_kit::periodic::{spawn_every, First};
use tokio::task::JoinHandle;

use crate::analyst::Analyst;
use crate::domain::security_report::{ReportDay, SecurityReport};
use crate::domain::team::Role;
use crate::domain::tenant::TenantId;
use crate::identity::Identity;
use crate::maintenance::leased_job::{self, LeasedJob};
use crate::manage::OperatorReports;
use crate::store::owners::OwnerStore;
use crate::store::security_report::SecurityReportStore;
use crate::store::tenants::TenantStore;

use super::SentinelError;

/// The job's row in `scheduled_jobs`.
pub const JOB: &str = "security_report";
/// How often each instance asks whether the report is due (the first time
/// at start): the mails leave within this of the hour.
pub const CHECK: Duration = Duration::from_secs(30);
/// How long a lease lasts without renewal: renewed before each tenant.
pub const LEASE_SECS: i64 = 5 * 60;
pub const DEFAULT_HOUR: u8 = 6;

/// `AUTH_SENTINEL_DAILY_REPORT` and `AUTH_SENTINEL_REPORT_HOUR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyReportSettings {
    /// `AUTH_SENTINEL_DAILY_REPORT` (`on`, the default, or `off`): whether
    /// this instance may mail the report.
    pub enabled: bool,
    /// `AUTH_SENTINEL_REPORT_HOUR` (0–23, default 6): the UTC hour from
    /// which the previous day's report is mailed.
    pub hour: u8,
}

impl Default for DailyReportSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            hour: DEFAULT_HOUR,
        }
    }
}

impl DailyReportSettings {
    pub fn read(loader: &mut Loader<'_>) -> Self {
        let enabled = loader.switch("AUTH_SENTINEL_DAILY_REPORT", true);
        let hour: u8 = loader.parse("AUTH_SENTINEL_REPORT_HOUR", DEFAULT_HOUR);
        if hour > 23 {
            loader.problem("AUTH_SENTINEL_REPORT_HOUR must be an hour of the day, 0 to 23 (UTC)");
        }
        Self {
            enabled,
            hour: hour.min(23),
        }
    }
}

/// The operators' report across tenants and who gets it
/// (`AUTH_OPERATOR_EMAILS`).
pub struct OperatorMail {
    pub reports: Arc<OperatorReports>,
    pub to: Vec<String>,
}

/// What one run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Run {
    /// Tenants whose owners were mailed.
    pub mailed: usize,
    /// Tenants with events but nothing to report, no owner, or already
    /// mailed.
    pub skipped: usize,
}

/// What [`DailyReport::run_if_due`] did (`Skipped`: before the hour, done
/// today already, or another instance runs it).
pub type Outcome = leased_job::Outcome<Run>;

pub struct DailyReport {
    lease: LeasedJob,
    reports: SecurityReportStore,
    tenants: TenantStore,
    owners: OwnerStore,
    identity: Arc<Identity>,
    /// Writes each report's summary, when configured.
    analyst: Option<Arc<Analyst>>,
    /// The operators' report across tenants, mailed after the tenants'.
    operator: Option<OperatorMail>,
    clock: SharedClock,
    hour: u8,
}

impl DailyReport {
    pub fn new(
        db: &Database,
        identity: Arc<Identity>,
        clock: SharedClock,
        settings: DailyReportSettings,
    ) -> Self {
        let pool = db.pool.clone();
        Self {
            lease: LeasedJob::new(pool.clone(), JOB, LEASE_SECS, clock.clone()),
            reports: SecurityReportStore::new(pool.clone()),
            tenants: TenantStore::with_clock(pool.clone(), clock.clone()),
            owners: OwnerStore::new(pool),
            identity,
            analyst: None,
            operator: None,
            clock,
            hour: settings.hour,
        }
    }

    /// The same job, with each report summarised by `analyst` (when some).
    pub fn with_analyst(self, analyst: Option<Arc<Analyst>>) -> Self {
        Self { analyst, ..self }
    }

    /// The same job, mailing the operators' report across tenants too,
    /// once the tenants' reports are mailed (so it can say which were).
    pub fn with_operator_report(self, operator: Option<OperatorMail>) -> Self {
        Self { operator, ..self }
    }

    /// Mails yesterday's reports when today's hour has come and no run
    /// finished since.
    pub async fn run_if_due(&self) -> Result<Outcome, SentinelError> {
        let now = self.clock.now();
        let due_at = ReportDay::of(now).start() + i64::from(self.hour) * 3600;
        if now < due_at {
            return Ok(Outcome::Skipped);
        }
        let day = ReportDay::yesterday(now);
        self.lease.run_if_due(due_at - 1, self.mail_day(day)).await
    }

    /// The tenants' reports, then the operators'.
    async fn mail_day(&self, day: ReportDay) -> Result<Outcome, SentinelError> {
        match self.mail_all(day).await? {
            Outcome::Done(run) if !self.mail_operators(day).await? => Ok(Outcome::Interrupted(run)),
            outcome => Ok(outcome),
        }
    }

    async fn mail_all(&self, day: ReportDay) -> Result<Outcome, SentinelError> {
        let mut run = Run::default();
        for tenant in self.reports.tenants_with_events(day).await? {
            if !self.lease.renew().await? {
                return Ok(Outcome::Interrupted(run));
            }
            if self.mail_one(tenant, day).await? {
                run.mailed += 1;
            } else {
                run.skipped += 1;
            }
        }
        Ok(Outcome::Done(run))
    }

    /// Mails the tenant's owners its report of `day`; false when the day was
    /// quiet, its mail is already recorded or it has no owner to mail.
    async fn mail_one(&self, tenant: TenantId, day: ReportDay) -> Result<bool, SentinelError> {
        let events = self.reports.events(tenant, day).await?;
        let mfa = self.reports.mfa_adoption(tenant).await?;
        let report = SecurityReport::compute(day, &events, mfa);
        if !report.has_activity() {
            return Ok(false);
        }
        let tenant = self.tenants.get(tenant).await?;
        let owners = self.owners.list(tenant.id).await?;
        let owners: Vec<_> = owners.iter().filter(|o| o.role == Role::Owner).collect();
        // Nobody to mail: no record either (the operators' report lists
        // the tenants whose report was mailed).
        if owners.is_empty()
            || !self
                .reports
                .claim_mail(tenant.id, day, self.clock.now())
                .await?
        {
            return Ok(false);
        }
        let summary = self.summary(&tenant, &report).await;
        let mut mailed = false;
        for owner in owners {
            match self.identity.send_security_report(
                &tenant,
                &owner.email,
                &report,
                summary.as_deref(),
            ) {
                Ok(()) => mailed = true,
                Err(e) => {
                    tracing::error!(error = %e, tenant = %tenant.slug, "security report mail not queued")
                }
            }
        }
        Ok(mailed)
    }

    /// Mails the operators' report of `day` to every operator address,
    /// unless it was mailed already (by this instance or another one);
    /// false when another instance took the lease meanwhile.
    async fn mail_operators(&self, day: ReportDay) -> Result<bool, SentinelError> {
        let Some(operator) = &self.operator else {
            return Ok(true);
        };
        if !self.lease.renew().await? {
            return Ok(false);
        }
        let report = operator.reports.of_day(day).await?;
        if !operator.reports.claim_mail(day).await? {
            return Ok(true);
        }
        let summary = match &self.analyst {
            Some(analyst) => analyst.operator_summary(&report).await,
            None => None,
        };
        if let Some(summary) = &summary {
            if let Err(e) = operator.reports.keep_summary(day, summary).await {
                tracing::warn!(error = %e, "operator report summary not kept");
            }
        }
        for to in &operator.to {
            if let Err(e) = self
                .identity
                .send_operator_report(to, &report, summary.as_deref())
            {
                tracing::error!(error = %e, "operator report mail not queued");
            }
        }
        Ok(true)
    }

    /// The analyst's summary of `report`, kept for the console page; `None`
    /// without an analyst or when it wrote nothing.
    async fn summary(
        &self,
        tenant: &crate::domain::tenant::Tenant,
        report: &SecurityReport,
    ) -> Option<String> {
        let summary = self.analyst.as_ref()?.report_summary(report).await?;
        if let Err(e) = self
            .reports
            .set_summary(tenant.id, report.day, &summary)
            .await
        {
            tracing::warn!(error = %e, tenant = %tenant.slug, "report summary not kept for the console");
        }
        Some(summary)
    }

    /// Runs [`DailyReport::run_if_due`] every [`CHECK`] until the server stops.
    pub fn spawn(self: Arc<Self>) -> JoinHandle<()> {
        spawn_every("security_report", CHECK, First::Now, move || {
            let job = self.clone();
            async move {
                match job.run_if_due().await {
                    Ok(Outcome::Skipped) => {}
                    Ok(Outcome::Done(run)) => tracing::info!(
                        mailed = run.mailed,
                        skipped = run.skipped,
                        "daily security reports mailed"
                    ),
                    Ok(Outcome::Interrupted(run)) => tracing::warn!(
                        mailed = run.mailed,
                        "security report lease lost mid-run; another instance goes on"
                    ),
                    Err(e) => {
                        tracing::warn!(error = %e, "security report run failed; retrying soon")
                    }
                }
            }
        })
    }

    /// Gives the lease back (at shutdown).
    pub async fn stop(&self) {
        self.lease.release().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use service_kit::config::Env;

    fn read(pairs: &[(&str, &str)]) -> (DailyReportSettings, Vec<String>) {
        let env = Env::from_pairs(pairs.iter().copied());
        let mut loader = Loader::new(&env);
        let settings = DailyReportSettings::read(&mut loader);
        let problems = loader.finish().err().map_or_else(Vec::new, |e| e.problems);
        (settings, problems)
    }

    #[test]
    fn on_at_six_by_default_and_off_on_request() {
        let (settings, problems) = read(&[]);
        assert_eq!(settings, DailyReportSettings::default());
        assert_eq!((settings.enabled, settings.hour), (true, 6));
        assert!(problems.is_empty(), "{problems:?}");
        let (settings, problems) = read(&[
            ("AUTH_SENTINEL_DAILY_REPORT", "off"),
            ("AUTH_SENTINEL_REPORT_HOUR", "23"),
        ]);
        assert_eq!((settings.enabled, settings.hour), (false, 23));
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn an_hour_outside_the_day_is_named() {
        for bad in ["24", "-1", "six"] {
            let (_, problems) = read(&[("AUTH_SENTINEL_REPORT_HOUR", bad)]);
            assert_eq!(problems.len(), 1, "{bad}");
            assert!(problems[0].contains("AUTH_SENTINEL_REPORT_HOUR"), "{bad}");
        }
        let (_, problems) = read(&[("AUTH_SENTINEL_DAILY_REPORT", "maybe")]);
        assert_eq!(problems.len(), 1);
    }
}
