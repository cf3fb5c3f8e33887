//! The issuer's keys over HTTP: its discovery document
//! (`{issuer}/.well-known/openid-configuration`) names `jwks_uri`, which is
//! fetched and cached. A stand-in for `connectauth-verify`'s own fetcher:
//! delete this file when `http/auth.rs` moves to the crate's `Verifier`.
use std::sync::{PoisonError, RwLock};
use std::time::{Duration, Instant};

use connectauth_verify::KeySet;
use serde_json::Value;

use super::auth::KeySource;

/// Keys are refetched when older than this, so retired keys drop out.
const MAX_AGE: Duration = Duration::from_secs(300);
/// At most one fetch per interval, whatever tokens arrive: a flood of
/// made-up `kid`s must not become a flood of requests to the issuer.
const MIN_INTERVAL: Duration = Duration::from_secs(10);
const TIMEOUT: Duration = Duration::from_secs(5);
const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

pub struct RemoteKeySource {
    issuer: String,
    min_interval: Duration,
    http: reqwest::Client,
    cache: RwLock<Cache>,
    /// One fetch at a time; the others wait for its result.
    fetching: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct Cache {
    keys: KeySet,
    fetched_at: Option<Instant>,
    attempted_at: Option<Instant>,
}

#[derive(Debug, thiserror::Error)]
enum FetchError {
    #[error("{url}: {source}")]
    Http {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("{0}: larger than {MAX_DOCUMENT_BYTES} bytes")]
    TooLarge(String),
    #[error("{0}: not the expected JSON document")]
    Document(String),
    #[error("discovery names issuer {found:?}, not {expected:?}")]
    IssuerMismatch { found: String, expected: String },
    #[error("jwks_uri {0:?} is not https like the issuer")]
    InsecureJwksUri(String),
}

impl RemoteKeySource {
    pub fn new(issuer: &str) -> Self {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("connect-people-api/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Self {
            issuer: issuer.to_owned(),
            min_interval: MIN_INTERVAL,
            http,
            cache: RwLock::new(Cache::default()),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    #[cfg(test)]
    fn with_min_interval(mut self, interval: Duration) -> Self {
        self.min_interval = interval;
        self
    }

    fn cached(&self) -> (KeySet, bool, bool) {
        let cache = self.cache.read().unwrap_or_else(PoisonError::into_inner);
        let fresh = cache.fetched_at.is_some_and(|t| t.elapsed() < MAX_AGE);
        let may_fetch = cache
            .attempted_at
            .is_none_or(|t| t.elapsed() >= self.min_interval);
        (cache.keys.clone(), fresh, may_fetch)
    }

    /// Fetches unless someone just did; answers the keys held afterwards.
    /// `even_if_fresh` (an unknown `kid`) also waits for a fetch under way,
    /// which may bring that key; a merely stale cache is served meanwhile.
    async fn refresh(&self, even_if_fresh: bool) -> KeySet {
        let _one_at_a_time = match self.fetching.try_lock() {
            Ok(guard) => guard,
            Err(_) => {
                let (keys, ..) = self.cached();
                if !even_if_fresh && !keys.is_empty() {
                    return keys;
                }
                self.fetching.lock().await
            }
        };
        let (keys, fresh, may_fetch) = self.cached();
        if (fresh && !even_if_fresh) || !may_fetch {
            return keys;
        }
        let started = Instant::now();
        let fetched = self.fetch().await;
        let mut cache = self.cache.write().unwrap_or_else(PoisonError::into_inner);
        cache.attempted_at = Some(started);
        match fetched {
            Ok(keys) => {
                if keys.is_empty() {
                    tracing::warn!(issuer = %self.issuer, "the issuer publishes no usable key");
                }
                cache.keys = keys;
                cache.fetched_at = Some(started);
            }
            // Keep the keys we have: an issuer briefly down must not log everyone out.
            Err(e) => {
                tracing::warn!(issuer = %self.issuer, error = %e, "cannot fetch the issuer's keys")
            }
        }
        cache.keys.clone()
    }

    async fn fetch(&self) -> Result<KeySet, FetchError> {
        let discovery_url = format!(
            "{}/.well-known/openid-configuration",
            self.issuer.trim_end_matches('/')
        );
        let discovery: Value = serde_json::from_slice(&self.get(&discovery_url).await?)
            .map_err(|_| FetchError::Document(discovery_url.clone()))?;
        // OIDC Discovery §4.3: the document must name the issuer we asked.
        let found = discovery
            .get("issuer")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if found != self.issuer {
            return Err(FetchError::IssuerMismatch {
                found: found.to_owned(),
                expected: self.issuer.clone(),
            });
        }
        let jwks_uri = discovery
            .get("jwks_uri")
            .and_then(Value::as_str)
            .ok_or_else(|| FetchError::Document(discovery_url.clone()))?;
        if self.issuer.starts_with("https:") && !jwks_uri.starts_with("https:") {
            return Err(FetchError::InsecureJwksUri(jwks_uri.to_owned()));
        }
        let body = self.get(jwks_uri).await?;
        let text =
            std::str::from_utf8(&body).map_err(|_| FetchError::Document(jwks_uri.to_owned()))?;
        KeySet::from_jwks_json(text).map_err(|_| FetchError::Document(jwks_uri.to_owned()))
    }

    async fn get(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        let http = |source| FetchError::Http {
            url: url.to_owned(),
            source,
        };
        let mut resp = self
            .http
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(http)?;
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(http)? {
            if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                return Err(FetchError::TooLarge(url.to_owned()));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

#[async_trait::async_trait]
impl KeySource for RemoteKeySource {
    async fn keys(&self) -> KeySet {
        match self.cached() {
            (keys, true, _) => keys,
            _ => self.refresh(false).await,
        }
    }

    async fn refresh_for_unknown_kid(&self) {
        self.refresh(true).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    use actix_web::{web, App, HttpResponse, HttpServer};
    use serde_json::json;

    use super::*;

    /// A P-256 public key as an issuer publishes it (from RFC 7515 A.3).
    fn jwk(kid: &str) -> Value {
        json!({"kty": "EC", "crv": "P-256", "kid": kid, "use": "sig", "alg": "ES256",
               "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
               "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})
    }

    struct FakeIssuer {
        base: String,
        keys: Arc<Mutex<Vec<Value>>>,
        fetches: Arc<AtomicUsize>,
    }

    fn fake_issuer() -> FakeIssuer {
        let keys = Arc::new(Mutex::new(vec![jwk("k1")]));
        let fetches = Arc::new(AtomicUsize::new(0));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}/t/demo", listener.local_addr().expect("addr"));
        let (k, f, issuer) = (keys.clone(), fetches.clone(), base.clone());
        let server = HttpServer::new(move || {
            let (k, f, issuer) = (k.clone(), f.clone(), issuer.clone());
            App::new()
                .route(
                    "/t/demo/.well-known/openid-configuration",
                    web::get().to(move || {
                        let issuer = issuer.clone();
                        async move {
                            HttpResponse::Ok().json(json!({
                                "issuer": issuer, "jwks_uri": format!("{issuer}/jwks.json")
                            }))
                        }
                    }),
                )
                .route(
                    "/t/demo/jwks.json",
                    web::get().to(move || {
                        f.fetch_add(1, Ordering::SeqCst);
                        let keys = k.lock().map(|k| k.clone()).unwrap_or_default();
                        async move { HttpResponse::Ok().json(json!({ "keys": keys })) }
                    }),
                )
        })
        .workers(1)
        .listen(listener)
        .expect("listen")
        .run();
        tokio::spawn(server);
        FakeIssuer {
            base,
            keys,
            fetches,
        }
    }

    #[actix_web::test]
    async fn keys_are_fetched_once_then_refreshed_for_a_new_kid() {
        let issuer = fake_issuer();
        let source =
            RemoteKeySource::new(&issuer.base).with_min_interval(Duration::from_millis(200));
        assert!(source.keys().await.contains_kid("k1"));
        assert!(source.keys().await.contains_kid("k1"));
        assert_eq!(issuer.fetches.load(Ordering::SeqCst), 1, "cached");

        issuer.keys.lock().expect("lock").push(jwk("k2"));
        source.refresh_for_unknown_kid().await;
        assert!(!source.keys().await.contains_kid("k2"), "rate-limited");
        tokio::time::sleep(Duration::from_millis(250)).await;
        source.refresh_for_unknown_kid().await;
        assert!(source.keys().await.contains_kid("k2"));
        assert_eq!(issuer.fetches.load(Ordering::SeqCst), 2);
    }

    #[actix_web::test]
    async fn a_discovery_document_of_another_issuer_is_refused() {
        let issuer = fake_issuer();
        let source = RemoteKeySource::new(&format!("{}/", issuer.base));
        assert!(source.keys().await.is_empty());
        let unreachable = RemoteKeySource::new("http://127.0.0.1:9/t/demo");
        assert!(unreachable.keys().await.is_empty());
    }
}
