//! Leases of scheduled jobs (`scheduled_jobs`): which instance runs a job
//! now, and when a run last finished. A lease runs out on its own, so a
//! holder that dies blocks the job for no longer than its lease.
use sqlx::AnyPool;

use super::StoreError;

#[derive(Clone)]
pub struct ScheduledJobStore {
    pool: AnyPool,
}

impl ScheduledJobStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Takes (or extends) the lease of `job` for `holder` until `until`;
    /// true when `holder` now holds it. Another holder's lease is taken only
    /// once it has run out.
    pub async fn try_lease(
        &self,
        job: &str,
        holder: &str,
        now: i64,
        until: i64,
    ) -> Result<bool, StoreError> {
        self.try_lease_due(job, holder, now, until, i64::MAX).await
    }

    /// [`ScheduledJobStore::try_lease`], only when the last run of `job`
    /// finished at or before `done_by` (never counts as long ago). One
    /// statement: a run finishing meanwhile on another instance is seen, so
    /// the job does not run twice in a row.
    pub async fn try_lease_due(
        &self,
        job: &str,
        holder: &str,
        now: i64,
        until: i64,
        done_by: i64,
    ) -> Result<bool, StoreError> {
        sqlx::query(
            "INSERT INTO scheduled_jobs (name, holder, lease_until, last_done_at) \
             VALUES ($1, '', 0, 0) ON CONFLICT (name) DO NOTHING",
        )
        .bind(job)
        .execute(&self.pool)
        .await?;
        let taken = sqlx::query(
            "UPDATE scheduled_jobs SET holder = $1, lease_until = $2 \
             WHERE name = $3 AND (lease_until < $4 OR holder = $1) AND last_done_at <= $5",
        )
        .bind(holder)
        .bind(until)
        .bind(job)
        .bind(now)
        .bind(done_by)
        .execute(&self.pool)
        .await?;
        Ok(taken.rows_affected() == 1)
    }

    /// Records that `holder` finished a run of `job` at `now` and gives the
    /// lease back; false (nothing recorded) when another instance took the
    /// lease meanwhile.
    pub async fn finish(&self, job: &str, holder: &str, now: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE scheduled_jobs SET last_done_at = $1, lease_until = 0 \
             WHERE name = $2 AND holder = $3",
        )
        .bind(now)
        .bind(job)
        .bind(holder)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives the lease back early, so the next instance that asks need not
    /// wait for it to run out; a no-op for anyone but the holder.
    pub async fn release(&self, job: &str, holder: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE scheduled_jobs SET lease_until = 0 WHERE name = $1 AND holder = $2")
            .bind(job)
            .bind(holder)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
