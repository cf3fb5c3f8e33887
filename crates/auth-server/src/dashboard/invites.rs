//! Invitations to a tenant's team: an owner invites an address with a role;
//! the mail's single-use link (a week) is accepted by the `platform` user
//! with that verified address, who then joins with that role.
use std::sync::Arc;

use service_kit::clock::SharedClock;

use super::owners::OwnerError;
use crate::domain::email::Email;
use crate::domain::team::{Role, INVITE_TTL_SECS};
use crate::domain::tenant::{Tenant, TenantId};
use crate::domain::user::User;
use crate::i18n::Locale;
use crate::identity::Identity;
use crate::store::owners::OwnerStore;
pub use crate::store::team_invites::Invite;
use crate::store::team_invites::TeamInviteStore;
use crate::store::tenants::TenantStore;
use crate::store::StoreError;

/// Who sends an invitation: a member in the console, or (through the
/// management API) an API credential of the tenant or the operator.
#[derive(Debug, Clone, Copy)]
pub enum Inviter<'a> {
    Member(&'a User),
    Credential(&'a str),
    Operator,
}

impl Inviter<'_> {
    /// What the invitation records as its sender.
    fn recorded(&self) -> String {
        match self {
            Inviter::Member(user) => user.id.to_string(),
            Inviter::Credential(client_id) => format!("api-credential:{client_id}"),
            Inviter::Operator => "operator".to_owned(),
        }
    }

    /// Who the mail says invites: the member's address, else the team.
    fn shown<'t>(&'t self, tenant: &'t Tenant) -> &'t str {
        match self {
            Inviter::Member(user) => user.email.address(),
            Inviter::Credential(_) | Inviter::Operator => tenant.display_name.as_ref(),
        }
    }
}

pub struct Invitations {
    invites: TeamInviteStore,
    members: OwnerStore,
    tenants: TenantStore,
    /// The platform's mail.
    identity: Arc<Identity>,
    clock: SharedClock,
}

impl Invitations {
    pub fn new(
        invites: TeamInviteStore,
        members: OwnerStore,
        tenants: TenantStore,
        identity: Arc<Identity>,
        clock: SharedClock,
    ) -> Self {
        Self {
            invites,
            members,
            tenants,
            identity,
            clock,
        }
    }

    /// Mails `email` a link to join `tenant` with `role` (valid a week,
    /// single use; a new invitation to the same address replaces it).
    /// `AlreadyMember` when a member of the team has that address.
    pub async fn invite(
        &self,
        tenant: &Tenant,
        inviter: Inviter<'_>,
        email: &str,
        role: Role,
        locale: Locale,
    ) -> Result<Invite, OwnerError> {
        if tenant.slug.as_ref() == crate::domain::tenant::PLATFORM_SLUG {
            return Err(OwnerError::PlatformTenant);
        }
        let email = Email::parse(email)?;
        let members = self.members.list(tenant.id).await?;
        if members
            .iter()
            .any(|m| m.email.eq_ignore_ascii_case(email.normalized()))
        {
            return Err(OwnerError::AlreadyMember(email.address().to_owned()));
        }
        let (token, token_hash) = crate::opaque_secret::new_secret()?;
        let now = self.clock.now();
        let invite = Invite {
            token_hash,
            tenant_id: tenant.id,
            email: email.address().to_owned(),
            email_normalized: email.normalized().to_owned(),
            role,
            invited_by: inviter.recorded(),
            created_at: now,
            expires_at: now + INVITE_TTL_SECS,
        };
        self.invites.replace(&invite).await?;
        let link = self
            .identity
            .platform_url(&format!("/dashboard/invite?token={token}"));
        self.identity
            .send_team_invite(
                tenant,
                email.address(),
                inviter.shown(tenant),
                role,
                &link,
                locale,
            )
            .map_err(|_| OwnerError::Mail)?;
        tracing::info!(tenant = %tenant.slug, role = %role, "team invitation sent");
        Ok(invite)
    }

    /// The tenant's pending invitations, oldest first.
    pub async fn pending_invites(&self, tenant: TenantId) -> Result<Vec<Invite>, OwnerError> {
        Ok(self.invites.pending(tenant, self.clock.now()).await?)
    }

    /// Withdraws the pending invitation to `email`.
    pub async fn revoke_invite(&self, tenant: TenantId, email: &str) -> Result<bool, OwnerError> {
        let email = Email::parse(email)?;
        Ok(self.invites.revoke(tenant, email.normalized()).await?)
    }

    /// The pending invitation behind a link, and its tenant.
    pub async fn invite_of(&self, token: &str) -> Result<(Invite, Tenant), OwnerError> {
        let digest = crate::opaque_secret::digest(token);
        let invite = self
            .invites
            .find(&digest, self.clock.now())
            .await?
            .ok_or(OwnerError::InviteGone)?;
        let tenant = match self.tenants.get(invite.tenant_id).await {
            Ok(t) if !t.is_disabled() => t,
            Ok(_) | Err(StoreError::TenantNotFound) => return Err(OwnerError::InviteGone),
            Err(e) => return Err(e.into()),
        };
        Ok((invite, tenant))
    }

    /// `user` (signed in on the platform) accepts the invitation behind
    /// `token`: only with the invited address, verified. Answers the tenant
    /// joined.
    pub async fn accept(&self, token: &str, user: &User) -> Result<Tenant, OwnerError> {
        let (invite, tenant) = self.invite_of(token).await?;
        if user.email.normalized() != invite.email_normalized || user.email_verified_at.is_none() {
            return Err(OwnerError::InviteForSomeoneElse(invite.email));
        }
        if !self
            .invites
            .accept(&invite, user.id, self.clock.now())
            .await?
        {
            return Err(OwnerError::InviteGone);
        }
        tracing::info!(tenant = %tenant.slug, role = %invite.role, "team invitation accepted");
        Ok(tenant)
    }
}
