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
//!
//! `round_trip.rs` holds the attempt and the callback, `accounts.rs` the
//! user a provider account finds, creates or is linked to, `tokens.rs` the
//! provider's tokens kept for the tenant's backend.
mod accounts;
mod round_trip;
mod tokens;

use super::upstream_http::FetchError;
use super::{Identity, IdentityError};
use crate::domain::tenant::Tenant;
use crate::domain::upstream::UpstreamProvider;
use crate::domain::ways_in::KeptWay;
use crate::store::StoreError;

pub(super) use round_trip::Attempt;
pub use round_trip::{Callback, Intent, UpstreamDone, UpstreamStart, AMR_FEDERATED, PENDING_SECS};
pub use tokens::{tokens_owner, UpstreamTokens};

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

impl From<KeptWay> for UpstreamError {
    fn from(kept: KeptWay) -> Self {
        match kept {
            KeptWay::NotThere => UpstreamError::UnknownProvider,
            KeptWay::Last | KeptWay::NoPasskey => UpstreamError::LastWayIn,
        }
    }
}

impl From<StoreError> for UpstreamError {
    fn from(e: StoreError) -> Self {
        UpstreamError::Identity(e.into())
    }
}

impl Identity {
    /// `{PUBLIC_URL}/t/{slug}/upstream/callback`: the one redirect URI a
    /// tenant registers at each of its providers.
    pub fn upstream_callback_url(&self, tenant: &Tenant) -> String {
        crate::domain::upstream::callback_url(&self.services.public_url, tenant.slug.as_ref())
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
}

/// What a provider's sealed client secret is bound to: the provider row
/// (a sealed secret copied to another row does not open).
pub fn secret_owner(tenant: crate::domain::tenant::TenantId, provider_id: &str) -> String {
    format!("upstream-secret:{tenant}:{provider_id}")
}
