//! Sign-in through an upstream OpenID Connect provider ("Continue with
//! Google") or plain OAuth 2.0 provider ("Continue with GitHub"), and
//! linking such an account to a user.
//!
//! The round trip (OIDC Core §3.1, RFC 9700 §2.1): `state`, a PKCE
//! verifier and, for OpenID Connect, a `nonce` are drawn per attempt and
//! kept, sealed with the master key and bound to the tenant, in a
//! short-lived cookie of the browser that started it, with where to go
//! back (the pending authorization request). The callback checks `state`,
//! redeems the code with the verifier, and learns the person (see
//! [`super::upstream_person`]: a fully validated ID token, or the userinfo
//! endpoint read with the access token).
//!
//! Accounts (ASVS 6.8.1): a user is found by (provider, subject), never by
//! email alone. A first sign-in whose email no account has creates the
//! user (email verified only if the provider says so); one whose email an
//! account already has links nothing: the person signs in with the
//! password first and links the provider from the account page.
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::login::LoggedIn;
use super::upstream_http::FetchError;
use super::{Identity, IdentityError, Requester};
use crate::domain::display_name::DisplayName;
use crate::domain::email::Email;
use crate::domain::one_time_token::Purpose;
use crate::domain::tenant::Tenant;
use crate::domain::upstream::{UpstreamPerson, UpstreamProvider};
use crate::domain::upstream_settings::Protocol;
use crate::domain::user::{User, UserId, UserMetadata};
use crate::i18n::Locale;
use crate::store::upstream::LinkedIdentity;
use crate::store::users::NewUser;
use crate::store::StoreError;

/// How long a started sign-in may take at the provider.
pub const PENDING_SECS: i64 = 600;
/// The largest sealed attempt kept in a cookie: browsers keep cookies up
/// to 4,096 bytes, name and attributes included.
const ATTEMPT_MAX: usize = 3_800;
/// The `amr` of a session opened through an upstream provider.
pub const AMR_FEDERATED: &str = "fed";

#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("no such upstream provider, or it is turned off")]
    UnknownProvider,
    #[error("the sign-in attempt is unknown or expired: start again")]
    NoAttempt,
    #[error("the pending authorization request is too long to carry through the provider")]
    RequestTooLong,
    #[error("the answer does not belong to this sign-in attempt (state)")]
    StateMismatch,
    #[error("the provider refused: {0}")]
    Refused(String),
    #[error("the provider could not be reached or answered badly: {0}")]
    Provider(#[from] FetchError),
    #[error("the provider's ID token is not valid: {0}")]
    IdToken(String),
    #[error("the provider's token endpoint gave no access token: {0}")]
    Token(String),
    #[error("the provider's userinfo answer names nobody: {0}")]
    Userinfo(String),
    #[error("the provider shared no usable email address")]
    NoEmail,
    #[error("an account with this email exists: sign in with it, then link the provider")]
    ExistingAccount { email: String },
    #[error("sign-up is closed")]
    SignupClosed,
    #[error("the account is disabled")]
    Disabled,
    #[error("this provider account is linked to another user")]
    LinkedElsewhere,
    #[error("the provider is the last way to sign in to the account")]
    LastWayIn,
    #[error(transparent)]
    Identity(#[from] IdentityError),
}

impl From<StoreError> for UpstreamError {
    fn from(e: StoreError) -> Self {
        UpstreamError::Identity(e.into())
    }
}

/// A started sign-in: where to send the browser, and the sealed attempt
/// for its cookie. `Debug` shows neither.
pub struct UpstreamStart {
    pub location: String,
    pub attempt: String,
}

impl std::fmt::Debug for UpstreamStart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UpstreamStart { .. }")
    }
}

/// What a started sign-in is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    SignIn,
    /// Link the provider account to the signed-in user.
    Link(UserId),
}

/// The attempt kept in the browser's cookie, sealed.
#[derive(Serialize, Deserialize)]
pub(super) struct Attempt {
    provider_id: String,
    state: String,
    /// OpenID Connect only: a plain OAuth 2.0 provider has no ID token.
    #[serde(default)]
    pub(super) nonce: Option<String>,
    pub(super) verifier: String,
    return_to: Option<String>,
    link_user: Option<String>,
    expires_at: i64,
}

/// What the provider's redirect brought back.
#[derive(Debug, Default)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

/// How a finished round trip ends.
#[derive(Debug)]
pub enum UpstreamDone {
    /// A session is open (or waits for the second factor).
    SignedIn {
        logged_in: LoggedIn,
        return_to: Option<String>,
    },
    /// The provider account is now linked to the signed-in user.
    Linked { provider: String },
    /// A new account whose email the provider did not vouch for: a
    /// verification link was mailed.
    CheckEmail { email: String },
}

