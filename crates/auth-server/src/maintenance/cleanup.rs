//! Deletes what has outlived every use: authorization codes, sessions,
//! refresh tokens, one-time links, login failures, old audit events, and
//! expired blocks, revoked access tokens and passkey ceremonies, and the
//! log of event webhook deliveries over for a month (the rules:
//! `domain/retention.rs`).
//!
//! Once across instances: every [`CHECK`] each instance asks for the job's
//! lease (`scheduled_jobs`), which it gets only when the last pass finished
//! a period ago and no live instance holds it. The holder renews the lease
//! before each batch, so one that dies mid-pass is replaced once its lease
//! has run out, and the job, never marked done, is still due.
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::leased_job::{self, LeasedJob};
use crate::billing_link::usage_report::UsageReporter;
use crate::domain::retention::{Cutoffs, Retention};
use crate::store::expired_rows::{ExpiredRowStore, Sweep};
use crate::store::StoreError;
use service_kit::clock::SharedClock;
use service_kit::db::Database;
use service_kit::periodic::{spawn_every, First};

/// The job's row in `scheduled_jobs`.
pub const JOB: &str = "cleanup";
/// How often each instance asks whether the cleanup is due: a period is
/// kept to within this, and a dead holder's pass resumes this soon after
/// its lease ran out.
pub const CHECK: Duration = Duration::from_secs(60);
/// How long a lease lasts without renewal (seconds of the clock): far
/// longer than one batch, which renews it.
pub const LEASE_SECS: i64 = 5 * 60;
/// Rows one statement deletes at most.
pub const BATCH: i64 = 1_000;

/// Rows deleted, by table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Deleted {
    pub authorization_codes: u64,
    pub sessions: u64,
    pub refresh_tokens: u64,
    pub one_time_tokens: u64,
    pub login_failures: u64,
    pub audit_events: u64,
    pub blocked_addresses: u64,
    pub revoked_access_tokens: u64,
    pub passkey_ceremonies: u64,
    pub webhook_deliveries: u64,
    pub step_up_marks: u64,
    pub security_report_mails: u64,
    pub operator_report_mails: u64,
    pub incident_notes: u64,
}

impl Deleted {
    fn add(&mut self, sweep: Sweep, n: u64) {
        let count = match sweep {
            Sweep::AuthorizationCodes => &mut self.authorization_codes,
            Sweep::SessionsExpired | Sweep::SessionsIdle => &mut self.sessions,
            Sweep::RefreshTokens => &mut self.refresh_tokens,
            Sweep::OneTimeTokens => &mut self.one_time_tokens,
            Sweep::LoginFailures => &mut self.login_failures,
            Sweep::AuditEvents => &mut self.audit_events,
            Sweep::BlockedAddresses => &mut self.blocked_addresses,
            Sweep::RevokedAccessTokens => &mut self.revoked_access_tokens,
            Sweep::PasskeyCeremonies => &mut self.passkey_ceremonies,
            Sweep::WebhookDeliveries => &mut self.webhook_deliveries,
            Sweep::StepUpMarks => &mut self.step_up_marks,
            Sweep::SecurityReportMails => &mut self.security_report_mails,
            Sweep::OperatorReportMails => &mut self.operator_report_mails,
            Sweep::IncidentNotes => &mut self.incident_notes,
        };
        *count += n;
    }

    pub fn total(&self) -> u64 {
        self.authorization_codes
            + self.sessions
            + self.refresh_tokens
            + self.one_time_tokens
            + self.login_failures
            + self.audit_events
            + self.blocked_addresses
            + self.revoked_access_tokens
            + self.passkey_ceremonies
            + self.webhook_deliveries
            + self.step_up_marks
            + self.security_report_mails
            + self.operator_report_mails
            + self.incident_notes
    }
}

/// What [`Cleanup::run_if_due`] did: on `Interrupted`, what was deleted
/// until another instance took the lease.
pub type Outcome = leased_job::Outcome<Deleted>;

pub struct Cleanup {
    rows: ExpiredRowStore,
    lease: LeasedJob,
    /// Activity the usage report has not counted yet is kept.
    usage: Option<Arc<UsageReporter>>,
    retention: Retention,
    clock: SharedClock,
    every_secs: i64,
    batch: i64,
}

