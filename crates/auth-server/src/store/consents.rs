//! Scopes each user granted to each third-party client, remembered so the
//! consent screen shows only when something new is asked.
use sqlx::{AnyPool, Row};

use super::StoreError;
use crate::domain::tenant::TenantId;

#[derive(Clone)]
pub struct ConsentStore {
    pool: AnyPool,
}

/// What a user granted one client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    pub client_id: String,
    /// Space-separated.
    pub scope: String,
    /// Unix seconds.
    pub granted_at: i64,
}

impl ConsentStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Every client the user granted scopes to, by client id.
    pub async fn list_for_user(
        &self,
        tenant: TenantId,
        user_id: &str,
    ) -> Result<Vec<Consent>, StoreError> {
        let rows = sqlx::query(
            "SELECT client_id, scope, granted_at FROM consents WHERE tenant_id = $1 AND user_id = $2 \
             ORDER BY client_id",
        )
        .bind(tenant.to_string())
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Consent {
                    client_id: r.try_get("client_id")?,
                    scope: r.try_get("scope")?,
                    granted_at: r.try_get("granted_at")?,
                })
            })
            .collect()
    }

    /// The scopes granted so far (space-separated), if any.
    pub async fn granted(
        &self,
        tenant: TenantId,
        user_id: &str,
        client_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT scope FROM consents WHERE tenant_id = $1 AND user_id = $2 AND client_id = $3",
        )
        .bind(tenant.to_string())
        .bind(user_id)
        .bind(client_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| r.try_get("scope"))
            .transpose()
            .map_err(Into::into)
    }

    pub async fn grant(
        &self,
        tenant: TenantId,
        user_id: &str,
        client_id: &str,
        scope: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO consents (tenant_id, user_id, client_id, scope, granted_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (tenant_id, user_id, client_id) DO UPDATE SET scope = $4, granted_at = $5",
        )
        .bind(tenant.to_string())
        .bind(user_id)
        .bind(client_id)
        .bind(scope)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
