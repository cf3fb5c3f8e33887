//! Tenants table.
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use std::sync::Arc;

use super::{is_unique_violation, StoreError};
use crate::domain::team::Role;
use crate::domain::tenant::{
    DisplayName, NewTenant, Tenant, TenantId, TenantSettings, TenantSlug, TenantUpdate,
    PLATFORM_SLUG,
};
use crate::domain::user::UserId;
use service_kit::clock::{SharedClock, SystemClock};
use service_kit::paging::{Page, PageRequest};

const COLUMNS: &str = "id, slug, display_name, settings, created_at, updated_at, disabled_at";

#[derive(Clone)]
pub struct TenantStore {
    pool: AnyPool,
    /// Stamps `created_at`, `updated_at` and `disabled_at`.
    clock: SharedClock,
}

impl TenantStore {
    /// A store that stamps times with the wall clock (tools, tests).
    pub fn new(pool: AnyPool) -> Self {
        Self::with_clock(pool, Arc::new(SystemClock))
    }

    /// A store that stamps times with `clock` (the server's injected one).
    pub fn with_clock(pool: AnyPool, clock: SharedClock) -> Self {
        Self { pool, clock }
    }

    fn now(&self) -> i64 {
        self.clock.now()
    }

    pub async fn create(&self, new: NewTenant) -> Result<Tenant, StoreError> {
        let tenant = self.new_tenant(new);
        insert(&self.pool, &tenant).await?;
        Ok(tenant)
    }

    /// Creates the tenant with `owner` as its owner, unless `owner` is
    /// already a member of `max` enabled tenants: `None` then, and nothing
    /// is written. One transaction that first writes the owner's user row,
    /// so sign-ups at the same moment are counted one after the other and
    /// never pass `max` together.
    pub async fn create_owned(
        &self,
        new: NewTenant,
        owner: UserId,
        max: usize,
    ) -> Result<Option<Tenant>, StoreError> {
        let tenant = self.new_tenant(new);
        let owner_id = owner.to_string();
        let mut tx = self.pool.begin().await?;
        // Changes nothing and names no column the caches watch.
        let locked = sqlx::query("UPDATE users SET password_hash = password_hash WHERE id = $1")
            .bind(&owner_id)
            .execute(&mut *tx)
            .await?;
        if locked.rows_affected() == 0 {
            return Err(StoreError::UserNotFound);
        }
        let member_of: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM tenant_owners o JOIN tenants t ON t.id = o.tenant_id \
             WHERE o.user_id = $1 AND t.disabled_at IS NULL",
        )
        .bind(&owner_id)
        .fetch_one(&mut *tx)
        .await?;
        if usize::try_from(member_of).map_or(true, |n| n >= max) {
            return Ok(None);
        }
        insert(&mut *tx, &tenant).await?;
        super::owners::insert_member(&mut *tx, tenant.id, owner, Role::Owner, tenant.created_at)
            .await?;
        tx.commit().await?;
        Ok(Some(tenant))
    }

    /// A tenant made now from `new`, not yet stored.
    fn new_tenant(&self, new: NewTenant) -> Tenant {
        let now = self.now();
        Tenant {
            id: TenantId::new(),
            slug: new.slug,
            display_name: new.display_name,
            settings: new.settings,
            created_at: now,
            updated_at: now,
            disabled_at: None,
        }
    }

    pub async fn get(&self, id: TenantId) -> Result<Tenant, StoreError> {
        Ok(self.get_revised(id).await?.0)
    }

    /// The tenant and its revision, the count of changes of its name and
    /// settings, which [`TenantStore::change_settings`] writes over.
    async fn get_revised(&self, id: TenantId) -> Result<(Tenant, i64), StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS}, revision FROM tenants WHERE id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::TenantNotFound)?;
        Ok((tenant_from_row(&row)?, row.try_get("revision")?))
    }

    pub async fn get_by_slug(&self, slug: &str) -> Result<Tenant, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM tenants WHERE slug = $1"))
            .bind(slug)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(tenant_from_row)
            .unwrap_or(Err(StoreError::TenantNotFound))
    }

    /// Tenants in slug order, `page.limit()` at a time.
    pub async fn list(&self, page: &PageRequest) -> Result<Page<Tenant>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM tenants WHERE slug > $1 ORDER BY slug LIMIT $2"
        ))
        .bind(page.after().unwrap_or(""))
        .bind(page.size().fetch())
        .fetch_all(&self.pool)
        .await?;
        Page::from_rows(&rows, page.size(), tenant_from_row, |t| t.slug.to_string())
    }

    /// Changes what `update` names, in one statement: no read-then-write
    /// transaction, which SQLite would refuse (`SQLITE_BUSY`) when another
    /// writer commits in between.
    pub async fn update(&self, id: TenantId, update: TenantUpdate) -> Result<Tenant, StoreError> {
        let done = sqlx::query(
            "UPDATE tenants SET display_name = COALESCE($1, display_name), \
             settings = COALESCE($2, settings), updated_at = $3, revision = revision + 1 \
             WHERE id = $4",
        )
        .bind(update.display_name.as_ref().map(|n| n.as_ref().to_owned()))
        .bind(update.settings.as_ref().map(TenantSettings::to_json))
        .bind(self.now())
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::TenantNotFound);
        }
        self.get(id).await
    }

    /// Sets the tenant's settings to what `change` makes of the stored ones.
    /// The write lands only if no other change came since the read (the
    /// row's revision); else `change` runs again on what that one wrote, up
    /// to three times (`Contended` then). So two changes at once (a patch
    /// from the API, new branding from the console) both stay.
    pub async fn change_settings<E: From<StoreError>>(
        &self,
        id: TenantId,
        mut change: impl FnMut(&TenantSettings) -> Result<TenantSettings, E>,
    ) -> Result<Tenant, E> {
        for _ in 0..3 {
            let (mut tenant, revision) = self.get_revised(id).await?;
            let settings = change(&tenant.settings)?;
            let now = self.now();
            let done = sqlx::query(
                "UPDATE tenants SET settings = $1, updated_at = $2, revision = revision + 1 \
                 WHERE id = $3 AND revision = $4",
            )
            .bind(settings.to_json())
            .bind(now)
            .bind(id.to_string())
            .bind(revision)
            .execute(&self.pool)
            .await
            .map_err(StoreError::from)?;
            if done.rows_affected() == 1 {
                tenant.settings = settings;
                tenant.updated_at = now;
                return Ok(tenant);
            }
        }
        Err(StoreError::Contended.into())
    }

    /// Disables the tenant; disabling a disabled tenant keeps the first date.
    /// The `platform` tenant (owners, service tokens) cannot be disabled.
    pub async fn disable(&self, id: TenantId) -> Result<Tenant, StoreError> {
        let at = self.now();
        let done = sqlx::query(
            "UPDATE tenants SET disabled_at = COALESCE(disabled_at, $1), updated_at = $1 \
             WHERE id = $2 AND slug <> $3",
        )
        .bind(at)
        .bind(id.to_string())
        .bind(PLATFORM_SLUG)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            // Unknown, or the platform tenant.
            self.get(id).await?;
            return Err(StoreError::ReservedTenant);
        }
        self.get(id).await
    }

    pub async fn count(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM tenants")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }
}

