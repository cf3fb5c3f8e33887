//! A reader of the audit trail that one instance at a time runs (the
//! sentinel, the webhooks' fan-out): one row of its table (`name`,
//! `holder`, `lease_until`, `read_up_to`) holds who has the lease and how
//! far it has read (`audit_events.seq`).
use sqlx::AnyPool;

use super::StoreError;

#[derive(Clone)]
pub struct TrailCursor {
    pool: AnyPool,
    /// The table of the row: a constant of the code, never input.
    table: &'static str,
    name: &'static str,
}

impl TrailCursor {
    pub fn new(pool: AnyPool, table: &'static str, name: &'static str) -> Self {
        Self { pool, table, name }
    }

    /// Takes (or extends) the lease for `holder` until `until`; true when
    /// `holder` now holds it. Another holder's lease is taken only once it
    /// has run out. The first lease ever starts reading at the end of the
    /// trail: history written before the reader existed is not replayed.
    pub async fn try_lease(&self, holder: &str, now: i64, until: i64) -> Result<bool, StoreError> {
        let table = self.table;
        // `WHERE` keeps SQLite from reading `ON` as a join constraint.
        sqlx::query(&format!(
            "INSERT INTO {table} (name, holder, lease_until, read_up_to) \
             SELECT $1, '', 0, COALESCE(MAX(seq), 0) FROM audit_events WHERE 1 = 1 \
             ON CONFLICT (name) DO NOTHING"
        ))
        .bind(self.name)
        .execute(&self.pool)
        .await?;
        let taken = sqlx::query(&format!(
            "UPDATE {table} SET holder = $1, lease_until = $2 \
             WHERE name = $3 AND (lease_until < $4 OR holder = $1)"
        ))
        .bind(holder)
        .bind(until)
        .bind(self.name)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(taken.rows_affected() == 1)
    }

    /// Gives the lease back, so another instance takes over at once.
    pub async fn release(&self, holder: &str) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "UPDATE {} SET lease_until = 0 WHERE name = $1 AND holder = $2",
            self.table
        ))
        .bind(self.name)
        .bind(holder)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// How far the reader has read (0 before its first lease).
    pub async fn read_up_to(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(&format!(
            "SELECT read_up_to FROM {} WHERE name = $1",
            self.table
        ))
        .bind(self.name)
        .fetch_optional(&self.pool)
        .await?
        .unwrap_or(0))
    }

    /// Moves the cursor forward to `to`, if `holder` still holds the lease.
    pub async fn advance(&self, holder: &str, to: i64) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "UPDATE {} SET read_up_to = $1 WHERE name = $2 AND holder = $3 AND read_up_to < $1",
            self.table
        ))
        .bind(to)
        .bind(self.name)
        .bind(holder)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
