//! Each tenant's cache versions, one row per domain, bumped by database
//! triggers (migration `cache_versions`): `catalog` when the tenant row, its
//! clients, its signing keys or its revoked access tokens change, `grants`
//! when a grant is revoked, `users` when what userinfo shows of a user (or
//! whether it is disabled) changes.
use sqlx::postgres::PgListener;
use sqlx::{AnyPool, Row};

use super::StoreError;
use crate::domain::tenant::TenantId;

/// The PostgreSQL channel the triggers notify with the tenant id.
pub const CHANGED_CHANNEL: &str = "connectauth_tenant_changed";

/// What a version row covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Domain {
    /// The tenant row, its clients, signing keys and revoked access tokens.
    Catalog,
    /// Revocations of the tenant's grants.
    Grants,
    /// What userinfo shows of the tenant's users, and whether they are disabled.
    Users,
}

impl Domain {
    pub const ALL: [Domain; 3] = [Domain::Catalog, Domain::Grants, Domain::Users];

    pub fn as_str(self) -> &'static str {
        match self {
            Domain::Catalog => "catalog",
            Domain::Grants => "grants",
            Domain::Users => "users",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == text)
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

#[derive(Clone)]
pub struct TenantVersionStore {
    pool: AnyPool,
}

impl TenantVersionStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// The tenant's version of each domain, in [`Domain::ALL`] order; 0 for
    /// a domain where nothing changed yet.
    pub async fn versions(&self, tenant: TenantId) -> Result<[i64; 3], StoreError> {
        let rows = sqlx::query("SELECT domain, version FROM tenant_versions WHERE tenant_id = $1")
            .bind(tenant.to_string())
            .fetch_all(&self.pool)
            .await?;
        let mut versions = [0; 3];
        for row in rows {
            let domain: String = row.try_get("domain")?;
            let domain = Domain::parse(&domain)
                .ok_or_else(|| StoreError::Corrupt(format!("cache domain `{domain}`")))?;
            versions[domain.index()] = row.try_get("version")?;
        }
        Ok(versions)
    }
}

/// The notifications of [`CHANGED_CHANNEL`] on PostgreSQL: which tenant
/// changed, as soon as its transaction commits.
pub struct ChangeFeed {
    listener: PgListener,
}

impl ChangeFeed {
    /// Listens on its own connection to `database_url` (a PostgreSQL URL).
    pub async fn listen(database_url: &str) -> Result<Self, StoreError> {
        let mut listener = PgListener::connect(database_url).await?;
        listener.listen(CHANGED_CHANNEL).await?;
        Ok(Self { listener })
    }

    /// The next tenant and domain that changed. After a lost connection the
    /// listener connects again; what was notified meanwhile is lost, which
    /// the version rows (read once per second) make up for.
    pub async fn next(&mut self) -> Result<Option<(TenantId, Domain)>, StoreError> {
        let notification = self.listener.recv().await?;
        Ok(notification
            .payload()
            .split_once(':')
            .and_then(|(domain, tenant)| {
                Some((TenantId::parse(tenant).ok()?, Domain::parse(domain)?))
            }))
    }
}
