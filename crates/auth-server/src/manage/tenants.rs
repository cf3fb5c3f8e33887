//! Tenants: a new one gets its signing keys at once, and a changed one is
//! dropped from this instance's tenant directory.
use std::sync::Arc;

use serde_json::Value;

use super::ManageError;
use crate::cache::TenantDirectory;
use crate::domain::branding::Branding;
use crate::domain::tenant::{NewTenant, Tenant, TenantId, TenantSettings, TenantUpdate};
use crate::domain::user::UserId;
use crate::keys::keyring::KeyService;
use crate::store::tenants::TenantStore;
use service_kit::paging::{Page, PageRequest};

pub struct Tenants {
    store: TenantStore,
    directory: Arc<TenantDirectory>,
    keys: Arc<KeyService>,
}

impl Tenants {
    pub fn new(store: TenantStore, directory: Arc<TenantDirectory>, keys: Arc<KeyService>) -> Self {
        Self {
            store,
            directory,
            keys,
        }
    }

    pub async fn create(&self, new: NewTenant) -> Result<Tenant, ManageError> {
        let tenant = self.store.create(new).await?;
        self.created(tenant).await
    }

    /// A tenant made by a platform user for themselves: they are its owner,
    /// and they may be a member of at most `max` enabled tenants (`None`
    /// past it; counted in the write, see `TenantStore::create_owned`).
    pub async fn create_owned(
        &self,
        new: NewTenant,
        owner: UserId,
        max: usize,
    ) -> Result<Option<Tenant>, ManageError> {
        match self.store.create_owned(new, owner, max).await? {
            Some(tenant) => Ok(Some(self.created(tenant).await?)),
            None => Ok(None),
        }
    }

    /// What follows a tenant's creation: its keys exist before anything
    /// asks for them (no GET ever makes one).
    async fn created(&self, tenant: Tenant) -> Result<Tenant, ManageError> {
        self.keys
            .ensure_keys(tenant.id, &[])
            .await
            .map_err(ManageError::Keys)?;
        tracing::info!(tenant_id = %tenant.id, slug = %tenant.slug, "tenant created");
        Ok(tenant)
    }

    pub async fn list(&self, page: &PageRequest) -> Result<Page<Tenant>, ManageError> {
        Ok(self.store.list(page).await?)
    }

    pub async fn get(&self, id: TenantId) -> Result<Tenant, ManageError> {
        Ok(self.store.get(id).await?)
    }

    pub async fn get_by_slug(&self, slug: &str) -> Result<Tenant, ManageError> {
        Ok(self.store.get_by_slug(slug).await?)
    }

    /// The tenant named by `key`, its id or its slug (as an operator types
    /// it on the command line).
    pub async fn find(&self, key: &str) -> Result<Tenant, ManageError> {
        match TenantId::parse(key) {
            Ok(id) => self.get(id).await,
            Err(_) => self.get_by_slug(key).await,
        }
    }

    pub async fn update(&self, id: TenantId, update: TenantUpdate) -> Result<Tenant, ManageError> {
        let tenant = self.store.update(id, update).await?;
        self.directory.changed(id);
        tracing::info!(tenant_id = %tenant.id, "tenant updated");
        Ok(tenant)
    }

    /// Sets the tenant's logo and brand colour, keeping its other settings.
    pub async fn set_branding(
        &self,
        id: TenantId,
        branding: &Branding,
    ) -> Result<Tenant, ManageError> {
        self.change_settings(id, |current| Ok(branding.applied_to(current)?))
            .await
    }

    /// Changes the settings by a JSON merge patch (RFC 7396): the keys it
    /// names are set (each checked against its rule) or, when `null`,
    /// removed; the others stay. A refused patch changes nothing.
    pub async fn patch_settings(&self, id: TenantId, patch: Value) -> Result<Tenant, ManageError> {
        self.change_settings(id, |current| Ok(current.merged(patch.clone())?))
            .await
    }

    /// The settings as `change` makes them of the stored ones, the rest of
    /// the tenant as it is; a change made meanwhile is kept (see
    /// `TenantStore::change_settings`).
    async fn change_settings(
        &self,
        id: TenantId,
        change: impl FnMut(&TenantSettings) -> Result<TenantSettings, ManageError>,
    ) -> Result<Tenant, ManageError> {
        let tenant = self.store.change_settings(id, change).await?;
        self.directory.changed(id);
        tracing::info!(tenant_id = %tenant.id, "tenant updated");
        Ok(tenant)
    }

    /// Its pages and endpoints then treat it as unknown; disabling a
    /// disabled tenant keeps the first date.
    pub async fn disable(&self, id: TenantId) -> Result<Tenant, ManageError> {
        let tenant = self.store.disable(id).await?;
        self.directory.changed(id);
        tracing::info!(tenant_id = %tenant.id, "tenant disabled");
        Ok(tenant)
    }
}
