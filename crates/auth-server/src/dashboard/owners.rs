//! Tenant ownership. An owner is a user of the `platform` tenant; operators
//! add them by email (the person signs up at `/t/platform/signup` first) and
//! remove them; the dashboard asks on every request, so a removal takes
//! effect at once.
use std::sync::Arc;

use crate::billing_link::platform::{Platform, PlatformError};
use crate::domain::email::Email;
use crate::domain::owner::Owner;
use crate::domain::tenant::{Tenant, TenantId};
use crate::domain::user::UserId;
use crate::store::owners::OwnerStore;
use crate::store::tenants::TenantStore;
use crate::store::users::UserStore;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum OwnerError {
    #[error("no such tenant")]
    TenantNotFound,
    #[error("the platform tenant has no owners: its users are the owners of other tenants")]
    PlatformTenant,
    #[error("email: {0}")]
    InvalidEmail(#[from] service_kit::mail::EmailError),
    #[error(
        "no user of the platform tenant has the email address {0}: \
         the person signs up at /t/platform/signup first"
    )]
    UnknownUser(String),
    #[error("this user is not an owner of the tenant")]
    NotAnOwner,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Platform(#[from] PlatformError),
}

pub struct Owners {
    store: OwnerStore,
    users: UserStore,
    tenants: TenantStore,
    platform: Arc<Platform>,
}

impl Owners {
    pub fn new(
        store: OwnerStore,
        users: UserStore,
        tenants: TenantStore,
        platform: Arc<Platform>,
    ) -> Self {
        Self {
            store,
            users,
            tenants,
            platform,
        }
    }

    /// Makes the platform user with `email` an owner of `tenant`; true if
    /// they were not one already (adding twice changes nothing).
    pub async fn add(&self, tenant: TenantId, email: &str) -> Result<(Owner, bool), OwnerError> {
        let platform = self.platform.ensure().await?;
        if tenant == platform {
            return Err(OwnerError::PlatformTenant);
        }
        self.existing(tenant).await?;
        let email = Email::parse(email)?;
        let user = self
            .users
            .find_by_email(platform, &email)
            .await?
            .ok_or_else(|| OwnerError::UnknownUser(email.address().to_owned()))?;
        let added = self.store.add(tenant, user.id, crate::store::now()).await?;
        let owner = self
            .store
            .get(tenant, user.id)
            .await?
            .ok_or(OwnerError::NotAnOwner)?;
        Ok((owner, added))
    }

    /// Makes `user` (a platform user who just created `tenant` at the
    /// dashboard) its owner.
    pub async fn add_creator(&self, tenant: TenantId, user: UserId) -> Result<(), OwnerError> {
        self.store.add(tenant, user, crate::store::now()).await?;
        Ok(())
    }

    pub async fn list(&self, tenant: TenantId) -> Result<Vec<Owner>, OwnerError> {
        self.existing(tenant).await?;
        Ok(self.store.list(tenant).await?)
    }

    pub async fn remove(&self, tenant: TenantId, user: UserId) -> Result<(), OwnerError> {
        self.existing(tenant).await?;
        if self.store.remove(tenant, user).await? {
            Ok(())
        } else {
            Err(OwnerError::NotAnOwner)
        }
    }

    /// The enabled tenants `user` (a platform user) owns.
    pub async fn tenants_of(&self, user: UserId) -> Result<Vec<Tenant>, OwnerError> {
        Ok(self.store.tenants_of(user).await?)
    }

    /// The tenant `slug` if `user` owns it. `None` alike for an unknown
    /// tenant and someone else's, so tenants cannot be probed.
    pub async fn owned_tenant(
        &self,
        user: UserId,
        slug: &str,
    ) -> Result<Option<Tenant>, OwnerError> {
        Ok(self.store.owned_tenant(user, slug).await?)
    }

    async fn existing(&self, tenant: TenantId) -> Result<(), OwnerError> {
        match self.tenants.get(tenant).await {
            Ok(_) => Ok(()),
            Err(StoreError::TenantNotFound) => Err(OwnerError::TenantNotFound),
            Err(e) => Err(e.into()),
        }
    }
}
