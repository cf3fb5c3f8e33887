//! `stripe_events`: each Stripe event id is applied once. The claim and the
//! change it causes commit together, so a crash in between leaves the event
//! unprocessed and Stripe's next delivery applies it.
use sqlx::AnyPool;

use super::subscriptions::{self, Change};
use super::StoreError;
use crate::domain::subscription::Subscription;
use crate::domain::tenant::TenantId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// First delivery, or earlier deliveries were not processed.
    New,
    /// Already processed: answer 2xx and do nothing.
    Processed,
}

/// What applying an event changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Boxed: the state before and after is big next to the other variants.
    Changed(Box<Change>),
    /// Processed, and the stored state kept (see `Subscription` rules).
    Kept,
    /// Another delivery of the same event won the race.
    AlreadyProcessed,
}

#[derive(Clone)]
pub struct EventStore {
    pool: AnyPool,
}

impl EventStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Records a delivery; tells whether the event still needs processing.
    pub async fn receive(
        &self,
        id: &str,
        kind: &str,
        created: i64,
        now: i64,
    ) -> Result<Seen, StoreError> {
        sqlx::query(
            "INSERT INTO stripe_events (id, kind, created, received_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(kind)
        .bind(created)
        .bind(now)
        .execute(&self.pool)
        .await?;
        let processed: Option<i64> =
            sqlx::query_scalar("SELECT processed_at FROM stripe_events WHERE id = $1")
                .bind(id)
                .fetch_one(&self.pool)
                .await?;
        Ok(if processed.is_some() {
            Seen::Processed
        } else {
            Seen::New
        })
    }

    /// Marks an event processed that changes no subscription (an unknown
    /// type, or one about a customer billing doesn't know).
    pub async fn mark_processed(&self, id: &str, now: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE stripe_events SET processed_at = $2 WHERE id = $1 AND processed_at IS NULL",
        )
        .bind(id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// In one transaction that begins with the claim: marks the event
    /// processed, then, under the tenant's lock, reads its subscription and
    /// stores `change(before)` unless that is `None`.
    pub async fn apply(
        &self,
        id: &str,
        tenant: TenantId,
        now: i64,
        change: impl FnOnce(Option<&Subscription>) -> Option<Subscription>,
    ) -> Result<Applied, StoreError> {
        let mut tx = self.pool.begin().await?;
        let claimed = sqlx::query(
            "UPDATE stripe_events SET processed_at = $2 WHERE id = $1 AND processed_at IS NULL",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(Applied::AlreadyProcessed);
        }
        let changed = subscriptions::change_locked(&mut tx, tenant, now, change).await?;
        tx.commit().await?;
        Ok(changed.map_or(Applied::Kept, |c| Applied::Changed(Box::new(c))))
    }
}
