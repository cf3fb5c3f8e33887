//! Tenants by slug, as every tenant endpoint looks them up first.
use std::sync::Arc;

use super::{Freshness, GenMap};
use crate::domain::tenant::{Tenant, TenantId};
use crate::store::tenants::TenantStore;
use crate::store::StoreError;

/// Slugs remembered at once (unknown slugs are never remembered).
const SLUGS_MAX: usize = 50_000;

pub struct TenantDirectory {
    store: TenantStore,
    freshness: Arc<Freshness>,
    /// slug → the tenant, tagged with the tenant's catalog generation.
    by_slug: GenMap<String, Arc<Tenant>>,
    /// slug → the tenant id last seen behind it, to know whose generation
    /// an entry answers to (not tagged: a slug that moves is seen on reload).
    ids: GenMap<String, TenantId>,
}

impl TenantDirectory {
    pub fn new(store: TenantStore, freshness: Arc<Freshness>) -> Self {
        Self {
            store,
            freshness,
            by_slug: GenMap::new(SLUGS_MAX),
            ids: GenMap::new(SLUGS_MAX),
        }
    }

    /// The tenant named `slug`, disabled or not.
    pub async fn by_slug(&self, slug: &str) -> Result<Arc<Tenant>, StoreError> {
        let key = slug.to_owned();
        let id = match self.ids.get(&key, 0) {
            Some(id) => id,
            None => self.store.get_by_slug(slug).await?.id,
        };
        // The generation is read before the row, so a change committed
        // after the read moves it and the entry is loaded again.
        let generation = self.freshness.catalog(id).await?;
        if let Some(tenant) = self.by_slug.get(&key, generation) {
            return Ok(tenant);
        }
        match self.store.get_by_slug(slug).await {
            Ok(tenant) if tenant.id == id => {
                let tenant = Arc::new(tenant);
                self.ids.put(key.clone(), 0, id);
                self.by_slug.put(key, generation, Arc::clone(&tenant));
                Ok(tenant)
            }
            // The slug now names another tenant (or none): look again.
            Ok(_) | Err(StoreError::TenantNotFound) => {
                self.ids.remove(&key);
                self.by_slug.remove(&key);
                Ok(Arc::new(self.store.get_by_slug(slug).await?))
            }
            Err(e) => Err(e),
        }
    }

    /// The tenant named `slug` unless it is unknown or disabled: such a
    /// tenant has no endpoints and no pages.
    pub async fn active(&self, slug: &str) -> Result<Option<Arc<Tenant>>, StoreError> {
        match self.by_slug(slug).await {
            Ok(tenant) if !tenant.is_disabled() => Ok(Some(tenant)),
            Ok(_) | Err(StoreError::TenantNotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// This instance changed the tenant: its entries are dropped at once.
    pub fn changed(&self, tenant: TenantId) {
        self.freshness.catalog_changed(tenant);
    }
}
