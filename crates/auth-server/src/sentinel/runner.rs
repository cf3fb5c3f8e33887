//! The sentinel's loop: every [`TICK`], hold the lease (one runner across
//! instances), read which tenants had new login, signup or token events
//! past the stored cursor, evaluate each, move the cursor.
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::{Sentinel, SentinelError};

/// How often the sentinel looks for new events: a detection follows its
/// triggering event within about two ticks.
pub const TICK: Duration = Duration::from_secs(1);

/// How long a lease lasts without renewal (seconds of the clock): another
/// instance takes over this long after the holder stops.
const LEASE_SECS: i64 = 10;

/// How often the lease holder removes expired blocks (seconds of the clock).
const PURGE_EVERY: i64 = 3600;

/// At most this many events are skimmed per tick (the rules read their
/// window by time, so a long backlog is caught up over a few ticks).
const BATCH: i64 = 10_000;

impl Sentinel {
    /// Runs [`Sentinel::tick`] every [`TICK`] until the server stops.
    pub fn spawn(self: Arc<Self>) -> JoinHandle<()> {
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(TICK);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                if let Err(e) = self.tick().await {
                    tracing::warn!(error = %e, "sentinel round failed; retrying next tick");
                }
            }
        })
    }

    /// One round; false when another instance holds the lease.
    pub async fn tick(&self) -> Result<bool, SentinelError> {
        let now = self.clock.now();
        if !self
            .store
            .try_lease(&self.instance, now, now.saturating_add(LEASE_SECS))
            .await?
        {
            return Ok(false);
        }
        self.purge_expired_blocks(now).await?;
        let activity = self.store.new_activity(BATCH).await?;
        for tenant in &activity.tenants {
            // One tenant's failure (a store error) must not stop the others.
            if let Err(e) = self.evaluate(*tenant).await {
                tracing::warn!(error = %e, %tenant, "sentinel evaluation failed");
            }
        }
        for tenant in &activity.token_tenants {
            if let Err(e) = self.evaluate_tokens(*tenant).await {
                tracing::warn!(error = %e, %tenant, "sentinel token evaluation failed");
            }
        }
        self.store
            .advance(&self.instance, activity.read_up_to)
            .await?;
        Ok(true)
    }

    /// Removes expired blocks (the edge already ignores them), at most once
    /// every [`PURGE_EVERY`]; the audit trail keeps what they were.
    async fn purge_expired_blocks(&self, now: i64) -> Result<(), SentinelError> {
        use std::sync::atomic::Ordering;
        let last = self.purged_at.load(Ordering::Relaxed);
        if now.saturating_sub(last) < PURGE_EVERY {
            return Ok(());
        }
        self.purged_at.store(now, Ordering::Relaxed);
        let purged = self.blocks.purge_expired(now).await?;
        if purged > 0 {
            tracing::info!(purged, "expired blocks removed");
        }
        Ok(())
    }

    /// Gives the lease back (at shutdown), so another instance takes over
    /// without waiting for it to run out.
    pub async fn stop(&self) {
        if let Err(e) = self.store.release(&self.instance).await {
            tracing::warn!(error = %e, "cannot release the sentinel lease");
        }
    }
}
