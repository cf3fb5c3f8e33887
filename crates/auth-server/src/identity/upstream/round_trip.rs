//! The round trip through the provider: the attempt sealed into the
//! browser's cookie at the start, checked and spent at the callback.
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::UpstreamError;
use crate::domain::one_time_token::Purpose;
use crate::domain::tenant::Tenant;
use crate::domain::upstream_settings::Protocol;
use crate::domain::user::UserId;
use crate::i18n::Locale;
use crate::identity::login::LoggedIn;
use crate::identity::{Identity, IdentityError, Requester};
use crate::store::StoreError;

/// How long a started sign-in may take at the provider.
pub const PENDING_SECS: i64 = 600;
/// The largest sealed attempt kept in a cookie: browsers keep cookies up
/// to 4,096 bytes, name and attributes included.
const ATTEMPT_MAX: usize = 3_800;
/// The `amr` of a session opened through an upstream provider.
pub const AMR_FEDERATED: &str = "fed";

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
pub(in crate::identity) struct Attempt {
    provider_id: String,
    state: String,
    /// OpenID Connect only: a plain OAuth 2.0 provider has no ID token.
    #[serde(default)]
    pub(in crate::identity) nonce: Option<String>,
    pub(in crate::identity) verifier: String,
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

fn owner(tenant: &Tenant) -> String {
    format!("upstream-attempt:{}", tenant.id)
}

impl Identity {
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
            .services
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
            .services
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
}