impl Cleanup {
    /// Runs every `every` under `retention`; keeps what `usage` has not
    /// reported yet.
    pub fn new(
        db: &Database,
        retention: Retention,
        every: Duration,
        usage: Option<Arc<UsageReporter>>,
        clock: SharedClock,
    ) -> Self {
        Self {
            rows: ExpiredRowStore::new(db.pool.clone()),
            lease: LeasedJob::new(db.pool.clone(), JOB, LEASE_SECS, clock.clone()),
            usage,
            retention,
            clock,
            every_secs: i64::try_from(every.as_secs()).unwrap_or(i64::MAX),
            batch: BATCH,
        }
    }

    /// This cleanup deleting at most `rows` per statement (tests show the
    /// batches follow one another).
    pub fn with_batch(self, rows: i64) -> Self {
        Self {
            batch: rows.max(1),
            ..self
        }
    }

    /// One pass when it is due and no other instance runs it.
    pub async fn run_if_due(&self) -> Result<Outcome, StoreError> {
        let now = self.clock.now();
        let done_by = now.saturating_sub(self.every_secs);
        self.lease.run_if_due(done_by, self.pass(now)).await
    }

    async fn pass(&self, now: i64) -> Result<Outcome, StoreError> {
        let unreported = match &self.usage {
            Some(usage) => Some(usage.unreported_from().await?),
            None => None,
        };
        let cutoffs = self.retention.cutoffs(now, unreported);
        let mut deleted = Deleted::default();
        for sweep in Sweep::ALL {
            if !self.sweep(sweep, &cutoffs, &mut deleted).await? {
                return Ok(Outcome::Interrupted(deleted));
            }
        }
        Ok(Outcome::Done(deleted))
    }

    /// Deletes batch after batch until one comes back short; false when
    /// the lease was lost on the way.
    async fn sweep(
        &self,
        sweep: Sweep,
        cutoffs: &Cutoffs,
        deleted: &mut Deleted,
    ) -> Result<bool, StoreError> {
        let mut from = i64::MIN;
        loop {
            if !self.lease.renew().await? {
                return Ok(false);
            }
            let batch = self
                .rows
                .delete_batch(sweep, cutoffs, from, self.batch)
                .await?;
            deleted.add(sweep, batch.deleted);
            metrics::counter!("connectauth_cleanup_deleted_total", "table" => sweep.table())
                .increment(batch.deleted);
            match batch.reached {
                Some(reached) if batch.deleted >= self.batch.unsigned_abs() => from = reached,
                _ => return Ok(true),
            }
        }
    }

    /// Runs [`Cleanup::run_if_due`] every [`CHECK`], the first time now,
    /// until the server stops.
    pub fn spawn(self: Arc<Self>) -> JoinHandle<()> {
        spawn_every("cleanup", CHECK, First::Now, move || {
            let cleanup = self.clone();
            async move {
                match cleanup.run_if_due().await {
                    Ok(Outcome::Skipped) => {}
                    Ok(Outcome::Done(d)) => log(&d, "expired rows deleted"),
                    Ok(Outcome::Interrupted(d)) => {
                        log(&d, "cleanup lease lost mid-pass; another instance goes on")
                    }
                    Err(e) => tracing::warn!(error = %e, "cleanup pass failed; retrying soon"),
                }
            }
        })
    }

    /// Gives the lease back (at shutdown), so another instance can finish a
    /// pass this one had started without waiting for the lease to run out.
    pub async fn stop(&self) {
        self.lease.release().await;
    }
}

/// At info when something was deleted (a quiet pass at debug).
fn log(d: &Deleted, message: &str) {
    if d.total() == 0 {
        tracing::debug!("{message}: none");
        return;
    }
    tracing::info!(
        authorization_codes = d.authorization_codes,
        sessions = d.sessions,
        refresh_tokens = d.refresh_tokens,
        one_time_tokens = d.one_time_tokens,
        login_failures = d.login_failures,
        audit_events = d.audit_events,
        blocked_addresses = d.blocked_addresses,
        revoked_access_tokens = d.revoked_access_tokens,
        passkey_ceremonies = d.passkey_ceremonies,
        webhook_deliveries = d.webhook_deliveries,
        step_up_marks = d.step_up_marks,
        security_report_mails = d.security_report_mails,
        operator_report_mails = d.operator_report_mails,
        incident_notes = d.incident_notes,
        "{message}"
    );
}
