//! Accounts under attack: the sentinel marks them (`step_up_marks`; a
//! password login reads the mark with the user, `UserStore::find_for_login`),
//! and which users an attack's account digests name (read from the audit
//! trail, which records both).
use sqlx::AnyPool;

use super::{parse_id, StoreError};
use crate::domain::tenant::TenantId;
use crate::domain::user::UserId;

/// Account digests per query: bounded statements whatever the attack.
const DIGESTS_PER_QUERY: usize = 200;

#[derive(Clone)]
pub struct StepUpStore {
    pool: AnyPool,
}

impl StepUpStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// The users behind `accounts` (account digests of the audit trail):
    /// those whose login events since `since` carry both the digest and
    /// the user id. Attempts on addresses with no account record no user,
    /// so only existing accounts come back.
    pub async fn users_of_accounts(
        &self,
        tenant: TenantId,
        accounts: &[String],
        since: i64,
    ) -> Result<Vec<UserId>, StoreError> {
        let mut users = Vec::new();
        for chunk in accounts.chunks(DIGESTS_PER_QUERY) {
            let placeholders: Vec<String> =
                (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
            let sql = format!(
                "SELECT DISTINCT user_id FROM audit_events WHERE tenant_id = $1 \
                 AND created_at > $2 AND kind = 'login' AND user_id IS NOT NULL \
                 AND account IN ({})",
                placeholders.join(", ")
            );
            let mut query = sqlx::query(&sql).bind(tenant.to_string()).bind(since);
            for digest in chunk {
                query = query.bind(digest);
            }
            for row in query.fetch_all(&self.pool).await? {
                let user = parse_id(&row, "user_id", UserId::parse)?;
                if !users.contains(&user) {
                    users.push(user);
                }
            }
        }
        Ok(users)
    }

    /// Marks `user` as under attack until `expires_at`, unless a mark is
    /// still live at `now` (it is not extended: one mark, one audit event).
    /// True when a mark was made.
    pub async fn mark(
        &self,
        tenant: TenantId,
        user: UserId,
        incident: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO step_up_marks (tenant_id, user_id, incident, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (tenant_id, user_id) DO UPDATE SET incident = excluded.incident, \
             created_at = excluded.created_at, expires_at = excluded.expires_at \
             WHERE step_up_marks.expires_at <= $4",
        )
        .bind(tenant.to_string())
        .bind(user.to_string())
        .bind(incident)
        .bind(now)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// When `user`'s mark ends, if there is one (live or not).
    pub async fn expires_at(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT expires_at FROM step_up_marks WHERE tenant_id = $1 AND user_id = $2",
        )
        .bind(tenant.to_string())
        .bind(user.to_string())
        .fetch_optional(&self.pool)
        .await?)
    }
}
