//! Which tenant each API credential (a `platform` client) is bound to.
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use super::StoreError;
use crate::domain::api_credential::ApiCredential;
use crate::domain::tenant::TenantId;

const COLUMNS: &str = "client_id, tenant_id, name, created_by, created_at";

#[derive(Clone)]
pub struct ApiCredentialStore {
    pool: AnyPool,
}

impl ApiCredentialStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    pub async fn insert(&self, c: &ApiCredential) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO api_credentials ({COLUMNS}) VALUES ($1, $2, $3, $4, $5)"
        ))
        .bind(&c.client_id)
        .bind(c.tenant_id.to_string())
        .bind(&c.name)
        .bind(&c.created_by)
        .bind(c.created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The tenant's credentials, oldest first.
    pub async fn list(&self, tenant: TenantId) -> Result<Vec<ApiCredential>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM api_credentials WHERE tenant_id = $1 ORDER BY created_at, client_id"
        ))
        .bind(tenant.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(credential_from_row).collect()
    }

    /// The credential with this platform client id, whatever its tenant.
    pub async fn find(&self, client_id: &str) -> Result<Option<ApiCredential>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM api_credentials WHERE client_id = $1"
        ))
        .bind(client_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(credential_from_row).transpose()
    }

    /// Unbinds the credential; false if `tenant` has none with that id.
    pub async fn delete(&self, tenant: TenantId, client_id: &str) -> Result<bool, StoreError> {
        let done =
            sqlx::query("DELETE FROM api_credentials WHERE tenant_id = $1 AND client_id = $2")
                .bind(tenant.to_string())
                .bind(client_id)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() > 0)
    }
}

fn credential_from_row(row: &AnyRow) -> Result<ApiCredential, StoreError> {
    let tenant: String = row.try_get("tenant_id")?;
    Ok(ApiCredential {
        client_id: row.try_get("client_id")?,
        tenant_id: TenantId::parse(&tenant)
            .map_err(|_| StoreError::Corrupt(format!("credential tenant id `{tenant}`")))?,
        name: row.try_get("name")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
    })
}
