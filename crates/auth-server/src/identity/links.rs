//! Emailed single-use links: verify the address, reset the password, lift a
//! lockout. Checking a link never uses it; the confirming POST does.
use std::sync::Arc;

use super::{Identity, IdentityError, Requester};
use crate::domain::audit::AuditKind;
use crate::domain::email::Email;
use crate::domain::one_time_token::{LinkProblem, Purpose, StoredLink};
use crate::domain::tenant::Tenant;
use crate::i18n::Locale;
use crate::password::PasswordPolicy;

/// Wrong, expired, out of tries, or no such account: one answer.
const EMAIL_CODE_REFUSED: &str = "err_email_code_invalid";

impl Identity {
    /// Whether a link would work (to show its form or a clear error page).
    pub async fn check_link(
        &self,
        tenant: &Tenant,
        token: &str,
        purpose: Purpose,
    ) -> Result<(), IdentityError> {
        let digest = crate::opaque_secret::digest(token);
        let found = self
            .one_time_tokens
            .find(&digest, tenant.id, purpose)
            .await?;
        StoredLink::user_at(found, self.now())?;
        Ok(())
    }

    /// Uses a verification link; answers the verified address.
    pub async fn verify_email(
        &self,
        tenant: &Tenant,
        token: &str,
        requester: &Requester,
    ) -> Result<Email, IdentityError> {
        let digest = crate::opaque_secret::digest(token);
        let user = self
            .one_time_tokens
            .consume(&digest, tenant.id, Purpose::VerifyEmail, self.now())
            .await??;
        self.users
            .mark_email_verified(tenant.id, user, self.now())
            .await?;
        self.record(
            tenant,
            Some(user),
            AuditKind::EmailVerified,
            "success",
            requester,
            "link",
        )
        .await?;
        Ok(self.users.get(tenant.id, user).await?.email)
    }

