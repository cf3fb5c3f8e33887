//! RFC 7662 token introspection, for callers that must see revocations at
//! once rather than when the token expires.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use reqwest::header::HeaderValue;
use serde_json::Value;
use sha2::{Digest, Sha256};
use url::Url;

use super::error::RemoteError;
use super::http::Http;

/// Longest [`IntrospectionConfig::cache_ttl`] accepted: a revocation is
/// seen at most this late.
pub const MAX_INTROSPECTION_CACHE_TTL: Duration = Duration::from_secs(10);

/// Entries kept in the positive-answer cache before it is pruned.
const MAX_CACHED: usize = 10_000;

/// Client credentials and options for introspection mode.
///
/// In this mode every token that passes local validation is also sent to
/// the issuer's introspection endpoint, authenticated with
/// `client_secret_basic`, and refused unless the answer is
/// `"active": true`. If the endpoint cannot be reached, tokens are refused
/// with 503: introspection mode fails closed.
#[derive(Clone, Default)]
pub struct IntrospectionConfig {
    /// The client ID of this resource server at the issuer.
    pub client_id: String,
    /// Its client secret.
    pub client_secret: String,
    /// The endpoint; `None` (default) takes `introspection_endpoint` from
    /// discovery.
    pub endpoint: Option<String>,
    /// How long a positive answer is reused for the same token (keyed by
    /// its SHA-256, never the token itself). Default zero: no cache. At
    /// most [`MAX_INTROSPECTION_CACHE_TTL`].
    pub cache_ttl: Duration,
}

impl fmt::Debug for IntrospectionConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntrospectionConfig")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("endpoint", &self.endpoint)
            .field("cache_ttl", &self.cache_ttl)
            .finish()
    }
}

/// Why introspection did not confirm a token.
pub(crate) enum Refusal {
    Inactive,
    Unavailable(RemoteError),
}

pub(crate) struct Introspector {
    http: Http,
    endpoint: Url,
    authorization: HeaderValue,
    cache_ttl: Duration,
    /// SHA-256 of the token → until when its positive answer holds.
    cache: Mutex<HashMap<[u8; 32], Instant>>,
}

impl Introspector {
    /// `http` must not follow redirects: the request carries the token and
    /// the client's credentials.
    pub(crate) fn new(
        config: &IntrospectionConfig,
        endpoint: &str,
        http: Http,
    ) -> Result<Introspector, RemoteError> {
        if config.client_id.is_empty() {
            return Err(RemoteError::InvalidConfig(
                "introspection client_id must not be empty",
            ));
        }
        if config.cache_ttl > MAX_INTROSPECTION_CACHE_TTL {
            return Err(RemoteError::InvalidConfig(
                "introspection cache_ttl must not exceed 10 s",
            ));
        }
        let endpoint = http.check_url(endpoint, "introspection_endpoint")?;
        // RFC 6749 §2.3.1: form-encode both parts before Basic encoding.
        let credentials = format!(
            "{}:{}",
            form_encode(&config.client_id),
            form_encode(&config.client_secret)
        );
        let mut authorization =
            HeaderValue::from_str(&format!("Basic {}", STANDARD.encode(credentials)))
                .map_err(|_| RemoteError::InvalidConfig("unusable introspection credentials"))?;
        authorization.set_sensitive(true);
        Ok(Introspector {
            http,
            endpoint,
            authorization,
            cache_ttl: config.cache_ttl,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// Accepts `token` (expiring at `exp`) only if the issuer says it is
    /// active.
    pub(crate) async fn check(&self, token: &str, exp: i64) -> Result<(), Refusal> {
        let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let now = Instant::now();
        if !self.cache_ttl.is_zero() && self.cache().get(&key).is_some_and(|until| now < *until) {
            return Ok(());
        }
        let answer = self
            .http
            .post_form(
                &self.endpoint,
                &self.authorization,
                &[("token", token), ("token_type_hint", "access_token")],
            )
            .await
            .map_err(|error| {
                tracing::warn!(%error, "token introspection failed");
                Refusal::Unavailable(error)
            })?;
        if answer.get("active") != Some(&Value::Bool(true)) {
            return Err(Refusal::Inactive);
        }
        if !self.cache_ttl.is_zero() {
            let remaining = u64::try_from(exp.saturating_sub(unix_now())).unwrap_or(0);
            let ttl = self.cache_ttl.min(Duration::from_secs(remaining));
            let mut cache = self.cache();
            if cache.len() >= MAX_CACHED {
                cache.retain(|_, until| now < *until);
                if cache.len() >= MAX_CACHED {
                    cache.clear();
                }
            }
            cache.insert(key, now + ttl);
        }
        Ok(())
    }

    pub(crate) fn endpoint(&self) -> &str {
        self.endpoint.as_str()
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Instant>> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn http() -> Http {
        Http::new(Duration::from_secs(1), false, false).unwrap()
    }

    #[test]
    fn credentials_are_form_encoded_then_basic() {
        let config = IntrospectionConfig {
            client_id: "api one".into(),
            client_secret: "s:e/c".into(),
            ..IntrospectionConfig::default()
        };
        let i = Introspector::new(&config, "https://as.example/introspect", http()).unwrap();
        let expected = format!("Basic {}", STANDARD.encode("api+one:s%3Ae%2Fc"));
        assert_eq!(i.authorization.to_str().unwrap(), expected);
        assert!(i.authorization.is_sensitive());
        assert!(!format!("{config:?}").contains("s:e/c"));
    }

    #[test]
    fn config_is_checked() {
        let ok = IntrospectionConfig {
            client_id: "api".into(),
            client_secret: "secret".into(),
            ..IntrospectionConfig::default()
        };
        assert!(Introspector::new(&ok, "https://as/introspect", http()).is_ok());
        let long = IntrospectionConfig {
            cache_ttl: Duration::from_secs(11),
            ..ok.clone()
        };
        assert!(Introspector::new(&long, "https://as/introspect", http()).is_err());
        let anonymous = IntrospectionConfig {
            client_id: String::new(),
            ..ok.clone()
        };
        assert!(Introspector::new(&anonymous, "https://as/introspect", http()).is_err());
        assert!(Introspector::new(&ok, "http://as.example/introspect", http()).is_err());
    }
}
