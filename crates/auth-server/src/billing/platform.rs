//! The reserved `platform` tenant: tenant owners and operators log in there,
//! and ConnectAuth's own services call each other with its tokens. The auth
//! server makes it (with its signing keys) the first time it needs it.
use std::sync::Arc;

use tokio::sync::OnceCell;

use crate::domain::display_name::DisplayName;
use crate::domain::tenant::{NewTenant, TenantId, TenantSettings, TenantSlug, PLATFORM_SLUG};
use crate::keys::keyring::{KeyService, KeyringError};
use crate::store::tenants::TenantStore;
use crate::store::StoreError;

pub const PLATFORM_DISPLAY_NAME: &str = "ConnectAuth";

#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    #[error("platform tenant: {0}")]
    Store(#[from] StoreError),
    #[error("platform tenant keys: {0}")]
    Keys(#[from] KeyringError),
}

pub struct Platform {
    tenants: TenantStore,
    keys: Arc<KeyService>,
    /// Known once it exists; a tenant id never changes.
    id: OnceCell<TenantId>,
}

impl Platform {
    pub fn new(tenants: TenantStore, keys: Arc<KeyService>) -> Self {
        Self {
            tenants,
            keys,
            id: OnceCell::new(),
        }
    }

    /// The platform tenant's id, creating the tenant and its keys when
    /// missing. Safe from several instances at once: the slug is unique, so
    /// the loser of a creation race reads the winner's row; `ensure_keys` is
    /// idempotent.
    pub async fn ensure(&self) -> Result<TenantId, PlatformError> {
        self.id
            .get_or_try_init(|| async {
                let id = self.find_or_create().await?;
                self.keys.ensure_keys(id, &[]).await?;
                Ok::<_, PlatformError>(id)
            })
            .await
            .copied()
    }

    async fn find_or_create(&self) -> Result<TenantId, PlatformError> {
        match self.tenants.get_by_slug(PLATFORM_SLUG).await {
            Ok(tenant) => return Ok(tenant.id),
            Err(StoreError::TenantNotFound) => {}
            Err(e) => return Err(e.into()),
        }
        let new = NewTenant {
            slug: TenantSlug::from_trusted(PLATFORM_SLUG.to_owned()),
            display_name: DisplayName::from_trusted(PLATFORM_DISPLAY_NAME.to_owned()),
            settings: TenantSettings::default(),
        };
        match self.tenants.create(new).await {
            Ok(tenant) => {
                tracing::info!(tenant = %tenant.id, "platform tenant created");
                Ok(tenant.id)
            }
            Err(StoreError::SlugTaken(_)) => Ok(self.tenants.get_by_slug(PLATFORM_SLUG).await?.id),
            Err(e) => Err(e.into()),
        }
    }
}
