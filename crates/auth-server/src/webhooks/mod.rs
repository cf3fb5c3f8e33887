//! Event webhooks' engine (docs/webhooks.md). One instance at a time (a
//! database lease) reads the audit trail as it grows and writes a delivery
//! for each enabled endpoint that wants the event (`fanout`): the outbox
//! is written before the cursor moves, so an event is delivered at least
//! once even when the instance dies. The same instance then sends the
//! deliveries that are due (`send`), signed with the endpoint's secret,
//! retries failures with exponential backoff for the retry period, and
//! disables an endpoint that failed for all of it (`runner`). The
//! endpoints themselves are managed through `crate::manage::webhooks`.
mod fanout;
mod runner;
pub mod secrets;
mod send;

use std::sync::Arc;
use std::time::Duration;

use service_kit::clock::SharedClock;
use service_kit::config::Loader;
use service_kit::db::Database;

use crate::domain::webhook::endpoint::PrivateEndpoints;
use crate::identity::{Identity, IdentityError};
use crate::keys::sealed::{MasterKeys, SealError};
use crate::store::audit::AuditStore;
use crate::store::owners::OwnerStore;
use crate::store::webhooks::WebhookStore;
use crate::store::StoreError;
pub use runner::TICK;
pub use secrets::WebhookSecrets;

/// `AUTH_WEBHOOK*`: whether this instance delivers, to which addresses, how
/// long a delivery is retried.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// `AUTH_WEBHOOKS` (`on`, the default, or `off`): whether this instance
    /// may fan out and send deliveries (one instance does at a time).
    pub enabled: bool,
    /// `AUTH_WEBHOOK_ALLOW_PRIVATE` (default `false`): endpoints on
    /// private, loopback and link-local addresses, and plain http.
    pub private: PrivateEndpoints,
    /// `AUTH_WEBHOOK_RETRY_HOURS` (default 24): how long a failing delivery
    /// is retried, and how long an endpoint may fail before it is disabled.
    pub retry_secs: i64,
    /// `AUTH_WEBHOOK_TIMEOUT_SECS` (default 10): how long one attempt may
    /// take, connection included.
    pub timeout: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            private: PrivateEndpoints::Refused,
            retry_secs: 24 * 3600,
            timeout: Duration::from_secs(10),
        }
    }
}

impl WebhookSettings {
    pub fn read(loader: &mut Loader<'_>) -> Self {
        let d = Self::default();
        let enabled = loader.switch("AUTH_WEBHOOKS", true);
        let private = if loader.parse("AUTH_WEBHOOK_ALLOW_PRIVATE", false) {
            PrivateEndpoints::Allowed
        } else {
            PrivateEndpoints::Refused
        };
        let hours: i64 = loader.parse("AUTH_WEBHOOK_RETRY_HOURS", d.retry_secs / 3600);
        if !(1..=24 * 7).contains(&hours) {
            loader.problem("AUTH_WEBHOOK_RETRY_HOURS must be between 1 and 168");
        }
        let timeout: u64 = loader.parse("AUTH_WEBHOOK_TIMEOUT_SECS", d.timeout.as_secs());
        if !(1..=60).contains(&timeout) {
            loader.problem("AUTH_WEBHOOK_TIMEOUT_SECS must be between 1 and 60");
        }
        Self {
            enabled,
            private,
            retry_secs: hours.clamp(1, 24 * 7) * 3600,
            timeout: Duration::from_secs(timeout.clamp(1, 60)),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("webhook secret: {0}")]
    Seal(#[from] SealError),
    #[error(transparent)]
    Identity(#[from] IdentityError),
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
}

pub struct Dispatcher {
    store: WebhookStore,
    secrets: WebhookSecrets,
    /// Whom to tell when an endpoint is disabled.
    owners: OwnerStore,
    audit: AuditStore,
    identity: Arc<Identity>,
    sender: send::Sender,
    clock: SharedClock,
    settings: WebhookSettings,
    /// Who holds the lease: this process.
    instance: String,
    /// The first number missing from the trail and when it was first seen
    /// missing (`fanout`).
    gap: std::sync::Mutex<Option<(i64, std::time::Instant)>>,
}

impl Dispatcher {
    pub fn new(
        db: &Database,
        master: Arc<MasterKeys>,
        identity: Arc<Identity>,
        clock: SharedClock,
        settings: WebhookSettings,
    ) -> Result<Self, WebhookError> {
        let pool = db.pool.clone();
        Ok(Self {
            store: WebhookStore::new(pool.clone()),
            secrets: WebhookSecrets::new(master),
            owners: OwnerStore::new(pool.clone()),
            audit: AuditStore::new(pool),
            identity,
            sender: send::Sender::new(settings.private, settings.timeout)?,
            clock,
            settings,
            instance: uuid::Uuid::new_v4().to_string(),
            gap: std::sync::Mutex::new(None),
        })
    }
}

#[cfg(test)]
mod tests {
    use service_kit::config::Env;

    use super::*;

    fn read(pairs: &[(&str, &str)]) -> (WebhookSettings, Vec<String>) {
        let env = Env::from_pairs(pairs.iter().copied());
        let mut loader = Loader::new(&env);
        let settings = WebhookSettings::read(&mut loader);
        let problems = match loader.finish() {
            Ok(_) => Vec::new(),
            Err(e) => vec![e.to_string()],
        };
        (settings, problems)
    }

    #[test]
    fn settings_default_to_on_public_only_a_day_and_ten_seconds() {
        let (s, problems) = read(&[]);
        assert!(problems.is_empty(), "{problems:?}");
        assert!(s.enabled);
        assert_eq!(s.private, PrivateEndpoints::Refused);
        assert_eq!(s.retry_secs, 24 * 3600);
        assert_eq!(s.timeout, Duration::from_secs(10));
        let (s, _) = read(&[
            ("AUTH_WEBHOOKS", "off"),
            ("AUTH_WEBHOOK_ALLOW_PRIVATE", "true"),
            ("AUTH_WEBHOOK_RETRY_HOURS", "72"),
            ("AUTH_WEBHOOK_TIMEOUT_SECS", "3"),
        ]);
        assert!(!s.enabled);
        assert_eq!(s.private, PrivateEndpoints::Allowed);
        assert_eq!(s.retry_secs, 72 * 3600);
        assert_eq!(s.timeout, Duration::from_secs(3));
    }

    #[test]
    fn bad_settings_are_each_named() {
        let (_, problems) = read(&[
            ("AUTH_WEBHOOKS", "maybe"),
            ("AUTH_WEBHOOK_RETRY_HOURS", "0"),
            ("AUTH_WEBHOOK_TIMEOUT_SECS", "600"),
        ]);
        let text = problems.join(" ");
        for name in [
            "AUTH_WEBHOOKS:",
            "AUTH_WEBHOOK_RETRY_HOURS",
            "AUTH_WEBHOOK_TIMEOUT_SECS",
        ] {
            assert!(text.contains(name), "{name} in {text}");
        }
    }
}
