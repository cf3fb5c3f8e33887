//! A tenant's team. A member is a user of the `platform` tenant with a role
//! (owner, admin, viewer). Operators add them by email (the person signs up
//! at `/t/platform/signup` first); owners invite them by email from the
//! console (a single-use link, accepted by the platform user with that
//! verified address), change their role and remove them. The console asks
//! on every request, so a change takes effect at once. A tenant always
//! keeps an owner.
use std::sync::Arc;

use service_kit::clock::SharedClock;

use crate::billing_link::platform::{Platform, PlatformError};
use crate::domain::email::Email;
use crate::domain::owner::Owner;
use crate::domain::team::Role;
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
    #[error("the tenant's last owner cannot leave or stop being an owner")]
    LastOwner,
    #[error("{0} is already a member of the team")]
    AlreadyMember(String),
    #[error("this invitation was used, withdrawn or has expired")]
    InviteGone,
    #[error("this invitation is for {0}: sign in with that address (verified) to accept it")]
    InviteForSomeoneElse(String),
    #[error("cannot draw random bytes")]
    Random(#[from] getrandom::Error),
    #[error("the invitation mail could not be queued")]
    Mail,
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
    clock: SharedClock,
}

impl Owners {
    pub fn new(
        store: OwnerStore,
        users: UserStore,
        tenants: TenantStore,
        platform: Arc<Platform>,
        clock: SharedClock,
    ) -> Self {
        Self {
            store,
            users,
            tenants,
            platform,
            clock,
        }
    }

    /// Makes the platform user with `email` a member of `tenant` with
    /// `role`; true if they were not one already (adding twice changes
    /// nothing, their role included).
    pub async fn add(
        &self,
        tenant: TenantId,
        email: &str,
        role: Role,
    ) -> Result<(Owner, bool), OwnerError> {
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
        let added = self
            .store
            .add(tenant, user.id, role, self.clock.now())
            .await?;
        let owner = self
            .store
            .get(tenant, user.id)
            .await?
            .ok_or(OwnerError::NotAnOwner)?;
        Ok((owner, added))
    }

    pub async fn list(&self, tenant: TenantId) -> Result<Vec<Owner>, OwnerError> {
        self.existing(tenant).await?;
        Ok(self.store.list(tenant).await?)
    }

    /// Removes a member; `LastOwner` for the tenant's only owner.
    pub async fn remove(&self, tenant: TenantId, user: UserId) -> Result<(), OwnerError> {
        self.existing(tenant).await?;
        if self.store.remove(tenant, user).await? {
            return Ok(());
        }
        Err(self.why_not(tenant, user).await?)
    }

    /// Removes the member with `email` (as typed: case and surrounding
    /// blanks do not matter) and answers who they were; `NotAnOwner` when no
    /// member has it, `LastOwner` for the tenant's only owner.
    pub async fn remove_by_email(
        &self,
        tenant: TenantId,
        email: &str,
    ) -> Result<Owner, OwnerError> {
        let wanted = email.trim().to_lowercase();
        let owner = self
            .list(tenant)
            .await?
            .into_iter()
            .find(|o| o.email.to_lowercase() == wanted)
            .ok_or(OwnerError::NotAnOwner)?;
        self.remove(tenant, owner.user_id).await?;
        Ok(owner)
    }

    /// Gives a member `role` and answers them as they now are; `LastOwner`
    /// when that would leave the tenant without an owner.
    pub async fn set_role(
        &self,
        tenant: TenantId,
        user: UserId,
        role: Role,
    ) -> Result<Owner, OwnerError> {
        self.existing(tenant).await?;
        if self.store.set_role(tenant, user, role).await? {
            return self
                .store
                .get(tenant, user)
                .await?
                .ok_or(OwnerError::NotAnOwner);
        }
        Err(self.why_not(tenant, user).await?)
    }

    /// Why a change to `user`'s membership was refused.
    async fn why_not(&self, tenant: TenantId, user: UserId) -> Result<OwnerError, OwnerError> {
        Ok(match self.store.get(tenant, user).await? {
            Some(_) => OwnerError::LastOwner,
            None => OwnerError::NotAnOwner,
        })
    }

    /// The enabled tenants `user` (a platform user) is a member of, with
    /// their role.
    pub async fn tenants_of(&self, user: UserId) -> Result<Vec<(Tenant, Role)>, OwnerError> {
        Ok(self.store.tenants_of(user).await?)
    }

    /// The tenant `slug` and `user`'s role in it, if they are a member.
    /// `None` alike for an unknown tenant and someone else's, so tenants
    /// cannot be probed.
    pub async fn owned_tenant(
        &self,
        user: UserId,
        slug: &str,
    ) -> Result<Option<(Tenant, Role)>, OwnerError> {
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
