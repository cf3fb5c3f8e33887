//! `quota_notices`: one email per tenant, month and threshold.
use sqlx::AnyPool;

use super::StoreError;
use crate::domain::month::Month;
use crate::domain::tenant::TenantId;

#[derive(Clone)]
pub struct NoticeStore {
    pool: AnyPool,
}

impl NoticeStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Claims the notice; `true` only for the one caller that must send it.
    pub async fn claim(
        &self,
        tenant: TenantId,
        month: Month,
        threshold: u32,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO quota_notices (tenant_id, month, threshold, sent_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, month, threshold) DO NOTHING",
        )
        .bind(tenant.to_string())
        .bind(month.to_string())
        .bind(i64::from(threshold))
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
