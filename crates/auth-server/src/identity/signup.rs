//! Sign up. The answer is the same whether or not the email already has an
//! account ("check your mail"), and it comes before the account is looked
//! up: the owner of an existing account gets a mail saying so instead of a
//! verification link, after the answer. The form has no username: tenants
//! cannot turn usernames on, and a taken username would tell a registered
//! email from an unregistered one.
use std::sync::Arc;

use super::{Identity, IdentityError, Requester};
use crate::domain::audit::AuditKind;
use crate::domain::display_name::DisplayName;
use crate::domain::email::Email;
use crate::domain::one_time_token::Purpose;
use crate::domain::tenant::Tenant;
use crate::domain::user::UserMetadata;
use crate::i18n::Locale;
use crate::password::PasswordPolicy;
use crate::store::users::NewUser;
use crate::store::StoreError;

/// `Debug` leaves the password out.
#[derive(Default)]
pub struct SignupForm {
    pub email: String,
    pub password: String,
    pub display_name: String,
}

/// A signup whose email and display name are well formed: only these spend
/// the tenant's signup budget (the handler's rate limit).
pub struct SignupRequest<'a> {
    email: Email,
    display_name: DisplayName,
    password: &'a str,
}

impl SignupForm {
    pub fn parse(&self) -> Result<SignupRequest<'_>, IdentityError> {
        let email =
            Email::parse(&self.email).map_err(|_| IdentityError::Field("err_email_invalid"))?;
        let display_name = if self.display_name.trim().is_empty() {
            DisplayName::parse(email.local_part())
        } else {
            DisplayName::parse(&self.display_name)
        }
        .map_err(|_| IdentityError::Field("err_display_name"))?;
        Ok(SignupRequest {
            email,
            display_name,
            password: &self.password,
        })
    }
}

impl std::fmt::Debug for SignupForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignupForm")
            .field("email", &self.email)
            .field("password", &service_kit::secret::REDACTED)
            .field("display_name", &self.display_name)
            .finish()
    }
}

impl Identity {
    /// Checks and hashes the password (the same cost for every address),
    /// then answers; the account is made, or its owner told, afterwards.
    pub async fn signup(
        self: &Arc<Self>,
        tenant: &Tenant,
        request: SignupRequest<'_>,
        requester: &Requester,
        locale: Locale,
    ) -> Result<(), IdentityError> {
        if !tenant.settings.signup_allows_domain(request.email.domain()) {
            return Err(IdentityError::Field("err_signup_domain"));
        }
        let context = [
            tenant.slug.as_ref(),
            tenant.display_name.as_ref(),
            request.email.local_part(),
            "connectauth",
        ];
        let password = PasswordPolicy::check(request.password, &context)?;
        let phc = self.services.hasher.hash(&password).await?;
        let new = NewUser {
            tenant_id: tenant.id,
            email: request.email,
            username: None,
            display_name: request.display_name,
            password_hash: Some(phc),
            metadata: UserMetadata::default(),
        };
        let (tenant, requester) = (tenant.clone(), requester.clone());
        self.after_answer("signup", move |me| async move {
            me.create_account(&tenant, new, &requester, locale).await
        })
    }

    async fn create_account(
        &self,
        tenant: &Tenant,
        new: NewUser,
        requester: &Requester,
        locale: Locale,
    ) -> Result<(), IdentityError> {
        let email = new.email.clone();
        match self.users.create(new, self.now()).await {
            Ok(user) => {
                self.send_link(tenant, &user, Purpose::VerifyEmail, locale)
                    .await?;
                self.record_signup(tenant, user.id, requester, "").await
            }
            Err(StoreError::EmailTaken) => {
                let detail = if self.take_mail_budget(tenant, &email).await? {
                    self.send_already_registered(tenant, email.address(), locale)?;
                    "email already registered"
                } else {
                    "email already registered; mail limit reached"
                };
                self.record(
                    tenant,
                    None,
                    AuditKind::Signup,
                    "failure",
                    requester,
                    detail,
                )
                .await
            }
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_password() {
        let form = SignupForm {
            email: "a@example.com".into(),
            password: "correct horse battery".into(),
            ..SignupForm::default()
        };
        let shown = format!("{form:?}");
        assert!(
            !shown.contains("correct horse") && shown.contains("a@example.com"),
            "{shown}"
        );
    }
}