fn random_token() -> Result<String, IdentityError> {
    let bytes = service_kit::secret::random_bytes(32)
        .map_err(|e| IdentityError::Internal(e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// What a provider account's kept tokens are sealed to.
pub fn tokens_owner(provider_id: &str, subject: &str) -> String {
    format!("upstream-tokens:{provider_id}:{subject}")
}

/// The tokens a provider gave at a sign-in, as kept for the tenant's
/// backend when the provider keeps them. `Debug` shows no token.
#[derive(Serialize, Deserialize, Clone, Default)]
pub struct UpstreamTokens {
    pub access_token: Option<String>,
    pub refresh_token: Option<String>,
    pub id_token: Option<String>,
    pub token_type: Option<String>,
    pub scope: Option<String>,
    /// When the access token expires (Unix seconds), if the provider said.
    pub expires_at: Option<i64>,
}

impl std::fmt::Debug for UpstreamTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamTokens")
            .field("token_type", &self.token_type)
            .field("scope", &self.scope)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

fn owner(tenant: &Tenant) -> String {
    format!("upstream-attempt:{}", tenant.id)
}

impl Identity {
    /// `{PUBLIC_URL}/t/{slug}/upstream/callback`: the one redirect URI a
    /// tenant registers at each of its providers.
    pub fn upstream_callback_url(&self, tenant: &Tenant) -> String {
        crate::domain::upstream::callback_url(&self.public_url, tenant.slug.as_ref())
    }

    /// The tenant's enabled providers, for the login and sign-up buttons.
    pub async fn upstream_buttons(
        &self,
        tenant: &Tenant,
    ) -> Result<Vec<UpstreamProvider>, IdentityError> {
        Ok(self
            .upstream
            .list(tenant.id)
            .await?
            .into_iter()
            .filter(|p| p.enabled)
            .collect())
    }

    pub async fn upstream_start(
        &self,
        tenant: &Tenant,
        slug: &str,
        intent: Intent,
        return_to: Option<String>,
    ) -> Result<UpstreamStart, UpstreamError> {
        let provider = self
            .upstream
            .by_slug(tenant.id, slug)
            .await?
            .filter(|p| p.enabled)
            .ok_or(UpstreamError::UnknownProvider)?;
        let mut location = self.authorization_endpoint(&provider).await?;
        let attempt = Attempt {
            provider_id: provider.id.clone(),
            state: random_token()?,
            nonce: match provider.settings.protocol {
                Protocol::Oidc { .. } => Some(random_token()?),
                Protocol::OAuth2(_) => None,
            },
            verifier: random_token()?,
            return_to,
            link_user: match intent {
                Intent::SignIn => None,
                Intent::Link(user) => Some(user.to_string()),
            },
            expires_at: self.now() + PENDING_SECS,
        };
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(attempt.verifier.as_bytes()));
        {
            let mut query = location.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", &provider.client_id)
                .append_pair("redirect_uri", &self.upstream_callback_url(tenant));
            if !provider.settings.scopes.is_empty() {
                query.append_pair("scope", &provider.settings.scopes);
            }
            query.append_pair("state", &attempt.state);
            if let Some(nonce) = &attempt.nonce {
                query.append_pair("nonce", nonce);
            }
            if let Some(mode) = provider.settings.preset.and_then(|p| p.response_mode()) {
                query.append_pair("response_mode", mode);
            }
            query
                .append_pair("code_challenge", &challenge)
                .append_pair("code_challenge_method", "S256");
        }
        let json =
            serde_json::to_vec(&attempt).map_err(|e| IdentityError::Internal(e.to_string()))?;
        let sealed = self
            .keys
            .seal(&json, &owner(tenant))
            .map_err(IdentityError::from)?;
        if sealed.len() > ATTEMPT_MAX {
            // A pending request this long would not survive in a cookie.
            return Err(UpstreamError::RequestTooLong);
        }
        Ok(UpstreamStart {
            location: location.into(),
            attempt: sealed,
        })
    }

    /// Finishes the round trip. `signups_allowed` is whether the tenant's
    /// plan still takes new accounts (billing's answer, asked by the page).
    #[allow(clippy::too_many_arguments)]
    pub async fn upstream_finish(
        &self,
        tenant: &Tenant,
        callback: Callback,
        attempt: Option<&str>,
        signed_in: Option<UserId>,
        requester: &Requester,
        previous_session: Option<&str>,
        signups_allowed: bool,
        locale: Locale,
    ) -> Result<UpstreamDone, UpstreamError> {
        let attempt = self.open_attempt(tenant, attempt)?;
        let state = callback.state.as_deref().unwrap_or_default();
        if !bool::from(state.as_bytes().ct_eq(attempt.state.as_bytes())) {
            return Err(UpstreamError::StateMismatch);
        }
        if let Some(error) = callback.error {
            return Err(UpstreamError::Refused(error.chars().take(100).collect()));
        }
        let code = callback.code.ok_or(UpstreamError::NoAttempt)?;
        // Removed or turned off since the attempt began: unknown now.
        let provider = match self.upstream.get(tenant.id, &attempt.provider_id).await {
            Ok(p) if p.enabled => p,
            Ok(_) | Err(StoreError::ProviderNotFound) => {
                return Err(UpstreamError::UnknownProvider)
            }
            Err(e) => return Err(e.into()),
        };
        let (person, tokens) = self.person_from(tenant, &provider, &attempt, &code).await?;
        let email = person.email.clone();
        if let Some(link_user) = attempt.link_user.as_deref() {
            // Linking needs the same person signed in as when it started.
            let user = signed_in
                .filter(|u| u.to_string() == link_user)
                .ok_or(UpstreamError::NoAttempt)?;
            let done = self
                .link(tenant, &provider, &person, user, requester)
                .await?;
            self.keep_upstream_tokens(&provider, &person.subject, &tokens)
                .await?;
            return Ok(done);
        }
        let user = match self
            .upstream
            .linked_user(&provider.id, &person.subject)
            .await?
        {
            Some(id) => {
                self.upstream
                    .touch(&provider.id, &person.subject, email.as_deref(), self.now())
                    .await?;
                self.users.get(tenant.id, id).await?
            }
            None => {
                match self
                    .first_sign_in(
                        tenant,
                        &provider,
                        &person,
                        requester,
                        signups_allowed,
                        locale,
                    )
                    .await?
                {
                    Ok(user) => user,
                    Err(done) => return Ok(done),
                }
            }
        };
        if user.is_disabled() {
            self.record_login_refused(tenant, user.id, requester, "disabled")
                .await?;
            return Err(UpstreamError::Disabled);
        }
        if user.email_verified_at.is_none() {
            self.send_link(tenant, &user, Purpose::VerifyEmail, locale)
                .await?;
            return Ok(UpstreamDone::CheckEmail {
                email: user.email.address().to_owned(),
            });
        }
        self.keep_upstream_tokens(&provider, &person.subject, &tokens)
            .await?;
        let logged_in = self
            .sign_in(
                tenant,
                &user,
                AMR_FEDERATED,
                &format!("upstream:{}", provider.slug),
                requester,
                previous_session,
            )
            .await?;
        Ok(UpstreamDone::SignedIn {
            logged_in,
            return_to: attempt.return_to,
        })
    }

    fn open_attempt(
        &self,
        tenant: &Tenant,
        sealed: Option<&str>,
    ) -> Result<Attempt, UpstreamError> {
        let sealed = sealed.ok_or(UpstreamError::NoAttempt)?;
        let json = self
            .keys
            .open(sealed, &owner(tenant))
            .map_err(|_| UpstreamError::NoAttempt)?;
        let attempt: Attempt =
            serde_json::from_slice(&json).map_err(|_| UpstreamError::NoAttempt)?;
        if self.now() >= attempt.expires_at {
            return Err(UpstreamError::NoAttempt);
        }
        Ok(attempt)
    }

    /// A provider account no user has: a new user, unless an account has
    /// the email already (then nothing is linked: the person proves that
    /// account first). `Err(done)` ends the round trip without a session.
    async fn first_sign_in(
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
                "login",
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
        self.record(
            tenant,
            Some(user.id),
            "signup",
            "success",
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

    /// Keeps the sign-in's tokens, sealed and bound to the provider
    /// account, when the provider is set to keep them.
    async fn keep_upstream_tokens(
        &self,
        provider: &UpstreamProvider,
        subject: &str,
        tokens: &UpstreamTokens,
    ) -> Result<(), UpstreamError> {
        if !provider.keep_tokens {
            return Ok(());
        }
        let json =
            serde_json::to_vec(tokens).map_err(|e| IdentityError::Internal(e.to_string()))?;
        let sealed = self
            .keys
            .seal(&json, &tokens_owner(&provider.id, subject))
            .map_err(IdentityError::from)?;
        self.upstream
            .keep_tokens(&provider.id, subject, &sealed, self.now())
            .await?;
        Ok(())
    }

    async fn link(
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
            "upstream_link",
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
    /// password, no other provider, no passkey).
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
        if user.password_hash.is_none()
            && linked.len() == 1
            && self.passkeys.list(tenant.id, user.id).await?.is_empty()
        {
            return Err(UpstreamError::LastWayIn);
        }
        self.upstream
            .unlink(tenant.id, user.id, provider_id)
            .await?;
        self.record(
            tenant,
            Some(user.id),
            "upstream_unlink",
            "success",
            requester,
            &identity.provider_slug,
        )
        .await?;
        Ok(())
    }
}

/// What a provider's sealed client secret is bound to: the provider row
/// (a sealed secret copied to another row does not open).
pub fn secret_owner(tenant: crate::domain::tenant::TenantId, provider_id: &str) -> String {
    format!("upstream-secret:{tenant}:{provider_id}")
}