    /// Verifies `email` by the six-digit code of its verification mail
    /// (15 minutes, 5 tries). Every failure, unknown address included, is
    /// the same refusal (`err_email_code_invalid`).
    pub async fn verify_email_code(
        &self,
        tenant: &Tenant,
        email: &str,
        code: &str,
        requester: &Requester,
    ) -> Result<Email, IdentityError> {
        let code = code.trim();
        let well_formed = code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit());
        let user = match Email::parse(email) {
            Ok(e) if well_formed => self.users.find_by_email(tenant.id, &e).await?,
            _ => None,
        };
        let Some(user) = user.filter(|u| !u.is_disabled()) else {
            return Err(IdentityError::Field(EMAIL_CODE_REFUSED));
        };
        let used = self
            .one_time_tokens
            .consume_code(
                tenant.id,
                user.id,
                Purpose::VerifyEmail,
                &super::mail::code_digest(user.id, code),
                self.now(),
                super::mail::VERIFY_CODE_TRIES,
            )
            .await?;
        if !used {
            self.record(
                tenant,
                Some(user.id),
                AuditKind::EmailVerified,
                "failure",
                requester,
                "code",
            )
            .await?;
            return Err(IdentityError::Field(EMAIL_CODE_REFUSED));
        }
        self.users
            .mark_email_verified(tenant.id, user.id, self.now())
            .await?;
        self.record(
            tenant,
            Some(user.id),
            AuditKind::EmailVerified,
            "success",
            requester,
            "code",
        )
        .await?;
        Ok(user.email)
    }

    /// Always looks the same to the requester, account or not: the answer
    /// comes before the address is looked up, and the link (if any) is made
    /// and mailed afterwards.
    pub fn forgot_password(
        self: &Arc<Self>,
        tenant: &Tenant,
        email: &str,
        requester: &Requester,
        locale: Locale,
    ) -> Result<(), IdentityError> {
        let Ok(email) = Email::parse(email) else {
            return Ok(());
        };
        let (tenant, requester) = (tenant.clone(), requester.clone());
        self.after_answer("password reset request", move |me| async move {
            me.send_reset_link(&tenant, &email, &requester, locale)
                .await
        })
    }

    async fn send_reset_link(
        &self,
        tenant: &Tenant,
        email: &Email,
        requester: &Requester,
        locale: Locale,
    ) -> Result<(), IdentityError> {
        let user = self.users.find_by_email(tenant.id, email).await?;
        let Some(user) = user.filter(|u| !u.is_disabled()) else {
            return self
                .record(
                    tenant,
                    None,
                    AuditKind::PasswordResetRequest,
                    "failure",
                    requester,
                    "unknown email",
                )
                .await;
        };
        if !self.take_mail_budget(tenant, email).await? {
            return self
                .record(
                    tenant,
                    Some(user.id),
                    AuditKind::PasswordResetRequest,
                    "failure",
                    requester,
                    "mail limit reached",
                )
                .await;
        }
        self.send_link(tenant, &user, Purpose::ResetPassword, locale)
            .await?;
        self.record(
            tenant,
            Some(user.id),
            AuditKind::PasswordResetRequest,
            "success",
            requester,
            "",
        )
        .await
    }

    /// Sets a new password from a reset link. Ends every session: whoever
    /// held the old password is out. MFA stays on, so the next login still
    /// asks for the second factor (a reset never bypasses it).
    pub async fn reset_password(
        &self,
        tenant: &Tenant,
        token: &str,
        new_password: &str,
        requester: &Requester,
    ) -> Result<(), IdentityError> {
        let digest = crate::opaque_secret::digest(token);
        let found = self
            .one_time_tokens
            .find(&digest, tenant.id, Purpose::ResetPassword)
            .await?;
        let user_id = StoredLink::user_at(found, self.now())?;
        let user = self.users.get(tenant.id, user_id).await?;
        let context = [
            tenant.slug.as_ref(),
            tenant.display_name.as_ref(),
            user.email.local_part(),
            "connectauth",
        ];
        let password = PasswordPolicy::check(new_password, &context)?;
        let phc = self.services.hasher.hash(&password).await?;
        // Use the link only now that everything else succeeded.
        let used_by = self
            .one_time_tokens
            .consume(&digest, tenant.id, Purpose::ResetPassword, self.now())
            .await??;
        if used_by != user.id {
            return Err(LinkProblem::Unknown.into());
        }
        // Every session ends with the old password, in the same step.
        let ended = self
            .users
            .reset_password(tenant.id, user.id, &phc, self.now())
            .await?
            .len();
        // Owning the mailbox proves the email too.
        self.users
            .mark_email_verified(tenant.id, user.id, self.now())
            .await?;
        self.failures
            .clear(tenant.id, &format!("acct:{}", user.email.normalized()))
            .await?;
        // Refresh tokens too: whoever held the old password loses its grants.
        self.grants
            .revoke_for_user(
                tenant.id,
                &user.id.to_string(),
                "password reset",
                self.now(),
            )
            .await?;
        self.record(
            tenant,
            Some(user.id),
            AuditKind::PasswordReset,
            "success",
            requester,
            &format!("{ended} sessions ended"),
        )
        .await
    }

    pub async fn unlock(
        &self,
        tenant: &Tenant,
        token: &str,
        requester: &Requester,
    ) -> Result<(), IdentityError> {
        let digest = crate::opaque_secret::digest(token);
        let user_id = self
            .one_time_tokens
            .consume(&digest, tenant.id, Purpose::Unlock, self.now())
            .await??;
        let user = self.users.get(tenant.id, user_id).await?;
        self.failures
            .clear(tenant.id, &format!("acct:{}", user.email.normalized()))
            .await?;
        self.failures
            .clear(tenant.id, &format!("mfa:{}", user.id))
            .await?;
        self.record(
            tenant,
            Some(user.id),
            AuditKind::Unlock,
            "success",
            requester,
            "",
        )
        .await
    }
}
