//! What end users of a tenant do: sign up, log in, prove a second factor,
//! use emailed links, manage sessions. No HTTP here: handlers in
//! `http/pages/` call these, and every rule and store call lives below.
pub mod admin;
pub mod audit;
pub mod links;
pub mod login;
pub mod mail;
pub mod mfa;
pub mod passkeys;
pub mod sessions;
pub mod signup;
pub mod step_up;
pub mod upstream;
pub mod upstream_http;
mod upstream_person;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use service_kit::clock::SharedClock;
use service_kit::db::Database;
use tokio::sync::Semaphore;
use tracing::Instrument;
use url::Url;

use crate::domain::lockout::LockoutPolicy;
use crate::domain::one_time_token::LinkProblem;
use crate::domain::session::SessionPolicy;
use crate::domain::tenant::Tenant;
use crate::i18n::Catalog;
use crate::keys::sealed::{MasterKeys, SealError};
use crate::password::{HashError, PasswordHasher, PasswordRuleError};
use crate::store::audit::AuditStore;
use crate::store::login_failures::LoginFailureStore;
use crate::store::mail_budget::MailBudgetStore;
use crate::store::one_time_tokens::OneTimeTokenStore;
use crate::store::recovery_codes::RecoveryCodeStore;
use crate::store::sessions::SessionStore;
use crate::store::users::UserStore;
use crate::store::StoreError;
use service_kit::mail::MailQueue;

