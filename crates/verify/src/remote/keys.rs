//! A JWKS fetched from the issuer and cached.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::{Mutex, MutexGuard};
use url::Url;

use super::discovery::discover;
use super::error::RemoteError;
use super::http::Http;
use crate::keyset::{KeySet, KeySetOptions};

/// How a [`RemoteKeys`] fetches and caches.
///
/// ```
/// # use std::time::Duration;
/// # use connectauth_verify::remote::RemoteKeysConfig;
/// let config = RemoteKeysConfig {
///     stale_window: Duration::from_secs(4 * 3600),
///     ..RemoteKeysConfig::default()
/// };
/// ```
#[derive(Debug, Clone)]
pub struct RemoteKeysConfig {
    /// Shortest time a fetched set is trusted as fresh, whatever
    /// `Cache-Control` says (`max-age=0`, `no-cache`). Default 60 s.
    pub min_ttl: Duration,
    /// Longest time a fetched set is trusted as fresh. Default 24 h.
    pub max_ttl: Duration,
    /// Freshness when the response has no `Cache-Control: max-age`.
    /// Default 5 min.
    pub default_ttl: Duration,
    /// How long past its freshness an expired set keeps being served while
    /// refreshes fail (issuer briefly unreachable). Default 1 h.
    pub stale_window: Duration,
    /// Fewest time between two fetches of the JWKS, whatever triggers them
    /// (expiry, unknown `kid`, retry after a failure). Default 30 s.
    pub min_refetch_interval: Duration,
    /// Timeout of each HTTP request, connection to end of body. Default 5 s.
    pub http_timeout: Duration,
    /// Accept plain `http` URLs for any host. Default `false`: `https`
    /// only, except loopback hosts (`127.0.0.1`, `::1`, `localhost`).
    /// Only for a private network the traffic never leaves.
    pub allow_http: bool,
    /// How JWKS entries are read.
    pub key_set: KeySetOptions,
}

impl Default for RemoteKeysConfig {
    fn default() -> Self {
        RemoteKeysConfig {
            min_ttl: Duration::from_secs(60),
            max_ttl: Duration::from_secs(24 * 3600),
            default_ttl: Duration::from_secs(300),
            stale_window: Duration::from_secs(3600),
            min_refetch_interval: Duration::from_secs(30),
            http_timeout: Duration::from_secs(5),
            allow_http: false,
            key_set: KeySetOptions::default(),
        }
    }
}

impl RemoteKeysConfig {
    pub(crate) fn http(&self, follow_redirects: bool) -> Result<Http, RemoteError> {
        if self.min_ttl > self.max_ttl {
            return Err(RemoteError::InvalidConfig(
                "min_ttl must not exceed max_ttl",
            ));
        }
        if self.http_timeout.is_zero() {
            return Err(RemoteError::InvalidConfig("http_timeout must not be zero"));
        }
        Http::new(self.http_timeout, self.allow_http, follow_redirects)
    }
}

/// The issuer's key set, fetched from its `jwks_uri` and cached.
///
/// * Freshness comes from `Cache-Control: max-age` (less `Age`), clamped to
///   [`min_ttl`](RemoteKeysConfig::min_ttl)..[`max_ttl`](RemoteKeysConfig::max_ttl),
///   or [`default_ttl`](RemoteKeysConfig::default_ttl) without it.
/// * [`current`](Self::current) refreshes an expired set. While one caller
///   refreshes, the others keep the expired set instead of waiting; if the
///   refresh fails the expired set is still served, with a warning, for
///   [`stale_window`](RemoteKeysConfig::stale_window).
/// * [`for_unknown_kid`](Self::for_unknown_kid) refetches for a token
///   signed by a key not in the set (a rotation). Fetches are single-flight
///   (a burst of such tokens makes one request, the rest wait for its
///   result) and rate-limited: never two within
///   [`min_refetch_interval`](RemoteKeysConfig::min_refetch_interval), so a
///   flood of tokens with made-up `kid`s cannot flood the issuer.
/// * Only the configured or discovered `jwks_uri` is ever fetched: `jku`
///   and `x5u` token headers are never followed (RFC 8725 §3.10).
///
/// Cloning is cheap and clones share the cache.
#[derive(Clone)]
pub struct RemoteKeys {
    inner: Arc<Inner>,
}

