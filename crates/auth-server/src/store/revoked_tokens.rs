//! Access tokens that have no grant row (client_credentials) but were
//! revoked before they expire: their `jti` until their `exp`.
use sqlx::{AnyPool, Row};

use super::StoreError;
use crate::domain::tenant::TenantId;

#[derive(Clone)]
pub struct RevokedTokenStore {
    pool: AnyPool,
}

/// One revoked access token.
pub struct RevokedToken<'a> {
    pub tenant: TenantId,
    pub jti: &'a str,
    pub client_id: &'a str,
    pub expires_at: i64,
    pub revoked_at: i64,
}

impl RevokedTokenStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Records the revocation; revoking twice keeps the first row.
    pub async fn insert(&self, token: &RevokedToken<'_>) -> Result<(), StoreError> {
        let done = sqlx::query(
            "INSERT INTO revoked_access_tokens (tenant_id, jti, client_id, expires_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token.tenant.to_string())
        .bind(token.jti)
        .bind(token.client_id)
        .bind(token.expires_at)
        .bind(token.revoked_at)
        .execute(&self.pool)
        .await;
        match done {
            Ok(_) => Ok(()),
            Err(e) if super::is_unique_violation(&e) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// The `jti`s of the tenant's revoked tokens that have not expired yet.
    pub async fn live(&self, tenant: TenantId, now: i64) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT jti FROM revoked_access_tokens WHERE tenant_id = $1 AND expires_at > $2",
        )
        .bind(tenant.to_string())
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| r.try_get::<String, _>("jti").map_err(StoreError::from))
            .collect()
    }
}
