//! Addresses refused at the HTTP edge (`blocked_addresses`), for a tenant
//! or for every tenant, or on the management API, until they expire.
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use super::StoreError;
use crate::domain::tenant::TenantId;

/// What a block refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppliesTo {
    /// The tenant's pages and OAuth endpoints (`/t/{slug}/…`); every
    /// tenant's when the block has no tenant.
    Tenant,
    /// The management API (`/manage/v1`), whatever tenant holds the block.
    ManageApi,
}

impl AppliesTo {
    pub fn as_str(self) -> &'static str {
        match self {
            AppliesTo::Tenant => "tenant",
            AppliesTo::ManageApi => "manage",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        match text {
            "tenant" => Ok(AppliesTo::Tenant),
            "manage" => Ok(AppliesTo::ManageApi),
            other => Err(StoreError::Corrupt(format!("block applies_to `{other}`"))),
        }
    }
}

/// A block as stored. `network` is an address or CIDR range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub id: String,
    /// `None`: every tenant.
    pub tenant_id: Option<TenantId>,
    /// The tenant's slug (what the edge sees in the path), when scoped.
    pub tenant_slug: Option<String>,
    pub network: String,
    pub reason: String,
    /// `sentinel` or `operator`.
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub applies_to: AppliesTo,
}

/// A block to add.
#[derive(Debug, Clone)]
pub struct NewBlock<'a> {
    pub tenant_id: Option<TenantId>,
    pub network: &'a str,
    pub reason: &'a str,
    pub created_by: &'a str,
    pub created_at: i64,
    pub expires_at: i64,
    pub applies_to: AppliesTo,
}

const COLUMNS: &str = "b.id, b.tenant_id, t.slug, b.network, b.reason, b.created_by, \
                       b.created_at, b.expires_at, b.applies_to \
                       FROM blocked_addresses b LEFT JOIN tenants t ON t.id = b.tenant_id";

#[derive(Clone)]
pub struct BlockStore {
    pool: AnyPool,
}

impl BlockStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Adds a block; its id.
    pub async fn insert(&self, b: &NewBlock<'_>) -> Result<String, StoreError> {
        let id = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO blocked_addresses \
             (id, tenant_id, network, reason, created_by, created_at, expires_at, applies_to) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(b.tenant_id.map(|t| t.to_string()))
        .bind(b.network)
        .bind(b.reason)
        .bind(b.created_by)
        .bind(b.created_at)
        .bind(b.expires_at)
        .bind(b.applies_to.as_str())
        .execute(&self.pool)
        .await?;
        Ok(id)
    }

    /// Every block still in force at `now`, of every tenant.
    pub async fn active(&self, now: i64) -> Result<Vec<Block>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} WHERE b.expires_at > $1 ORDER BY b.created_at, b.id"
        ))
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(block_from_row).collect()
    }

    /// The tenant's blocks still in force at `now`, newest first.
    pub async fn list(&self, tenant: TenantId, now: i64) -> Result<Vec<Block>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} WHERE b.tenant_id = $1 AND b.expires_at > $2 \
             ORDER BY b.created_at DESC, b.id"
        ))
        .bind(tenant.to_string())
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(block_from_row).collect()
    }

    /// Removes the tenant's block `id`; what it was, if it was there.
    pub async fn remove(&self, tenant: TenantId, id: &str) -> Result<Option<Block>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} WHERE b.tenant_id = $1 AND b.id = $2"
        ))
        .bind(tenant.to_string())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(block) = row.as_ref().map(block_from_row).transpose()? else {
            return Ok(None);
        };
        sqlx::query("DELETE FROM blocked_addresses WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.to_string())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(block))
    }
}

fn block_from_row(row: &AnyRow) -> Result<Block, StoreError> {
    let tenant_id: Option<String> = row.try_get("tenant_id")?;
    let tenant_id = tenant_id
        .map(|t| TenantId::parse(&t).map_err(|_| StoreError::Corrupt(format!("tenant_id `{t}`"))))
        .transpose()?;
    Ok(Block {
        id: row.try_get("id")?,
        tenant_id,
        tenant_slug: row.try_get("slug")?,
        network: row.try_get("network")?,
        reason: row.try_get("reason")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        applies_to: AppliesTo::parse(&row.try_get::<String, _>("applies_to")?)?,
    })
}
