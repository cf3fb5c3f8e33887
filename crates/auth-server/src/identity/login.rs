//! Log in with email and password, defended against brute force without
//! revealing whether an account exists.
//!
//! Each attempt first *reserves* a failure on the account's and the IP's
//! counters (one atomic upsert each), then checks the password, and gives the
//! reservation back on success. Parallel attempts therefore see distinct
//! counts, and no burst can get more password checks than the threshold.
use super::sessions::NewSession;
use super::{Identity, IdentityError, Requester};
use crate::domain::audit::AuditKind;
use crate::domain::email::Email;
use crate::domain::lockout::LockoutPolicy;
use crate::domain::one_time_token::Purpose;
use crate::domain::sentinel::step_up::{second_step, SecondStep};
use crate::domain::session::SessionStage;
use crate::domain::tenant::{Tenant, TenantId};
use crate::domain::user::User;
use crate::i18n::Locale;
use crate::store::users::LoginAccount;

/// What a successful password check leads to. `Debug` leaves the cookie
/// secret out.
pub struct LoggedIn {
    /// The new session's cookie secret.
    pub session_secret: String,
    pub stage: SessionStage,
    /// The account's first sign-in ever (the pages then offer a passkey).
    pub first_sign_in: bool,
    /// The second step is a code mailed to the user (step-up of an account
    /// under attack), not their own factor.
    pub emailed_code: bool,
}

impl std::fmt::Debug for LoggedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoggedIn")
            .field("session_secret", &service_kit::secret::REDACTED)
            .field("stage", &self.stage)
            .field("first_sign_in", &self.first_sign_in)
            .field("emailed_code", &self.emailed_code)
            .finish()
    }
}

impl Identity {
    pub async fn login(
        &self,
        tenant: &Tenant,
        email: &str,
        password: &str,
        requester: &Requester,
        previous_session: Option<&str>,
        locale: Locale,
    ) -> Result<LoggedIn, IdentityError> {
        // An unparsable email is simply an account that does not exist.
        let email = Email::parse(email).ok();
        let account_key = account_key(email.as_ref());
        let ip_key = format!("ip:{}", requester.limit_key);

        let mut reserved = self
            .reserve(tenant.id, &account_key, &self.account_lockout_for(tenant))
            .await;
        if reserved.is_ok() {
            reserved = self
                .reserve(tenant.id, &ip_key, &self.services.ip_lockout)
                .await;
            if reserved.is_err() {
                // No password is checked: the account's reservation goes back.
                self.failures.forgive_one(tenant.id, &account_key).await?;
            }
        }
        if let Err(IdentityError::Locked { retry_after }) = reserved {
            self.record_attempt(
                tenant,
                None,
                Some(&account_key),
                (AuditKind::Login, "locked"),
                requester,
                "",
            )
            .await?;
            return Err(IdentityError::Locked { retry_after });
        }
        reserved?;

        // No password was checked (busy pool, database error): the
        // reservations go back, or an overload would look like an attack
        // and lock out everyone behind the address.
        let (account, verified) = match self.check_password(tenant, email.as_ref(), password).await
        {
            Ok(checked) => checked,
            Err(e) => {
                self.failures.forgive_one(tenant.id, &account_key).await?;
                self.failures.forgive_one(tenant.id, &ip_key).await?;
                return Err(e);
            }
        };
        let LoginAccount {
            mut user,
            step_up_until,
        } = match account {
            Some(a) if verified.matches && !a.user.is_disabled() => a,
            found => {
                self.after_failure(
                    tenant,
                    &account_key,
                    found.as_ref().map(|a| &a.user),
                    requester,
                    locale,
                    (AuditKind::Login, ""),
                )
                .await?;
                return Err(IdentityError::InvalidCredentials);
            }
        };

        self.failures
            .settle_success(tenant.id, &account_key, &ip_key)
            .await?;
        if verified.needs_rehash {
            // Upgrade the stored hash to the current parameters; a password
            // the current policy refuses keeps its old hash.
            let context = [
                tenant.slug.as_ref(),
                tenant.display_name.as_ref(),
                user.email.local_part(),
                "connectauth",
            ];
            if let (Ok(pw), Some(old)) = (
                crate::password::PasswordPolicy::check(password, &context),
                user.password_hash.as_deref(),
            ) {
                let phc = self.services.hasher.hash(&pw).await?;
                // Only over the hash just checked: a reset since then stays,
                // and the session below is refused for the stale password.
                if self
                    .users
                    .upgrade_password_hash(tenant.id, user.id, old, &phc)
                    .await?
                {
                    user.password_hash = Some(phc);
                }
            }
        }
        if user.email_verified_at.is_none() {
            // A new link and code replace the last ones, with five fresh
            // tries: from the address's mail budget (three an hour), or
            // whoever signed up with someone else's address could log in
            // again and again for new tries and mail the owner without end.
            // Past it, the last mail's link and code still work.
            let why = if self.take_mail_budget(tenant, &user.email).await? {
                self.send_link(tenant, &user, Purpose::VerifyEmail, locale)
                    .await?;
                "email not verified"
            } else {
                "email not verified; mail limit reached"
            };
            self.record_login_refused(tenant, user.id, requester, why)
                .await?;
            return Err(IdentityError::EmailNotVerified);
        }
        // An account under attack: its own factor (which `sign_in` asks
        // of every user who has one), else a mailed code.
        let detail = match second_step(step_up_until, user.mfa_enabled(), self.now()) {
            SecondStep::EmailedCode => {
                return self
                    .start_step_up(tenant, &user, requester, previous_session, locale)
                    .await;
            }
            SecondStep::OwnFactor => "pwd step_up",
            SecondStep::None => "pwd",
        };
        self.sign_in(tenant, &user, "pwd", detail, requester, previous_session)
            .await
    }

