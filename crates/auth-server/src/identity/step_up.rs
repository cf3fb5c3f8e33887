//! Step-up at login for accounts under attack (`domain::sentinel::step_up`):
//! a marked user without TOTP gets a six-digit code by mail after a right
//! password, and the login finishes only with it. Wrong codes count on the
//! account's lockout like wrong passwords; codes are mailed at most three
//! times in ten minutes per account (login and "send another" alike).
use super::login::{account_key, LoggedIn};
use super::mail::code_digest;
use super::sessions::{ActiveSession, NewSession};
use super::{Identity, IdentityError, Requester};
use crate::domain::audit::AuditKind;
use crate::domain::one_time_token::Purpose;
use crate::domain::sentinel::step_up::{
    CODE_MAIL_WINDOW_SECS, CODE_TRIES, CODE_TTL_SECS, EMAIL_AMR,
};
use crate::domain::session::SessionStage;
use crate::domain::tenant::Tenant;
use crate::domain::user::User;
use crate::i18n::Locale;

/// Whether "send another code" sent one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resent {
    Sent,
    /// The account's mails of the last ten minutes are spent; the last
    /// code still works.
    TooSoon,
}

impl Identity {
    /// Opens the half-done session of a marked user without TOTP and mails
    /// them a code; the login is audited as `step_up_required`.
    pub(super) async fn start_step_up(
        &self,
        tenant: &Tenant,
        user: &User,
        requester: &Requester,
        previous_session: Option<&str>,
        locale: Locale,
    ) -> Result<LoggedIn, IdentityError> {
        let replaced = previous_session.map(crate::opaque_secret::digest);
        let session_secret = self
            .open_session(NewSession {
                tenant,
                user,
                stage: SessionStage::MfaPending,
                amr: "pwd",
                requester,
                replaces: replaced.as_deref(),
            })
            .await?;
        // Out of mails: the last code, still valid, is the one to type.
        self.mail_step_up_code(tenant, user, locale).await?;
        let account = account_key(Some(&user.email));
        self.record_attempt(
            tenant,
            Some(user.id),
            Some(&account),
            (AuditKind::Login, "step_up_required"),
            requester,
            "pwd",
        )
        .await?;
        Ok(LoggedIn {
            session_secret,
            stage: SessionStage::MfaPending,
            first_sign_in: user.last_login_at.is_none(),
            emailed_code: true,
        })
    }

    /// A new code for the half-done login of `session`, within the
    /// account's mail budget.
    pub async fn resend_step_up_code(
        &self,
        tenant: &Tenant,
        session: &ActiveSession,
        locale: Locale,
    ) -> Result<Resent, IdentityError> {
        if session.is_authenticated() || session.user.mfa_enabled() {
            return Err(IdentityError::NotAuthenticated);
        }
        Ok(
            if self
                .mail_step_up_code(tenant, &session.user, locale)
                .await?
            {
                Resent::Sent
            } else {
                Resent::TooSoon
            },
        )
    }

    /// Mails `user` a new code (the older ones stop working), unless the
    /// account had its three mails in the last ten minutes. True when sent.
    async fn mail_step_up_code(
        &self,
        tenant: &Tenant,
        user: &User,
        locale: Locale,
    ) -> Result<bool, IdentityError> {
        let now = self.now();
        let budget = format!("step_up:{}", user.email.normalized());
        if !self
            .mail_budget
            .take(tenant.id, &budget, now, CODE_MAIL_WINDOW_SECS)
            .await?
        {
            return Ok(false);
        }
        self.one_time_tokens
            .void_unused(tenant.id, user.id, Purpose::StepUp, now)
            .await?;
        // The row's own secret is never sent: only its code is.
        let (_unsent, digest) = crate::opaque_secret::new_secret()
            .map_err(|e| IdentityError::Internal(e.to_string()))?;
        self.one_time_tokens
            .insert(
                &digest,
                tenant.id,
                user.id,
                Purpose::StepUp,
                now,
                CODE_TTL_SECS,
            )
            .await?;
        let code =
            crate::opaque_secret::new_code().map_err(|e| IdentityError::Internal(e.to_string()))?;
        self.one_time_tokens
            .attach_code(
                &digest,
                &code_digest(user.id, &code),
                now.saturating_add(CODE_TTL_SECS),
            )
            .await?;
        self.mail_text(
            tenant,
            &user.email.to_string(),
            "step_up",
            locale,
            "",
            &code,
        )?;
        Ok(true)
    }

    /// Finishes the half-done login of `session` with its mailed code;
    /// answers the new session's secret (`amr` gains `email`). A wrong,
    /// expired or spent code counts on the account's lockout.
    pub async fn step_up_challenge(
        &self,
        tenant: &Tenant,
        session: &ActiveSession,
        code: &str,
        requester: &Requester,
        locale: Locale,
    ) -> Result<String, IdentityError> {
        let user = &session.user;
        if user.mfa_enabled() {
            // Their own factor is the step (`challenge`).
            return Err(IdentityError::NotAuthenticated);
        }
        let account = account_key(Some(&user.email));
        if let Err(e) = self
            .reserve(tenant.id, &account, &self.account_lockout_for(tenant))
            .await
        {
            if matches!(e, IdentityError::Locked { .. }) {
                self.record(
                    tenant,
                    Some(user.id),
                    AuditKind::StepUp,
                    "locked",
                    requester,
                    "",
                )
                .await?;
            }
            return Err(e);
        }
        let code = code.trim();
        let well_formed = code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit());
        let used = well_formed
            && self
                .one_time_tokens
                .consume_code(
                    tenant.id,
                    user.id,
                    Purpose::StepUp,
                    &code_digest(user.id, code),
                    self.now(),
                    CODE_TRIES,
                )
                .await?;
        if !used {
            self.after_failure(
                tenant,
                &account,
                Some(user),
                requester,
                locale,
                (AuditKind::StepUp, "wrong code"),
            )
            .await?;
            return Err(IdentityError::InvalidCode);
        }
        self.finish_second_step(tenant, session, &account, EMAIL_AMR, requester)
            .await
    }
}
