//! Grants: the unit of revocation. Every code, refresh token and access
//! token points at the grant that produced it.
use sqlx::{AnyPool, Row};

use super::StoreError;
use crate::domain::client::ClientId;
use crate::domain::grant::GrantId;
use crate::domain::tenant::TenantId;
use crate::domain::user::UserId;

#[derive(Clone)]
pub struct GrantStore {
    pool: AnyPool,
}

impl GrantStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    pub async fn create(
        &self,
        tenant: TenantId,
        client_id: &ClientId,
        user_id: Option<UserId>,
        session_handle: Option<&str>,
        now: i64,
    ) -> Result<GrantId, StoreError> {
        let id = GrantId::new();
        sqlx::query(
            "INSERT INTO oauth_grants (id, tenant_id, client_id, user_id, session_handle, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.to_string())
        .bind(tenant.to_string())
        .bind(client_id.as_ref())
        .bind(user_id.map(|u| u.to_string()))
        .bind(session_handle.map(str::to_owned))
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(id)
    }

    /// Whether the grant exists in this tenant, is not revoked, and its
    /// client is not disabled: a disabled client's tokens are dead at once,
    /// even one minted while it was being disabled.
    pub async fn is_live(&self, tenant: TenantId, id: GrantId) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT g.revoked_at, c.disabled_at FROM oauth_grants g \
             JOIN clients c ON c.id = g.client_id AND c.tenant_id = g.tenant_id \
             WHERE g.id = $1 AND g.tenant_id = $2",
        )
        .bind(id.to_string())
        .bind(tenant.to_string())
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            Some(r) => {
                r.try_get::<Option<i64>, _>("revoked_at")?.is_none()
                    && r.try_get::<Option<i64>, _>("disabled_at")?.is_none()
            }
            None => false,
        })
    }

    pub async fn revoke(
        &self,
        tenant: TenantId,
        id: GrantId,
        reason: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE oauth_grants SET revoked_at = COALESCE(revoked_at, $1), revoked_reason = COALESCE(revoked_reason, $2) \
             WHERE id = $3 AND tenant_id = $4",
        )
        .bind(now)
        .bind(reason)
        .bind(id.to_string())
        .bind(tenant.to_string())
        .execute(&self.pool)
        .await?;
        super::local_changes::grant_revoked();
        Ok(())
    }

    /// Revokes every grant of a user (password reset, account disabled).
    pub async fn revoke_for_user(
        &self,
        tenant: TenantId,
        user_id: &str,
        reason: &str,
        now: i64,
    ) -> Result<u64, StoreError> {
        self.revoke_where(RevokeBy::User, tenant, user_id, reason, now)
            .await
    }

    /// Revokes the grants made from one login session (logout).
    pub async fn revoke_for_session(
        &self,
        tenant: TenantId,
        session_handle: &str,
        reason: &str,
        now: i64,
    ) -> Result<u64, StoreError> {
        self.revoke_where(RevokeBy::Session, tenant, session_handle, reason, now)
            .await
    }

    /// Revokes every grant of a client (the client was disabled).
    pub async fn revoke_for_client(
        &self,
        tenant: TenantId,
        client_id: &str,
        reason: &str,
        now: i64,
    ) -> Result<u64, StoreError> {
        self.revoke_where(RevokeBy::Client, tenant, client_id, reason, now)
            .await
    }

    /// Revokes the tenant's live grants whose `by` column is `value`.
    async fn revoke_where(
        &self,
        by: RevokeBy,
        tenant: TenantId,
        value: &str,
        reason: &str,
        now: i64,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(by.query())
            .bind(now)
            .bind(reason)
            .bind(tenant.to_string())
            .bind(value)
            .execute(&self.pool)
            .await?;
        super::local_changes::grant_revoked();
        Ok(done.rows_affected())
    }
}

/// Which grants a revocation names. Each query is a literal: no column
/// name is ever built from input.
#[derive(Clone, Copy)]
enum RevokeBy {
    User,
    Session,
    Client,
}

impl RevokeBy {
    fn query(self) -> &'static str {
        match self {
            RevokeBy::User => {
                "UPDATE oauth_grants SET revoked_at = $1, revoked_reason = $2 \
                 WHERE tenant_id = $3 AND user_id = $4 AND revoked_at IS NULL"
            }
            RevokeBy::Session => {
                "UPDATE oauth_grants SET revoked_at = $1, revoked_reason = $2 \
                 WHERE tenant_id = $3 AND session_handle = $4 AND revoked_at IS NULL"
            }
            RevokeBy::Client => {
                "UPDATE oauth_grants SET revoked_at = $1, revoked_reason = $2 \
                 WHERE tenant_id = $3 AND client_id = $4 AND revoked_at IS NULL"
            }
        }
    }
}
