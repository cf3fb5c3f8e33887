//! Sign up. The answer is the same whether or not the email already has an
//! account ("check your mail"); the owner of an existing account gets a mail
//! saying so instead of a verification link.
use super::{now, ClientInfo, Identity, IdentityError};
use crate::domain::display_name::DisplayName;
use crate::domain::email::Email;
use crate::domain::tenant::Tenant;
use crate::domain::user::{UserMetadata, Username};
use crate::i18n::Locale;
use crate::password::PasswordPolicy;
use crate::store::one_time_tokens::Purpose;
use crate::store::users::NewUser;
use crate::store::StoreError;

/// `Debug` leaves the password out.
#[derive(Default)]
pub struct SignupForm {
    pub email: String,
    pub password: String,
    pub display_name: String,
    pub username: String,
}

impl std::fmt::Debug for SignupForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignupForm")
            .field("email", &self.email)
            .field("password", &service_kit::secret::REDACTED)
            .field("display_name", &self.display_name)
            .field("username", &self.username)
            .finish()
    }
}

impl Identity {
    pub async fn signup(
        &self,
        tenant: &Tenant,
        form: &SignupForm,
        client: &ClientInfo,
        locale: Locale,
    ) -> Result<(), IdentityError> {
        let email =
            Email::parse(&form.email).map_err(|_| IdentityError::Field("err_email_invalid"))?;
        let display_name = if form.display_name.trim().is_empty() {
            DisplayName::parse(email.local_part())
        } else {
            DisplayName::parse(&form.display_name)
        }
        .map_err(|_| IdentityError::Field("err_display_name"))?;
        let username = match form.username.trim() {
            "" => None,
            name => Some(
                Username::parse(name).map_err(|_| IdentityError::Field("err_username_invalid"))?,
            ),
        };
        let context = [
            tenant.slug.as_ref(),
            tenant.display_name.as_ref(),
            email.local_part(),
            "connectauth",
        ];
        let password = PasswordPolicy::check(&form.password, &context)?;
        // Hash before looking the email up, so both paths cost the same.
        let phc = self.hasher.hash(&password).await?;
        let new = NewUser {
            tenant_id: tenant.id,
            email: email.clone(),
            username,
            display_name,
            password_hash: phc,
            metadata: UserMetadata::default(),
        };
        match self.users.create(new, now()).await {
            Ok(user) => {
                self.send_link(tenant, &user, Purpose::VerifyEmail, locale)
                    .await?;
                self.record(tenant, Some(user.id), "signup", "success", client, "")
                    .await
            }
            Err(StoreError::EmailTaken) => {
                self.send_already_registered(tenant, email.address(), locale)?;
                self.record(
                    tenant,
                    None,
                    "signup",
                    "failure",
                    client,
                    "email already registered",
                )
                .await
            }
            Err(StoreError::UsernameTaken) => Err(IdentityError::UsernameTaken),
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
