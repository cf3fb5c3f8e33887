//! What the `unfamiliar_login` detector reads of an account: its earlier
//! successful logins (address, user agent) from the audit trail, through
//! the index of successful logins by account, and whether it has a
//! passkey (a confirmed TOTP is on the user's row).
use sqlx::AnyPool;

use super::StoreError;
use crate::domain::tenant::TenantId;
use crate::domain::user::UserId;

/// A successful login of the account, as the trail recorded it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EarlierSignIn {
    pub ip: String,
    pub user_agent: String,
    pub created_at: i64,
}

#[derive(Clone)]
pub struct SignInHistoryStore {
    pool: AnyPool,
}

impl SignInHistoryStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// The user's newest `limit` successful logins made after `since` and
    /// numbered before `before_seq` (the login being judged), newest first.
    pub async fn earlier(
        &self,
        tenant: TenantId,
        user: UserId,
        since: i64,
        before_seq: i64,
        limit: i64,
    ) -> Result<Vec<EarlierSignIn>, StoreError> {
        // `kind` and `outcome` as literals: the partial index
        // `audit_events_user_sign_ins` holds exactly these rows.
        Ok(sqlx::query_as(
            "SELECT ip, user_agent, created_at FROM audit_events \
             WHERE tenant_id = $1 AND user_id = $2 AND kind = 'login' AND outcome = 'success' \
             AND created_at > $3 AND seq < $4 ORDER BY created_at DESC LIMIT $5",
        )
        .bind(tenant.to_string())
        .bind(user.to_string())
        .bind(since)
        .bind(before_seq)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Whether the user has a passkey.
    pub async fn has_passkey(&self, tenant: TenantId, user: UserId) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM passkeys WHERE tenant_id = $1 AND user_id = $2",
        )
        .bind(tenant.to_string())
        .bind(user.to_string())
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }
}
