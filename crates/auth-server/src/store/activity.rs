//! The monthly activity the usage reporter reads, and the cursor it moves
//! (billing's `UsageStore` keeps what it is told). Activity is read from
//! rows that exist anyway: successful logins (`audit_events`) and
//! issued refresh tokens (`refresh_tokens`).
use sqlx::{AnyPool, Row};

use super::StoreError;

/// The one cursor of the MAU report.
const CURSOR: &str = "mau";

/// One end user active in a window, with the earliest activity seen there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveUser {
    pub tenant_id: String,
    pub user_id: String,
    /// Unix seconds.
    pub at: i64,
}

/// `[from, to)` in unix seconds, and where a page of it starts.
#[derive(Debug, Clone, Copy)]
pub struct Window<'a> {
    pub from: i64,
    pub to: i64,
    /// The last (tenant, user) of the previous page.
    pub after: Option<(&'a str, &'a str)>,
}

#[derive(Clone)]
pub struct ActivityStore {
    pool: AnyPool,
}

impl ActivityStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// The cursor, created at `start` the first time. Two instances creating
    /// it at once both read the row that won.
    pub async fn cursor(&self, start: i64, now: i64) -> Result<i64, StoreError> {
        sqlx::query(
            "INSERT INTO usage_report_cursor (name, reported_until, updated_at) \
             VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
        )
        .bind(CURSOR)
        .bind(start)
        .bind(now)
        .execute(&self.pool)
        .await?;
        let row = sqlx::query("SELECT reported_until FROM usage_report_cursor WHERE name = $1")
            .bind(CURSOR)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("reported_until")?)
    }

    /// The cursor, without making it: `None` before the first report.
    pub async fn reported_until(&self) -> Result<Option<i64>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT reported_until FROM usage_report_cursor WHERE name = $1")
                .bind(CURSOR)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Moves the cursor from `old` to `new`; false when it no longer stood at
    /// `old` (another instance moved it first). One statement, no transaction.
    pub async fn advance(&self, old: i64, new: i64, now: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE usage_report_cursor SET reported_until = $1, updated_at = $2 \
             WHERE name = $3 AND reported_until = $4",
        )
        .bind(new)
        .bind(now)
        .bind(CURSOR)
        .bind(old)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Distinct (tenant, user) active in the window, in (tenant, user) order,
    /// at most `limit` after `window.after`; tenants with slug
    /// `excluded_slug` are left out.
    pub async fn active_users(
        &self,
        window: Window<'_>,
        excluded_slug: &str,
        limit: i64,
    ) -> Result<Vec<ActiveUser>, StoreError> {
        let (after_tenant, after_user) = window.after.unwrap_or(("", ""));
        // The literals `login` and `success` match the partial index.
        let rows = sqlx::query(
            "SELECT tenant_id, user_id, MIN(created_at) AS at FROM ( \
               SELECT tenant_id, user_id, created_at FROM audit_events \
                 WHERE kind = 'login' AND outcome = 'success' AND user_id IS NOT NULL \
                   AND created_at >= $1 AND created_at < $2 \
               UNION ALL \
               SELECT tenant_id, user_id, created_at FROM refresh_tokens \
                 WHERE created_at >= $1 AND created_at < $2 \
             ) activity \
             WHERE tenant_id NOT IN (SELECT id FROM tenants WHERE slug = $3) \
               AND (tenant_id > $4 OR (tenant_id = $4 AND user_id > $5)) \
             GROUP BY tenant_id, user_id \
             ORDER BY tenant_id, user_id \
             LIMIT $6",
        )
        .bind(window.from)
        .bind(window.to)
        .bind(excluded_slug)
        .bind(after_tenant)
        .bind(after_user)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ActiveUser {
                    tenant_id: r.try_get("tenant_id")?,
                    user_id: r.try_get("user_id")?,
                    at: r.try_get("at")?,
                })
            })
            .collect()
    }
}