struct Inner {
    http: Http,
    jwks_uri: Url,
    config: RemoteKeysConfig,
    state: RwLock<State>,
    /// Held by the one caller that may fetch.
    fetch_gate: Mutex<()>,
    fetches: AtomicU64,
}

#[derive(Default)]
struct State {
    cached: Option<Cached>,
    last_attempt: Option<Instant>,
    last_error: Option<String>,
}

struct Cached {
    keys: KeySet,
    fetched_at: Instant,
    ttl: Duration,
}

impl Cached {
    fn is_fresh(&self, now: Instant) -> bool {
        now.duration_since(self.fetched_at) < self.ttl
    }

    fn is_usable(&self, now: Instant, stale_window: Duration) -> bool {
        now.duration_since(self.fetched_at) < self.ttl.saturating_add(stale_window)
    }
}

impl RemoteKeys {
    /// Discovers `issuer`'s `jwks_uri` (see
    /// [`Verifier::new`](crate::Verifier::new) for the discovery rules). The
    /// keys themselves are fetched on first use.
    ///
    /// # Errors
    ///
    /// A [`RemoteError`] if the configuration or a URL is refused, or the
    /// discovery document cannot be fetched, names another issuer or has no
    /// `jwks_uri`.
    pub async fn from_issuer(
        issuer: &str,
        config: RemoteKeysConfig,
    ) -> Result<RemoteKeys, RemoteError> {
        let http = config.http(true)?;
        let metadata = discover(&http, issuer).await?;
        Ok(RemoteKeys::with_http(http, metadata.jwks_uri, config))
    }

    /// Uses the JWKS at `jwks_uri`, without discovery. Fetches nothing yet.
    ///
    /// # Errors
    ///
    /// [`RemoteError::InvalidUrl`] or [`RemoteError::InvalidConfig`].
    pub fn from_jwks_uri(
        jwks_uri: &str,
        config: RemoteKeysConfig,
    ) -> Result<RemoteKeys, RemoteError> {
        let http = config.http(true)?;
        let url = http.check_url(jwks_uri, "jwks_uri")?;
        Ok(RemoteKeys::with_http(http, url, config))
    }

    pub(crate) fn with_http(http: Http, jwks_uri: Url, config: RemoteKeysConfig) -> RemoteKeys {
        RemoteKeys {
            inner: Arc::new(Inner {
                http,
                jwks_uri,
                config,
                state: RwLock::new(State::default()),
                fetch_gate: Mutex::new(()),
                fetches: AtomicU64::new(0),
            }),
        }
    }

    /// The URL keys are fetched from.
    pub fn jwks_uri(&self) -> &str {
        self.inner.jwks_uri.as_str()
    }

    /// How many times the JWKS was requested so far (successfully or not).
    pub fn fetch_count(&self) -> u64 {
        self.inner.fetches.load(Ordering::Relaxed)
    }

    /// The key set to validate with: the cached one while fresh, else a
    /// refreshed one, else (refresh failed or rate-limited) the expired one
    /// within the stale window.
    ///
    /// # Errors
    ///
    /// A [`RemoteError`] when no set is usable: never fetched successfully,
    /// or expired beyond the stale window, and the fetch failed (or was not
    /// attempted, the last failure being too recent).
    pub async fn current(&self) -> Result<KeySet, RemoteError> {
        let now = Instant::now();
        let usable = {
            let state = self.read();
            match &state.cached {
                Some(c) if c.is_fresh(now) => return Ok(c.keys.clone()),
                Some(c) if c.is_usable(now, self.inner.config.stale_window) => Some(c.keys.clone()),
                _ => None,
            }
        };
        let gate = match usable {
            // Someone is already refreshing: keep serving the expired set.
            Some(keys) => match self.inner.fetch_gate.try_lock() {
                Ok(gate) => gate,
                Err(_) => return Ok(keys),
            },
            None => self.inner.fetch_gate.lock().await,
        };
        self.refresh(gate, |c, now| c.is_fresh(now)).await
    }