/// Who is asking: logged with every event.
#[derive(Debug, Clone)]
pub struct Requester {
    pub ip: String,
    /// What per-IP lockout and rate limits count against: the address, or
    /// its /64 for IPv6 (`http/pages/client_ip.rs`).
    pub limit_key: String,
    pub user_agent: String,
}

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// Wrong email or password, unknown account, disabled account: one answer.
    #[error("invalid email or password")]
    InvalidCredentials,
    #[error("too many attempts; try again in {retry_after} s")]
    Locked { retry_after: u64 },
    #[error("the email address is not verified yet")]
    EmailNotVerified,
    #[error(transparent)]
    Password(#[from] PasswordRuleError),
    /// A field is invalid; the text key (in `locales/*.json`) says why.
    #[error("invalid field: {0}")]
    Field(&'static str),
    #[error("the code is not valid")]
    InvalidCode,
    #[error(transparent)]
    Link(#[from] LinkProblem),
    #[error("the server is busy; retry in {retry_after} s")]
    Busy { retry_after: u64 },
    #[error("not logged in")]
    NotAuthenticated,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Seal(#[from] SealError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<HashError> for IdentityError {
    fn from(e: HashError) -> Self {
        match e {
            HashError::Busy { retry_after_secs } => IdentityError::Busy {
                retry_after: retry_after_secs,
            },
            other => IdentityError::Internal(other.to_string()),
        }
    }
}

pub struct Identity {
    users: UserStore,
    sessions: SessionStore,
    one_time_tokens: OneTimeTokenStore,
    recovery: RecoveryCodeStore,
    failures: LoginFailureStore,
    /// Per-address budget of mails a stranger can trigger.
    mail_budget: MailBudgetStore,
    audit: AuditStore,
    /// Erasing a user and what is theirs.
    erasure: crate::store::erasure::ErasureStore,
    /// Upstream identity providers and the accounts linked through them.
    upstream: crate::store::upstream::UpstreamStore,
    /// Users' passkeys and the ceremonies under way.
    passkeys: crate::store::passkeys::PasskeyStore,
    ways_in: crate::store::ways_in::WaysInStore,
    /// The WebAuthn relying party (the server's host), when the public URL
    /// allows passkeys (`passkeys::relying_party`).
    pub webauthn: Option<Arc<webauthn_rs::Webauthn>>,
    /// OAuth grants: logout and password reset revoke them.
    grants: crate::store::grants::GrantStore,
    /// The hasher, mail, keys, texts and policies it works with.
    pub services: IdentityServices,
    /// The time every rule of the hosted pages reads (sessions, lockouts,
    /// one-time links, TOTP steps, audit events).
    clock: SharedClock,
    /// Work done after the answer (see [`Identity::after_answer`]), bounded.
    background: Arc<Semaphore>,
}

/// At most this many answered requests may still have work running; past
/// it, requests get 503 Retry-After, whatever the address.
const BACKGROUND_JOBS: usize = 256;

/// What `Identity` works with besides its stores and its clock.
pub struct IdentityServices {
    pub hasher: PasswordHasher,
    /// Calls to upstream identity providers.
    pub upstream_http: upstream_http::UpstreamHttp,
    pub mail: MailQueue,
    pub keys: std::sync::Arc<MasterKeys>,
    pub catalog: Catalog,
    pub session_policy: SessionPolicy,
    pub account_lockout: LockoutPolicy,
    pub ip_lockout: LockoutPolicy,
    pub public_url: Url,
}

impl Identity {
    pub fn new(db: &Database, services: IdentityServices, clock: SharedClock) -> Self {
        let pool = db.pool.clone();
        Self {
            users: UserStore::new(pool.clone()),
            sessions: SessionStore::new(pool.clone()),
            one_time_tokens: OneTimeTokenStore::new(pool.clone()),
            recovery: RecoveryCodeStore::new(pool.clone()),
            failures: LoginFailureStore::new(pool.clone()),
            mail_budget: MailBudgetStore::new(pool.clone()),
            audit: AuditStore::new(pool.clone()),
            erasure: crate::store::erasure::ErasureStore::new(pool.clone()),
            upstream: crate::store::upstream::UpstreamStore::new(pool.clone()),
            passkeys: crate::store::passkeys::PasskeyStore::new(pool.clone()),
            ways_in: crate::store::ways_in::WaysInStore::new(pool.clone()),
            webauthn: passkeys::relying_party(&services.public_url),
            grants: crate::store::grants::GrantStore::new(pool),
            services,
            clock,
            background: Arc::new(Semaphore::new(BACKGROUND_JOBS)),
        }
    }

    /// Runs `work` after the answer. What a request does for a known address
    /// (reads, writes, mail) differs from what it does for an unknown one;
    /// done here, it cannot change when or how the answer comes. The work
    /// logs its own failure: nobody is waiting for it.
    pub(crate) fn after_answer<W, F>(
        self: &Arc<Self>,
        what: &'static str,
        work: W,
    ) -> Result<(), IdentityError>
    where
        W: FnOnce(Arc<Self>) -> F,
        F: Future<Output = Result<(), IdentityError>> + Send + 'static,
    {
        let permit = Arc::clone(&self.background)
            .try_acquire_owned()
            .map_err(|_| IdentityError::Busy { retry_after: 5 })?;
        let job = work(Arc::clone(self));
        tokio::spawn(
            async move {
                if let Err(e) = job.await {
                    tracing::error!(error = %e, what, "work after the answer failed");
                }
                drop(permit);
            }
            .instrument(tracing::Span::current()),
        );
        Ok(())
    }

    /// Waits (at most `limit`) for the work of answered requests to end, so
    /// that the mails it queues are queued before the queue drains.
    pub async fn finish_background(&self, limit: Duration) {
        let all = u32::try_from(BACKGROUND_JOBS).unwrap_or(u32::MAX);
        if tokio::time::timeout(limit, self.background.acquire_many(all))
            .await
            .is_err()
        {
            tracing::warn!("work of answered requests still running at shutdown");
        }
    }

    /// `{PUBLIC_URL}/t/{slug}{path}`.
    pub fn tenant_url(&self, slug: &str, path: &str) -> String {
        let base = self.services.public_url.as_str().trim_end_matches('/');
        format!("{base}/t/{slug}{path}")
    }

    /// A URL of the platform itself (the dashboard), from its public URL.
    pub fn platform_url(&self, path: &str) -> String {
        let base = self.services.public_url.as_str().trim_end_matches('/');
        format!("{base}{path}")
    }
}

impl Identity {
    /// The account lockout in this tenant: the server's policy with the
    /// tenant's `lockout_threshold`, where it set one.
    pub(crate) fn account_lockout_for(&self, tenant: &Tenant) -> LockoutPolicy {
        self.services
            .account_lockout
            .with_threshold(tenant.settings.lockout_threshold())
    }

    /// Now, in Unix seconds, by the injected clock.
    pub(crate) fn now(&self) -> i64 {
        self.clock.now()
    }
}
