//! The AI analyst's spending per calendar month (`analyst_usage`), shared
//! by every instance so its monthly budget holds across restarts.
use sqlx::AnyPool;

use super::StoreError;

#[derive(Clone)]
pub struct AnalystUsageStore {
    pool: AnyPool,
}

impl AnalystUsageStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Tokens spent in `month` (`YYYY-MM`), 0 before the first call.
    pub async fn spent(&self, month: &str) -> Result<i64, StoreError> {
        let spent: Option<i64> =
            sqlx::query_scalar("SELECT tokens FROM analyst_usage WHERE month = $1")
                .bind(month)
                .fetch_optional(&self.pool)
                .await?;
        Ok(spent.unwrap_or(0))
    }

    /// Counts one call of `tokens` in `month`. One statement, so calls on
    /// several instances add up.
    pub async fn add(&self, month: &str, tokens: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO analyst_usage (month, tokens, calls) VALUES ($1, $2, 1) \
             ON CONFLICT (month) DO UPDATE SET tokens = analyst_usage.tokens + $2, \
             calls = analyst_usage.calls + 1",
        )
        .bind(month)
        .bind(tokens.max(0))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records that `month`'s budget was found spent; true the first time
    /// (on any instance), so it is logged once.
    pub async fn mark_capped(&self, month: &str, now: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE analyst_usage SET capped_at = $2 WHERE month = $1 AND capped_at IS NULL",
        )
        .bind(month)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
