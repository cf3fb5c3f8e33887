//! Tenant owners: which users of the `platform` tenant may use a tenant's
//! dashboard. Every query names the tenant or the owner it is about.
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use super::tenants::tenant_from_row;
use super::StoreError;
use crate::domain::owner::Owner;
use crate::domain::tenant::{Tenant, TenantId};
use crate::domain::user::UserId;

const TENANT_COLUMNS: &str =
    "t.id, t.slug, t.display_name, t.settings, t.created_at, t.updated_at, t.disabled_at";

#[derive(Clone)]
pub struct OwnerStore {
    pool: AnyPool,
}

impl OwnerStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Makes `user` an owner of `tenant`; false if they already were (the
    /// row is left as it was).
    pub async fn add(&self, tenant: TenantId, user: UserId, now: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO tenant_owners (tenant_id, user_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (tenant_id, user_id) DO NOTHING",
        )
        .bind(tenant.to_string())
        .bind(user.to_string())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The tenant's owners, oldest first.
    pub async fn list(&self, tenant: TenantId) -> Result<Vec<Owner>, StoreError> {
        let rows = sqlx::query(
            "SELECT o.tenant_id, o.user_id, u.email, u.display_name, o.created_at \
             FROM tenant_owners o JOIN users u ON u.id = o.user_id \
             WHERE o.tenant_id = $1 ORDER BY o.created_at, u.email",
        )
        .bind(tenant.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(owner_from_row).collect()
    }

    pub async fn get(&self, tenant: TenantId, user: UserId) -> Result<Option<Owner>, StoreError> {
        let row = sqlx::query(
            "SELECT o.tenant_id, o.user_id, u.email, u.display_name, o.created_at \
             FROM tenant_owners o JOIN users u ON u.id = o.user_id \
             WHERE o.tenant_id = $1 AND o.user_id = $2",
        )
        .bind(tenant.to_string())
        .bind(user.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(owner_from_row).transpose()
    }

    /// False if `user` was not an owner of `tenant`.
    pub async fn remove(&self, tenant: TenantId, user: UserId) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM tenant_owners WHERE tenant_id = $1 AND user_id = $2")
            .bind(tenant.to_string())
            .bind(user.to_string())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The enabled tenants `user` owns, in slug order.
    pub async fn tenants_of(&self, user: UserId) -> Result<Vec<Tenant>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {TENANT_COLUMNS} FROM tenant_owners o JOIN tenants t ON t.id = o.tenant_id \
             WHERE o.user_id = $1 AND t.disabled_at IS NULL ORDER BY t.slug"
        ))
        .bind(user.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(tenant_from_row).collect()
    }

    /// The enabled tenant with this slug if `user` owns it; `None` whether
    /// the tenant does not exist or is someone else's.
    pub async fn owned_tenant(
        &self,
        user: UserId,
        slug: &str,
    ) -> Result<Option<Tenant>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {TENANT_COLUMNS} FROM tenant_owners o JOIN tenants t ON t.id = o.tenant_id \
             WHERE o.user_id = $1 AND t.slug = $2 AND t.disabled_at IS NULL"
        ))
        .bind(user.to_string())
        .bind(slug)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(tenant_from_row).transpose()
    }
}

fn owner_from_row(row: &AnyRow) -> Result<Owner, StoreError> {
    let tenant: String = row.try_get("tenant_id")?;
    let user: String = row.try_get("user_id")?;
    Ok(Owner {
        tenant_id: TenantId::parse(&tenant)
            .map_err(|_| StoreError::Corrupt(format!("owner tenant id `{tenant}`")))?,
        user_id: UserId::parse(&user)
            .ok_or_else(|| StoreError::Corrupt(format!("owner user id `{user}`")))?,
        email: row.try_get("email")?,
        display_name: row.try_get("display_name")?,
        created_at: row.try_get("created_at")?,
    })
}
