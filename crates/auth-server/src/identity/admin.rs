//! What a tenant's administrators (its owners in the console, the operator
//! through the management API) do to one account: turn its second factor
//! off, send its verification mail again, erase it. Each is recorded in the
//! audit trail with who did it; the user is told of an MFA reset by mail.
use super::{Identity, IdentityError};
use crate::domain::audit::{AuditEvent, AuditKind};
use crate::domain::one_time_token::Purpose;
use crate::domain::tenant::Tenant;
use crate::domain::user::{User, UserId};
use crate::i18n::Locale;
use crate::store::erasure::Erased;

impl Identity {
    /// Turns the user's second factor off (a lost phone): the TOTP seed and
    /// the recovery codes go; sessions stay. Where the tenant requires MFA,
    /// the user sets it up again at the next sign-in. The user is mailed.
    pub async fn reset_mfa(
        &self,
        tenant: &Tenant,
        user: UserId,
        actor: &str,
        locale: Locale,
    ) -> Result<User, IdentityError> {
        let found = self.users.get(tenant.id, user).await?;
        self.users.reset_mfa(tenant.id, user, self.now()).await?;
        self.record_admin(tenant, user, AuditKind::MfaReset, actor)
            .await?;
        let account = self.tenant_url(tenant.slug.as_ref(), "/account");
        self.mail_text(
            tenant,
            found.email.address(),
            "mfa_reset",
            locale,
            &account,
            "",
        )?;
        Ok(self.users.get(tenant.id, user).await?)
    }

    /// Mails a new verification link and code (older ones stop working).
    /// `Ok(false)`, and no mail, when the address is already verified.
    pub async fn resend_verification(
        &self,
        tenant: &Tenant,
        user: UserId,
        actor: &str,
        locale: Locale,
    ) -> Result<bool, IdentityError> {
        let found = self.users.get(tenant.id, user).await?;
        if found.email_verified_at.is_some() {
            return Ok(false);
        }
        self.send_link(tenant, &found, Purpose::VerifyEmail, locale)
            .await?;
        self.record_admin(tenant, user, AuditKind::VerificationResent, actor)
            .await?;
        Ok(true)
    }

    /// Erases the user and everything that is theirs (see
    /// [`crate::store::erasure::ErasureStore::erase_user`]); their audit
    /// events keep no address or user agent. A `user_deleted` event names
    /// the erased id, for the systems that keep their own copy of the user
    /// (the Connect People API) to erase theirs.
    pub async fn erase_user(
        &self,
        tenant: &Tenant,
        user: UserId,
        actor: &str,
    ) -> Result<Erased, IdentityError> {
        let found = self.users.get(tenant.id, user).await?;
        let subject = super::login::account_key(Some(&found.email));
        let erased = self
            .erasure
            .erase_user(tenant.id, user, &subject, self.now())
            .await?;
        self.record_admin(tenant, user, AuditKind::UserDeleted, actor)
            .await?;
        tracing::info!(tenant = %tenant.slug, user_id = %user, sessions = erased.sessions,
            grants = erased.grants, "user erased");
        Ok(erased)
    }

    /// An administrator's action on `user`: no address or user agent (the
    /// actor is not the user), who did it in the detail.
    async fn record_admin(
        &self,
        tenant: &Tenant,
        user: UserId,
        kind: AuditKind,
        actor: &str,
    ) -> Result<(), IdentityError> {
        tracing::info!(tenant = %tenant.slug, user_id = %user, kind = kind.as_str(), actor, "audit");
        self.audit
            .insert(
                &AuditEvent::system(tenant.id, kind, "success", actor, self.now())
                    .about(Some(user)),
            )
            .await?;
        Ok(())
    }
}
