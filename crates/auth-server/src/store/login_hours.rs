//! The sentinel's hourly login counts per tenant (`sentinel_login_hours`),
//! the baseline of the `failure_surge` detector: the sentinel adds the
//! logins it reads, sums a week of hours to compare with, and deletes the
//! hours it no longer reads.
use sqlx::{AnyPool, Row};

use super::StoreError;
use crate::domain::sentinel::surge::Baseline;
use crate::domain::tenant::TenantId;

#[derive(Clone)]
pub struct LoginHoursStore {
    pool: AnyPool,
}

impl LoginHoursStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Adds `attempts` logins, `failures` of them failed, to the tenant's
    /// `hour` (its start, Unix seconds).
    pub async fn add(
        &self,
        tenant: TenantId,
        hour: i64,
        attempts: i64,
        failures: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sentinel_login_hours (tenant_id, hour, attempts, failures) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, hour) DO UPDATE SET \
             attempts = sentinel_login_hours.attempts + excluded.attempts, \
             failures = sentinel_login_hours.failures + excluded.failures",
        )
        .bind(tenant.to_string())
        .bind(hour)
        .bind(attempts)
        .bind(failures)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The tenant's logins over the hours from `from` to `last` (both
    /// included), and the earliest of those hours with a login.
    pub async fn baseline(
        &self,
        tenant: TenantId,
        from: i64,
        last: i64,
    ) -> Result<Baseline, StoreError> {
        // PostgreSQL sums BIGINTs as NUMERIC: cast back.
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(attempts), 0) AS BIGINT) AS attempts, \
             CAST(COALESCE(SUM(failures), 0) AS BIGINT) AS failures, MIN(hour) AS first_hour \
             FROM sentinel_login_hours WHERE tenant_id = $1 AND hour >= $2 AND hour <= $3",
        )
        .bind(tenant.to_string())
        .bind(from)
        .bind(last)
        .fetch_one(&self.pool)
        .await?;
        let count = |column: &str| -> Result<u64, StoreError> {
            let n: i64 = row.try_get(column)?;
            Ok(u64::try_from(n).unwrap_or(0))
        };
        Ok(Baseline {
            attempts: count("attempts")?,
            failures: count("failures")?,
            first_hour: row.try_get("first_hour")?,
        })
    }

    /// Deletes every tenant's hours before `before`; how many.
    pub async fn prune(&self, before: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM sentinel_login_hours WHERE hour < $1")
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}