/// Stores `tenant`; `SlugTaken` when its slug is.
async fn insert<'e, E>(executor: E, tenant: &Tenant) -> Result<(), StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO tenants (id, slug, display_name, settings, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(tenant.id.to_string())
    .bind(tenant.slug.as_ref())
    .bind(tenant.display_name.as_ref())
    .bind(tenant.settings.to_json())
    .bind(tenant.created_at)
    .bind(tenant.updated_at)
    .execute(executor)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::SlugTaken(tenant.slug.to_string())
        } else {
            StoreError::Database(e)
        }
    })?;
    Ok(())
}

pub(crate) fn tenant_from_row(row: &AnyRow) -> Result<Tenant, StoreError> {
    let id: String = row.try_get("id")?;
    let settings: String = row.try_get("settings")?;
    let settings = serde_json::from_str(&settings)
        .map_err(|e| StoreError::Corrupt(format!("tenant {id} settings: {e}")))
        .and_then(|v| {
            TenantSettings::from_stored(v)
                .map_err(|e| StoreError::Corrupt(format!("tenant {id} settings: {e}")))
        })?;
    Ok(Tenant {
        id: TenantId::parse(&id).map_err(|_| StoreError::Corrupt(format!("tenant id `{id}`")))?,
        slug: TenantSlug::from_trusted(row.try_get("slug")?),
        display_name: DisplayName::from_trusted(row.try_get("display_name")?),
        settings,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        disabled_at: row.try_get("disabled_at")?,
    })
}
