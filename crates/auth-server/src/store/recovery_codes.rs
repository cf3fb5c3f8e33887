//! MFA recovery codes: digests, each usable once.
use sqlx::AnyPool;

use super::StoreError;
use crate::domain::tenant::TenantId;
use crate::domain::user::UserId;

#[derive(Clone)]
pub struct RecoveryCodeStore {
    pool: AnyPool,
}

impl RecoveryCodeStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Replaces the user's codes with `digests`, in one transaction.
    pub async fn replace_all(
        &self,
        tenant: TenantId,
        user: UserId,
        digests: &[String],
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM recovery_codes WHERE tenant_id = $1 AND user_id = $2")
            .bind(tenant.to_string())
            .bind(user.to_string())
            .execute(&mut *tx)
            .await?;
        for digest in digests {
            sqlx::query("INSERT INTO recovery_codes (code_hash, tenant_id, user_id, created_at) VALUES ($1, $2, $3, $4)")
                .bind(digest)
                .bind(tenant.to_string())
                .bind(user.to_string())
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Uses a code once: true if it was the user's and unused.
    pub async fn consume(
        &self,
        tenant: TenantId,
        user: UserId,
        digest: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE recovery_codes SET used_at = $1 WHERE code_hash = $2 AND tenant_id = $3 \
             AND user_id = $4 AND used_at IS NULL",
        )
        .bind(now)
        .bind(digest)
        .bind(tenant.to_string())
        .bind(user.to_string())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