    /// Opens the session of a user who proved who they are (by `amr`): it
    /// waits for the second factor when they have one, a finished login
    /// counts as their last, and the audit trail gets the login with
    /// `detail`.
    pub(crate) async fn sign_in(
        &self,
        tenant: &Tenant,
        user: &User,
        amr: &str,
        detail: &str,
        requester: &Requester,
        previous_session: Option<&str>,
    ) -> Result<LoggedIn, IdentityError> {
        // A user-verified passkey is two factors on its own.
        let stage = if user.mfa_enabled() && !crate::domain::passkey::amr_is_multi_factor(amr) {
            SessionStage::MfaPending
        } else {
            SessionStage::Authenticated
        };
        let replaced = previous_session.map(crate::opaque_secret::digest);
        let session_secret = self
            .open_session(NewSession {
                tenant,
                user,
                stage,
                amr,
                requester,
                replaces: replaced.as_deref(),
            })
            .await?;
        if stage == SessionStage::Authenticated {
            self.users
                .record_login(tenant.id, user.id, self.now())
                .await?;
        }
        let outcome = if stage == SessionStage::Authenticated {
            "success"
        } else {
            "mfa_required"
        };
        let account = account_key(Some(&user.email));
        self.record_attempt(
            tenant,
            Some(user.id),
            Some(&account),
            (AuditKind::Login, outcome),
            requester,
            detail,
        )
        .await?;
        Ok(LoggedIn {
            session_secret,
            stage,
            first_sign_in: user.last_login_at.is_none(),
            emailed_code: false,
        })
    }

    /// The account (if any) and whether `password` is its password; unknown
    /// accounts cost a dummy verification so timing does not tell them apart.
    async fn check_password(
        &self,
        tenant: &Tenant,
        email: Option<&Email>,
        password: &str,
    ) -> Result<(Option<LoginAccount>, crate::password::Verification), IdentityError> {
        let account = match email {
            Some(e) => self.users.find_for_login(tenant.id, e).await?,
            None => None,
        };
        let phc = account
            .as_ref()
            .and_then(|a| a.user.password_hash.as_deref());
        let verified = match phc {
            Some(phc) => self.services.hasher.verify(password, phc).await?,
            None => {
                self.services.hasher.verify_dummy(password).await?;
                crate::password::Verification {
                    matches: false,
                    needs_rehash: false,
                }
            }
        };
        Ok((account, verified))
    }