    /// The key set after refetching for a token whose `kid` is not in the
    /// cached set, subject to single-flight and
    /// [`min_refetch_interval`](RemoteKeysConfig::min_refetch_interval).
    /// Returns the set to retry with: the new one, or the cached one when
    /// no fetch was due or the fetch failed (the token's key then stays
    /// unknown).
    ///
    /// # Errors
    ///
    /// As [`current`](Self::current), when no set at all is usable.
    pub async fn for_unknown_kid(&self, kid: &str) -> Result<KeySet, RemoteError> {
        let gate = self.inner.fetch_gate.lock().await;
        self.refresh(gate, |c, _| c.keys.contains_kid(kid)).await
    }

    /// With the fetch gate held: returns the cached set if `satisfied`
    /// (another caller fetched while this one waited), else fetches if the
    /// rate limit allows, falling back to the cached set while usable.
    async fn refresh(
        &self,
        _gate: MutexGuard<'_, ()>,
        satisfied: impl Fn(&Cached, Instant) -> bool,
    ) -> Result<KeySet, RemoteError> {
        let config = &self.inner.config;
        let now = Instant::now();
        let usable = {
            let state = self.read();
            let usable = state
                .cached
                .as_ref()
                .filter(|c| c.is_usable(now, config.stale_window));
            if let Some(c) = usable.filter(|c| satisfied(c, now)) {
                return Ok(c.keys.clone());
            }
            let rate_limited = state
                .last_attempt
                .is_some_and(|t| now.duration_since(t) < config.min_refetch_interval);
            match (usable, rate_limited) {
                (Some(c), true) => return Ok(c.keys.clone()),
                (None, true) => return Err(self.no_keys(&state)),
                (usable, false) => usable.map(|c| c.keys.clone()),
            }
        };
        self.write().last_attempt = Some(now);
        match self.fetch().await {
            Ok(cached) => {
                let keys = cached.keys.clone();
                let mut state = self.write();
                state.cached = Some(cached);
                state.last_error = None;
                Ok(keys)
            }
            Err(error) => {
                self.write().last_error = Some(error.to_string());
                match usable {
                    Some(keys) => {
                        tracing::warn!(%error, "JWKS refresh failed; serving the cached keys");
                        Ok(keys)
                    }
                    None => {
                        tracing::error!(%error, "JWKS fetch failed; no keys to verify tokens with");
                        Err(error)
                    }
                }
            }
        }
    }

    async fn fetch(&self) -> Result<Cached, RemoteError> {
        let inner = &self.inner;
        inner.fetches.fetch_add(1, Ordering::Relaxed);
        let fetched = inner.http.get_json(&inner.jwks_uri).await?;
        let keys =
            KeySet::from_jwks_value(&fetched.body, &inner.config.key_set).map_err(|source| {
                RemoteError::Jwks {
                    url: inner.jwks_uri.to_string(),
                    source,
                }
            })?;
        for skipped in keys.skipped() {
            tracing::debug!(kid = ?skipped.kid, reason = %skipped.reason, "JWKS entry skipped");
        }
        let c = &inner.config;
        let ttl = fetched
            .max_age
            .map_or(c.default_ttl, |age| age.max(c.min_ttl).min(c.max_ttl));
        tracing::debug!(jwks_uri = %inner.jwks_uri, keys = keys.len(), ttl_secs = ttl.as_secs(), "JWKS fetched");
        Ok(Cached {
            keys,
            fetched_at: Instant::now(),
            ttl,
        })
    }

    fn no_keys(&self, state: &State) -> RemoteError {
        RemoteError::NoKeys {
            url: self.inner.jwks_uri.to_string(),
            last_error: state
                .last_error
                .clone()
                .unwrap_or_else(|| "none".to_owned()),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        // The state is consistent after any panic: every write is one store.
        self.inner
            .state
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.inner
            .state
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for RemoteKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteKeys")
            .field("jwks_uri", &self.jwks_uri())
            .field("fetch_count", &self.fetch_count())
            .finish_non_exhaustive()
    }
}
