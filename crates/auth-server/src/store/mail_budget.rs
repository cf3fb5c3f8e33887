//! How many mails a stranger may make us send to one address (password
//! reset, "you already have an account"): the times of the last three sends,
//! shared by every instance.
use sqlx::AnyPool;

use super::StoreError;
use crate::domain::tenant::TenantId;

/// Sends per window: the table keeps this many times (`sent_1..sent_3`).
pub const SENDS_PER_WINDOW: usize = 3;

#[derive(Clone)]
pub struct MailBudgetStore {
    pool: AnyPool,
}

impl MailBudgetStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Takes one send for `address` at `now` when fewer than three were taken
    /// in the last `window_secs`; false (and nothing written) otherwise. One
    /// atomic upsert: the oldest of the last three sends must have left the
    /// window, so parallel requests cannot take a fourth.
    pub async fn take(
        &self,
        tenant: TenantId,
        address: &str,
        now: i64,
        window_secs: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO mail_budget (tenant_id, address, sent_1, sent_2, sent_3) \
             VALUES ($1, $2, NULL, NULL, $3) \
             ON CONFLICT (tenant_id, address) DO UPDATE SET \
             sent_1 = mail_budget.sent_2, sent_2 = mail_budget.sent_3, sent_3 = excluded.sent_3 \
             WHERE mail_budget.sent_1 IS NULL OR mail_budget.sent_1 <= $4",
        )
        .bind(tenant.to_string())
        .bind(address)
        .bind(now)
        .bind(now.saturating_sub(window_secs))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
