//! A tenant's team (`tenant_owners`): which users of the `platform` tenant
//! may use a tenant's console, each with a role. Every query names the
//! tenant or the member it is about. No change leaves a tenant without an
//! owner: the guard is in the statement itself, so two owners removing each
//! other at once cannot both succeed.
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use super::tenants::tenant_from_row;
use super::{parse_id, StoreError};
use crate::domain::owner::Owner;
use crate::domain::team::Role;
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

    /// Makes `user` a member of `tenant` with `role`; false if they already
    /// were one (their row, role included, is left as it was).
    pub async fn add(
        &self,
        tenant: TenantId,
        user: UserId,
        role: Role,
        now: i64,
    ) -> Result<bool, StoreError> {
        insert_member(&self.pool, tenant, user, role, now).await
    }

    /// Gives a member `role`. False when they are not a member, or when
    /// they are the tenant's last owner and `role` is not owner.
    pub async fn set_role(
        &self,
        tenant: TenantId,
        user: UserId,
        role: Role,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        lock_owners(&mut tx, tenant).await?;
        let done = sqlx::query(&format!(
            "UPDATE tenant_owners SET role = $3 WHERE tenant_id = $1 AND user_id = $2 \
             AND ($3 = 'owner' OR {NOT_LAST_OWNER})"
        ))
        .bind(tenant.to_string())
        .bind(user.to_string())
        .bind(role.as_str())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// The tenant's owners, oldest first.
    pub async fn list(&self, tenant: TenantId) -> Result<Vec<Owner>, StoreError> {
        let rows = sqlx::query(
            "SELECT o.tenant_id, o.user_id, u.email, u.display_name, o.role, o.created_at \
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
            "SELECT o.tenant_id, o.user_id, u.email, u.display_name, o.role, o.created_at \
             FROM tenant_owners o JOIN users u ON u.id = o.user_id \
             WHERE o.tenant_id = $1 AND o.user_id = $2",
        )
        .bind(tenant.to_string())
        .bind(user.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(owner_from_row).transpose()
    }

    /// Removes a member. False if `user` was not a member of `tenant`, or is
    /// its last owner.
    pub async fn remove(&self, tenant: TenantId, user: UserId) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        lock_owners(&mut tx, tenant).await?;
        let done = sqlx::query(&format!(
            "DELETE FROM tenant_owners WHERE tenant_id = $1 AND user_id = $2 \
             AND (role <> 'owner' OR {NOT_LAST_OWNER})"
        ))
        .bind(tenant.to_string())
        .bind(user.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// The enabled tenants `user` is a member of, in slug order, with their role.
    pub async fn tenants_of(&self, user: UserId) -> Result<Vec<(Tenant, Role)>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {TENANT_COLUMNS}, o.role FROM tenant_owners o JOIN tenants t ON t.id = o.tenant_id \
             WHERE o.user_id = $1 AND t.disabled_at IS NULL ORDER BY t.slug"
        ))
        .bind(user.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((tenant_from_row(row)?, role_from_row(row)?)))
            .collect()
    }

    /// The enabled tenant with this slug and `user`'s role in it, if they
    /// are a member; `None` whether the tenant does not exist or is someone
    /// else's.
    pub async fn owned_tenant(
        &self,
        user: UserId,
        slug: &str,
    ) -> Result<Option<(Tenant, Role)>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {TENANT_COLUMNS}, o.role FROM tenant_owners o JOIN tenants t ON t.id = o.tenant_id \
             WHERE o.user_id = $1 AND t.slug = $2 AND t.disabled_at IS NULL"
        ))
        .bind(user.to_string())
        .bind(slug)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref()
            .map(|row| Ok((tenant_from_row(row)?, role_from_row(row)?)))
            .transpose()
    }
}

/// Makes `user` a member of `tenant` with `role` through `executor` (a
/// pool, or a transaction that creates the tenant); false if they already
/// were one.
pub(super) async fn insert_member<'e, E>(
    executor: E,
    tenant: TenantId,
    user: UserId,
    role: Role,
    now: i64,
) -> Result<bool, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(
        "INSERT INTO tenant_owners (tenant_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (tenant_id, user_id) DO NOTHING",
    )
    .bind(tenant.to_string())
    .bind(user.to_string())
    .bind(role.as_str())
    .bind(now)
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Locks the tenant's owner rows until the transaction ends (an UPDATE
/// that changes nothing takes PostgreSQL's row locks; SQLite has one
/// writer at a time anyway), so the last-owner guard of the next statement
/// sees every concurrent change to them.
async fn lock_owners(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    tenant: TenantId,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE tenant_owners SET role = role WHERE tenant_id = $1 AND role = 'owner'")
        .bind(tenant.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// True when the row's tenant has another owner besides the row's member
/// (`$1` the tenant, `$2` the member).
const NOT_LAST_OWNER: &str = "EXISTS (SELECT 1 FROM tenant_owners other \
     WHERE other.tenant_id = $1 AND other.role = 'owner' AND other.user_id <> $2)";

fn role_from_row(row: &AnyRow) -> Result<Role, StoreError> {
    let role: String = row.try_get("role")?;
    Role::parse(&role).map_err(|_| StoreError::Corrupt(format!("member role `{role}`")))
}

fn owner_from_row(row: &AnyRow) -> Result<Owner, StoreError> {
    Ok(Owner {
        tenant_id: parse_id(row, "tenant_id", |t| TenantId::parse(t).ok())?,
        user_id: parse_id(row, "user_id", UserId::parse)?,
        email: row.try_get("email")?,
        display_name: row.try_get("display_name")?,
        role: role_from_row(row)?,
        created_at: row.try_get("created_at")?,
    })
}