    /// Reserves one failure on `subject`, or says it is locked.
    pub(crate) async fn reserve(
        &self,
        tenant: TenantId,
        subject: &str,
        policy: &LockoutPolicy,
    ) -> Result<(), IdentityError> {
        let now = self.now();
        let forget_before = policy.forget_before(now);
        // Below the threshold nothing is locked and every attempt may go
        // on: one statement reserves. At or past it, the counter is left
        // as it is until it has been read (a lock must not move).
        if self
            .failures
            .reserve_below(tenant, subject, policy.threshold, now, forget_before)
            .await?
            .is_some()
        {
            return Ok(());
        }
        let seen = self.failures.read(tenant, subject, forget_before).await?;
        if let Some(retry_after) = policy.locked_for(seen.failures, seen.last_failure_at, now) {
            return Err(IdentityError::Locked { retry_after });
        }
        let reserved = self
            .failures
            .reserve(tenant, subject, now, forget_before)
            .await?;
        if !policy.may_attempt(seen.failures, reserved) {
            // Someone else's attempt got there first; this one waits its turn.
            let retry_after = policy.lock_for(reserved).map_or(1, |d| d.as_secs());
            return Err(IdentityError::Locked { retry_after });
        }
        Ok(())
    }

    /// Checks a signed-in user's password again before the sensitive step
    /// `event`. A wrong one counts on the account's lockout exactly like a
    /// failed login (the same counter, the same unlock mail), and is
    /// audited as a failed `event`.
    pub(crate) async fn recheck_password(
        &self,
        tenant: &Tenant,
        user: &User,
        event: AuditKind,
        password: &str,
        requester: &Requester,
        locale: Locale,
    ) -> Result<(), IdentityError> {
        let account_key = account_key(Some(&user.email));
        if let Err(e) = self
            .reserve(tenant.id, &account_key, &self.account_lockout_for(tenant))
            .await
        {
            if matches!(e, IdentityError::Locked { .. }) {
                self.record(tenant, Some(user.id), event, "locked", requester, "")
                    .await?;
            }
            return Err(e);
        }
        let verified = match user.password_hash.as_deref() {
            Some(phc) => self.services.hasher.verify(password, phc).await,
            None => self.services.hasher.verify_dummy(password).await.map(|()| {
                crate::password::Verification {
                    matches: false,
                    needs_rehash: false,
                }
            }),
        };
        let matches = match verified {
            Ok(v) => v.matches,
            Err(e) => {
                // No password was checked: the reservation goes back.
                self.failures.forgive_one(tenant.id, &account_key).await?;
                return Err(e.into());
            }
        };
        if !matches {
            self.after_failure(
                tenant,
                &account_key,
                Some(user),
                requester,
                locale,
                (event, "wrong password"),
            )
            .await?;
            return Err(IdentityError::InvalidCredentials);
        }
        self.failures.clear(tenant.id, &account_key).await?;
        Ok(())
    }

    pub(super) async fn after_failure(
        &self,
        tenant: &Tenant,
        account_key: &str,
        user: Option<&User>,
        requester: &Requester,
        locale: Locale,
        (event, detail): (AuditKind, &str),
    ) -> Result<(), IdentityError> {
        let policy = &self.account_lockout_for(tenant);
        let forget_before = policy.forget_before(self.now());
        let counter = self
            .failures
            .read(tenant.id, account_key, forget_before)
            .await?;
        let user_id = user.map(|u| u.id);
        self.record_attempt(
            tenant,
            user_id,
            Some(account_key),
            (event, "failure"),
            requester,
            detail,
        )
        .await?;
        if counter.failures == policy.threshold {
            // The lock starts now: the owner gets a link to lift it, so a
            // stranger cannot keep them out just by failing on purpose.
            if let Some(u) = user.filter(|u| !u.is_disabled()) {
                self.send_link(tenant, u, Purpose::Unlock, locale).await?;
            }
            self.record(tenant, user_id, AuditKind::Lockout, "locked", requester, "")
                .await?;
        }
        Ok(())
    }
}

/// The lockout counter of an account: `acct:<normalized email>`. Unparsable
/// emails share one bucket, locked like any other.
pub(super) fn account_key(email: Option<&Email>) -> String {
    format!("acct:{}", email.map_or("(invalid)", Email::normalized))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_session_secret() {
        let done = LoggedIn {
            session_secret: "cookie-secret".into(),
            stage: SessionStage::Authenticated,
            first_sign_in: true,
            emailed_code: false,
        };
        let shown = format!("{done:?}");
        assert!(!shown.contains("cookie-secret"), "{shown}");
        assert!(shown.starts_with("LoggedIn"), "{shown}");
        assert!(shown.contains("Authenticated"), "{shown}");
    }

    #[test]
    fn accounts_are_counted_by_normalized_email() {
        let email = Email::parse("Alice@Example.COM").expect("email");
        assert_eq!(
            account_key(Some(&email)),
            format!("acct:{}", email.normalized())
        );
        assert_eq!(account_key(None), "acct:(invalid)");
    }
}
