//! Each tenant's cache version, bumped by database triggers whenever the
//! tenant row, its clients, its signing keys or its revoked access tokens
//! change (migration `cache_versions`): one indexed row per tenant.
use sqlx::postgres::PgListener;
use sqlx::{AnyPool, Row};

use super::StoreError;
use crate::domain::tenant::TenantId;

/// The PostgreSQL channel the triggers notify with the tenant id.
pub const CHANGED_CHANNEL: &str = "connectauth_tenant_changed";

#[derive(Clone)]
pub struct TenantVersionStore {
    pool: AnyPool,
}

impl TenantVersionStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// The tenant's version; 0 before anything of it changed.
    pub async fn version(&self, tenant: TenantId) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT version FROM tenant_versions WHERE tenant_id = $1")
            .bind(tenant.to_string())
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => r.try_get("version")?,
            None => 0,
        })
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

    /// The next tenant that changed. After a lost connection the listener
    /// connects again; what was notified meanwhile is lost, which the
    /// version row (read once per second) makes up for.
    pub async fn next(&mut self) -> Result<Option<TenantId>, StoreError> {
        let notification = self.listener.recv().await?;
        Ok(TenantId::parse(notification.payload()).ok())
    }
}
