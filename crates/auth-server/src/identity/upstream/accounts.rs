//! The user a provider account belongs to: created at a first sign-in,
//! linked from the account page, unlinked unless it is the last way in.
use super::{UpstreamDone, UpstreamError};
use crate::domain::audit::AuditKind;
use crate::domain::display_name::DisplayName;
use crate::domain::email::Email;
use crate::domain::one_time_token::Purpose;
use crate::domain::tenant::Tenant;
use crate::domain::upstream::{UpstreamPerson, UpstreamProvider};
use crate::domain::user::{User, UserId, UserMetadata};
use crate::domain::ways_in::WayIn;
use crate::i18n::Locale;
use crate::identity::{Identity, IdentityError, Requester};
use crate::store::upstream::LinkedIdentity;
use crate::store::users::NewUser;
use crate::store::StoreError;

impl Identity {
    /// A provider account no user has: a new user, unless an account has
    /// the email already (then nothing is linked: the person proves that
    /// account first). `Err(done)` ends the round trip without a session.
    pub(super) async fn first_sign_in(
        &self,
        tenant: &Tenant,
        provider: &UpstreamProvider,
        person: &UpstreamPerson,
        requester: &Requester,
        signups_allowed: bool,
        locale: Locale,
    ) -> Result<Result<User, UpstreamDone>, UpstreamError> {
        let email = person
            .email
            .as_deref()
            .and_then(|e| Email::parse(e).ok())
            .ok_or(UpstreamError::NoEmail)?;
        if self.users.find_by_email(tenant.id, &email).await?.is_some() {
            self.record(
                tenant,
                None,
                AuditKind::Login,
                "failure",
                requester,
                &format!(
                    "upstream:{}: email matches an existing account",
                    provider.slug
                ),
            )
            .await?;
            return Err(UpstreamError::ExistingAccount {
                email: email.address().to_owned(),
            });
        }
        if !signups_allowed
            || !tenant.settings.signup_open()
            || !tenant.settings.signup_allows_domain(email.domain())
        {
            return Err(UpstreamError::SignupClosed);
        }
        let display_name = person
            .name
            .as_deref()
            .and_then(|n| DisplayName::parse(n).ok())
            .or_else(|| DisplayName::parse(email.local_part()).ok())
            .ok_or(UpstreamError::NoEmail)?;
        let now = self.now();
        let user = self
            .users
            .create(
                NewUser {
                    tenant_id: tenant.id,
                    email: email.clone(),
                    username: None,
                    display_name,
                    password_hash: None,
                    metadata: UserMetadata::default(),
                },
                now,
            )
            .await?;
        self.upstream
            .link(
                provider,
                &person.subject,
                user.id,
                person.email.as_deref(),
                now,
            )
            .await?;
        self.record_signup(
            tenant,
            user.id,
            requester,
            &format!("upstream:{}", provider.slug),
        )
        .await?;
        if !person.email_verified {
            self.send_link(tenant, &user, Purpose::VerifyEmail, locale)
                .await?;
            return Ok(Err(UpstreamDone::CheckEmail {
                email: email.address().to_owned(),
            }));
        }
        self.users
            .mark_email_verified(tenant.id, user.id, now)
            .await?;
        Ok(Ok(self.users.get(tenant.id, user.id).await?))
    }

    pub(super) async fn link(
        &self,
        tenant: &Tenant,
        provider: &UpstreamProvider,
        person: &UpstreamPerson,
        user: UserId,
        requester: &Requester,
    ) -> Result<UpstreamDone, UpstreamError> {
        match self
            .upstream
            .link(
                provider,
                &person.subject,
                user,
                person.email.as_deref(),
                self.now(),
            )
            .await
        {
            Ok(()) => {}
            Err(StoreError::UpstreamIdentityTaken) => {
                // Already this user's: nothing to do; anyone else's: refused.
                if self
                    .upstream
                    .linked_user(&provider.id, &person.subject)
                    .await?
                    != Some(user)
                {
                    return Err(UpstreamError::LinkedElsewhere);
                }
            }
            Err(e) => return Err(e.into()),
        }
        self.record(
            tenant,
            Some(user),
            AuditKind::UpstreamLink,
            "success",
            requester,
            provider.slug.as_ref(),
        )
        .await?;
        Ok(UpstreamDone::Linked {
            provider: provider.display_name.as_ref().to_owned(),
        })
    }

    /// The user's linked provider accounts.
    pub async fn upstream_identities(
        &self,
        tenant: &Tenant,
        user: UserId,
    ) -> Result<Vec<LinkedIdentity>, IdentityError> {
        Ok(self.upstream.identities_of(tenant.id, user).await?)
    }

    /// Unlinks a provider account, unless it is the user's last way in (no
    /// password, no other provider, no passkey), decided where it is done
    /// (`store::ways_in`).
    pub async fn upstream_unlink(
        &self,
        tenant: &Tenant,
        user: &User,
        provider_id: &str,
        requester: &Requester,
    ) -> Result<(), UpstreamError> {
        let linked = self.upstream.identities_of(tenant.id, user.id).await?;
        let Some(identity) = linked.iter().find(|i| i.provider_id == provider_id) else {
            return Err(UpstreamError::UnknownProvider);
        };
        self.ways_in
            .remove(tenant.id, user.id, WayIn::Upstream(provider_id), self.now())
            .await??;
        self.record(
            tenant,
            Some(user.id),
            AuditKind::UpstreamUnlink,
            "success",
            requester,
            &identity.provider_slug,
        )
        .await?;
        Ok(())
    }
}
