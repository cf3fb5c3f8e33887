//! A job that one instance at a time runs, by its lease in `scheduled_jobs`
//! (the cleanup, the daily security reports): the lease is taken when the
//! job is due and no other instance holds it, renewed on the way, the run
//! marked finished when it is whole, and the lease given back when the run
//! fails or the server stops. A holder that dies blocks the job for no
//! longer than its lease.
use std::future::Future;

use service_kit::clock::SharedClock;
use sqlx::AnyPool;

use crate::store::scheduled_jobs::ScheduledJobStore;
use crate::store::StoreError;

/// What a leased run came to, with what it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome<T> {
    /// Not due, or another instance holds the lease.
    Skipped,
    /// A whole run.
    Done(T),
    /// Another instance took the lease mid-run (this one stalled past it):
    /// what was done until then. The job stays due.
    Interrupted(T),
}

pub struct LeasedJob {
    jobs: ScheduledJobStore,
    /// The job's row in `scheduled_jobs`.
    job: &'static str,
    /// How long a lease lasts without renewal (seconds of the clock).
    lease_secs: i64,
    clock: SharedClock,
    /// Who holds the lease: this process.
    instance: String,
}

impl LeasedJob {
    pub fn new(pool: AnyPool, job: &'static str, lease_secs: i64, clock: SharedClock) -> Self {
        Self {
            jobs: ScheduledJobStore::new(pool),
            job,
            lease_secs,
            clock,
            instance: uuid::Uuid::new_v4().to_string(),
        }
    }

    /// Runs `run` when the job's last run finished at or before `done_by`
    /// and no other instance holds its lease. A failed run gives the lease
    /// back; a whole one is marked finished when it ends.
    pub async fn run_if_due<T, E>(
        &self,
        done_by: i64,
        run: impl Future<Output = Result<Outcome<T>, E>>,
    ) -> Result<Outcome<T>, E>
    where
        E: From<StoreError>,
    {
        let now = self.clock.now();
        let until = now.saturating_add(self.lease_secs);
        if !self
            .jobs
            .try_lease_due(self.job, &self.instance, now, until, done_by)
            .await?
        {
            return Ok(Outcome::Skipped);
        }
        let outcome = match run.await {
            Ok(outcome) => outcome,
            Err(e) => {
                self.release().await;
                return Err(e);
            }
        };
        if let Outcome::Done(_) = outcome {
            self.jobs
                .finish(self.job, &self.instance, self.clock.now())
                .await?;
        }
        Ok(outcome)
    }

    /// Extends the lease by a lease period from now; false when another
    /// instance has taken it (the run stops there).
    pub async fn renew(&self) -> Result<bool, StoreError> {
        let now = self.clock.now();
        self.jobs
            .try_lease(
                self.job,
                &self.instance,
                now,
                now.saturating_add(self.lease_secs),
            )
            .await
    }

    /// Gives the lease back (after a failed run, or at shutdown), so another
    /// instance goes on without waiting for the lease to run out.
    pub async fn release(&self) {
        if let Err(e) = self.jobs.release(self.job, &self.instance).await {
            tracing::warn!(job = self.job, error = %e, "cannot release the job's lease");
        }
    }
}
