//! `monthly_active_users`: a set per tenant and month, so reporting a user
//! again (a retry, a replay after a crash) never counts twice.
use sqlx::{AnyPool, Row};

use super::{to_u64, StoreError};
use crate::domain::month::Month;
use crate::domain::tenant::TenantId;

/// One sighting of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    pub tenant: TenantId,
    pub month: Month,
    pub user_id: String,
    pub at: i64,
}

/// Rows per INSERT: 4 parameters each, well under SQLite's limit.
const CHUNK: usize = 200;

#[derive(Clone)]
pub struct UsageStore {
    pool: AnyPool,
}

impl UsageStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Adds the sightings; returns how many users were new to their month.
    pub async fn record(&self, sightings: &[Sighting]) -> Result<u64, StoreError> {
        let mut added = 0;
        for chunk in sightings.chunks(CHUNK) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let b = i * 4;
                    format!("(${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4)
                })
                .collect();
            let sql = format!(
                "INSERT INTO monthly_active_users (tenant_id, month, user_id, first_seen_at) \
                 VALUES {} ON CONFLICT (tenant_id, month, user_id) DO NOTHING",
                values.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for s in chunk {
                query = query
                    .bind(s.tenant.to_string())
                    .bind(s.month.to_string())
                    .bind(s.user_id.clone())
                    .bind(s.at);
            }
            added += query.execute(&self.pool).await?.rows_affected();
        }
        Ok(added)
    }

    pub async fn count(&self, tenant: TenantId, month: Month) -> Result<u64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM monthly_active_users WHERE tenant_id = $1 AND month = $2",
        )
        .bind(tenant.to_string())
        .bind(month.to_string())
        .fetch_one(&self.pool)
        .await?;
        to_u64(row.try_get("n")?, "count")
    }

    /// Monthly counts, newest first, at most `limit` months.
    pub async fn history(
        &self,
        tenant: TenantId,
        limit: i64,
    ) -> Result<Vec<(Month, u64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT month, COUNT(*) AS n FROM monthly_active_users WHERE tenant_id = $1 \
             GROUP BY month ORDER BY month DESC LIMIT $2",
        )
        .bind(tenant.to_string())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let month: String = r.try_get("month")?;
                let month = Month::parse(&month).map_err(super::corrupt)?;
                Ok((month, to_u64(r.try_get("n")?, "count")?))
            })
            .collect()
    }
}
