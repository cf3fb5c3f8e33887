//! A short-lived cache of tokens that passed validation, so an API that sees
//! the same access token on every request pays the signature check once per
//! token rather than once per request.
//!
//! Keyed by the token's SHA-256 (the token itself is never stored); an entry
//! lives at most `ttl` and never past the token's `exp`. The trade-off: a
//! token whose signing key is revoked stays accepted for up to `ttl` — of the
//! same order as the JWKS refetch interval that bounds offline validation
//! anyway. Introspection, when configured, still runs on every request.
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use crate::Claims;

/// Settings of the validated-token cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenCacheConfig {
    /// How long a validated token is remembered. Default 30 s; zero turns
    /// the cache off.
    pub ttl: Duration,
    /// Most tokens remembered at once. Default 10 000.
    pub max_entries: usize,
}

impl Default for TokenCacheConfig {
    fn default() -> Self {
        TokenCacheConfig {
            ttl: Duration::from_secs(30),
            max_entries: 10_000,
        }
    }
}

struct Entry {
    claims: Claims,
    until: Instant,
}

pub(crate) struct TokenCache {
    config: TokenCacheConfig,
    entries: Mutex<HashMap<[u8; 32], Entry>>,
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl TokenCache {
    pub(crate) fn new(config: TokenCacheConfig) -> Self {
        Self {
            config,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn enabled(&self) -> bool {
        !self.config.ttl.is_zero() && self.config.max_entries > 0
    }

    pub(crate) fn get(&self, token: &str) -> Option<Claims> {
        if !self.enabled() {
            return None;
        }
        let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = entries.get(&key)?;
        (entry.until > Instant::now() && entry.claims.exp > unix_now())
            .then(|| entry.claims.clone())
    }

    pub(crate) fn put(&self, token: &str, claims: &Claims) {
        if !self.enabled() {
            return;
        }
        let left = u64::try_from(claims.exp - unix_now()).unwrap_or(0);
        let life = self.config.ttl.min(Duration::from_secs(left));
        if life.is_zero() {
            return;
        }
        let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= self.config.max_entries {
            let now = Instant::now();
            entries.retain(|_, e| e.until > now);
            if entries.len() >= self.config.max_entries {
                entries.clear();
            }
        }
        entries.insert(
            key,
            Entry {
                claims: claims.clone(),
                until: Instant::now() + life,
            },
        );
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Claims {
        Claims {
            sub: Some("u".into()),
            iss: "i".into(),
            aud: vec!["a".into()],
            exp,
            nbf: None,
            iat: None,
            jti: None,
            client_id: None,
            scope: Vec::new(),
            raw: serde_json::Map::new(),
        }
    }

    #[test]
    fn remembers_until_ttl_or_exp_whichever_first() {
        let cache = TokenCache::new(TokenCacheConfig::default());
        cache.put("t1", &claims(unix_now() + 3600));
        assert!(cache.get("t1").is_some());
        assert!(cache.get("t2").is_none());
        cache.put("expired", &claims(unix_now() - 1));
        assert!(cache.get("expired").is_none());
    }

    #[test]
    fn zero_ttl_turns_it_off_and_size_is_bounded() {
        let off = TokenCache::new(TokenCacheConfig {
            ttl: Duration::ZERO,
            ..TokenCacheConfig::default()
        });
        off.put("t", &claims(unix_now() + 60));
        assert!(off.get("t").is_none());
        let small = TokenCache::new(TokenCacheConfig {
            ttl: Duration::from_secs(60),
            max_entries: 2,
        });
        for t in ["a", "b", "c"] {
            small.put(t, &claims(unix_now() + 60));
        }
        assert!(small.entries.lock().unwrap().len() <= 2);
        assert!(small.get("c").is_some());
    }
}
