//! Failure counters per (tenant, subject), shared by every instance.
use sqlx::{AnyPool, Row};

use super::StoreError;
use crate::domain::tenant::TenantId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counter {
    pub failures: i64,
    pub last_failure_at: i64,
}

#[derive(Clone)]
pub struct LoginFailureStore {
    pool: AnyPool,
}

impl LoginFailureStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// The counter, with failures before `forget_before` forgotten.
    pub async fn read(
        &self,
        tenant: TenantId,
        subject: &str,
        forget_before: i64,
    ) -> Result<Counter, StoreError> {
        let row = sqlx::query("SELECT failures, last_failure_at FROM login_failures WHERE tenant_id = $1 AND subject = $2")
            .bind(tenant.to_string())
            .bind(subject)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else {
            return Ok(Counter::default());
        };
        let c = Counter {
            failures: row.try_get("failures")?,
            last_failure_at: row.try_get("last_failure_at")?,
        };
        Ok(if c.last_failure_at < forget_before {
            Counter::default()
        } else {
            c
        })
    }

    /// Counts one more (presumed) failure and returns the new count, in one
    /// atomic statement: concurrent attempts get distinct counts.
    pub async fn reserve(
        &self,
        tenant: TenantId,
        subject: &str,
        now: i64,
        forget_before: i64,
    ) -> Result<i64, StoreError> {
        // No counter reaches `i64::MAX`: the statement always counts.
        self.reserve_below(tenant, subject, i64::MAX, now, forget_before)
            .await?
            .ok_or_else(|| StoreError::Corrupt("a failure counter at its maximum".into()))
    }

    /// [`Self::reserve`] when the counter is below `threshold` (or
    /// forgotten); `None`, with the counter untouched, when it is at or
    /// past `threshold`: the caller then reads it to see whether it is
    /// locked. A login that nobody attacks costs one statement here, not a
    /// read and a write.
    pub async fn reserve_below(
        &self,
        tenant: TenantId,
        subject: &str,
        threshold: i64,
        now: i64,
        forget_before: i64,
    ) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query(
            "INSERT INTO login_failures (tenant_id, subject, failures, last_failure_at) VALUES ($1, $2, 1, $3) \
             ON CONFLICT (tenant_id, subject) DO UPDATE SET \
             failures = CASE WHEN login_failures.last_failure_at < $4 THEN 1 ELSE login_failures.failures + 1 END, \
             last_failure_at = $3 \
             WHERE login_failures.last_failure_at < $4 OR login_failures.failures < $5 \
             RETURNING failures",
        )
        .bind(tenant.to_string())
        .bind(subject)
        .bind(now)
        .bind(forget_before)
        .bind(threshold)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.try_get("failures")).transpose()?)
    }

    /// After a successful login: forgets the account's failures and takes
    /// back the address's one reserved failure, in one statement.
    pub async fn settle_success(
        &self,
        tenant: TenantId,
        account: &str,
        address: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE login_failures SET failures = CASE \
             WHEN subject = $2 THEN 0 WHEN failures > 0 THEN failures - 1 ELSE 0 END \
             WHERE tenant_id = $1 AND subject IN ($2, $3)",
        )
        .bind(tenant.to_string())
        .bind(account)
        .bind(address)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Takes back one reserved failure (the attempt succeeded).
    pub async fn forgive_one(&self, tenant: TenantId, subject: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE login_failures SET failures = CASE WHEN failures > 0 THEN failures - 1 ELSE 0 END \
             WHERE tenant_id = $1 AND subject = $2",
        )
        .bind(tenant.to_string())
        .bind(subject)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets the subject's failures (successful login, unlock, reset).
    pub async fn clear(&self, tenant: TenantId, subject: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_failures WHERE tenant_id = $1 AND subject = $2")
            .bind(tenant.to_string())
            .bind(subject)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
