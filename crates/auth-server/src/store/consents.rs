//! Scopes each user granted to each third-party client, remembered so the
//! consent screen shows only when something new is asked.
use sqlx::{AnyPool, Row};

use super::StoreError;
use crate::domain::tenant::TenantId;

#[derive(Clone)]
pub struct ConsentStore {
    pool: AnyPool,
}

impl ConsentStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
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
