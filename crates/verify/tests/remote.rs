//! `Verifier` and `RemoteKeys` against a live (loopback) issuer: discovery,
//! JWKS caching and refetching, outages.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::issuer::{TestIssuer, DISCOVERY_PATH, JWKS_PATH, RFC8414_PATH};
use common::{new_ec_p256, AUDIENCE};
use connectauth_verify::remote::RemoteKeys;
use connectauth_verify::{
    RemoteError, RemoteKeysConfig, SetupError, TokenCacheConfig, ValidationError, Verifier,
    VerifierConfig, VerifyError,
};
use serde_json::json;

/// The key cache under test: the validated-token cache is off, so every
/// request goes to the keys (the cache has its own test below).
fn config(issuer: &TestIssuer, keys: RemoteKeysConfig) -> VerifierConfig {
    VerifierConfig {
        issuer: issuer.issuer.clone(),
        audience: AUDIENCE.into(),
        keys,
        token_cache: TokenCacheConfig {
            ttl: Duration::ZERO,
            ..TokenCacheConfig::default()
        },
        ..VerifierConfig::default()
    }
}

/// Fast refetching, so tests need not wait 30 s.
fn quick() -> RemoteKeysConfig {
    RemoteKeysConfig {
        min_refetch_interval: Duration::from_millis(300),
        ..RemoteKeysConfig::default()
    }
}

async fn verifier(issuer: &TestIssuer, keys: RemoteKeysConfig) -> Verifier {
    Verifier::new(config(issuer, keys)).await.unwrap()
}

fn is_unknown_key(r: &Result<connectauth_verify::Claims, VerifyError>) -> bool {
    matches!(
        r,
        Err(VerifyError::Invalid(ValidationError::UnknownKey { .. }))
    )
}

#[tokio::test]
async fn valid_token_is_accepted_and_keys_are_cached() {
    let k1 = new_ec_p256("k1");
    let issuer = TestIssuer::start(&[&k1]);
    let v = verifier(&issuer, RemoteKeysConfig::default()).await;
    assert_eq!(issuer.hits(DISCOVERY_PATH), 1);
    assert_eq!(issuer.jwks_fetches(), 0, "keys are fetched on first use");

    for _ in 0..5 {
        let claims = v.verify(&issuer.token(&k1)).await.unwrap();
        assert_eq!(claims.sub.as_deref(), Some("user-7"));
        assert_eq!(claims.get("tid"), Some(&json!("tenant-42")));
    }
    assert_eq!(issuer.jwks_fetches(), 1);
    assert_eq!(v.keys().fetch_count(), 1);
    assert_eq!(v.realm(), AUDIENCE);
}

#[tokio::test]
async fn refused_tokens_are_401_not_a_fetch() {
    let (k1, stranger) = (new_ec_p256("k1"), new_ec_p256("k1"));
    let issuer = TestIssuer::start(&[&k1]);
    let v = verifier(&issuer, quick()).await;
    let forged = issuer.token(&stranger); // right kid, wrong key
    let err = v.verify(&forged).await.unwrap_err();
    assert!(matches!(
        err,
        VerifyError::Invalid(ValidationError::InvalidSignature)
    ));
    assert_eq!(err.status_code(), 401);
    let other_aud = issuer.token_with(&k1, json!({"aud": "https://other.example"}));
    let err = v.verify(&other_aud).await.unwrap_err();
    assert!(matches!(
        err,
        VerifyError::Invalid(ValidationError::InvalidAudience)
    ));
    assert_eq!(issuer.jwks_fetches(), 1);
}

#[tokio::test]
async fn rotation_unknown_kid_refetches_once_then_passes() {
    let (k1, k2) = (new_ec_p256("k1"), new_ec_p256("k2"));
    let issuer = TestIssuer::start(&[&k1]);
    let v = verifier(&issuer, quick()).await;
    v.verify(&issuer.token(&k1)).await.unwrap();
    assert_eq!(issuer.jwks_fetches(), 1);

    issuer.publish(&[&k1, &k2]);
    tokio::time::sleep(Duration::from_millis(350)).await; // past the rate limit
    v.verify(&issuer.token(&k2)).await.unwrap();
    assert_eq!(issuer.jwks_fetches(), 2);
    // Both keys now cached: no more fetches.
    v.verify(&issuer.token(&k2)).await.unwrap();
    v.verify(&issuer.token(&k1)).await.unwrap();
    assert_eq!(issuer.jwks_fetches(), 2);

    // k1 retired and removed: its tokens are refused after the next fetch.
    issuer.publish(&[&k2]);
    let k3 = new_ec_p256("k3");
    issuer.publish(&[&k2, &k3]);
    tokio::time::sleep(Duration::from_millis(350)).await;
    v.verify(&issuer.token(&k3)).await.unwrap();
    assert_eq!(issuer.jwks_fetches(), 3);
    assert!(is_unknown_key(&v.verify(&issuer.token(&k1)).await));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn burst_of_new_kid_makes_one_fetch() {
    let (k1, k2) = (new_ec_p256("k1"), new_ec_p256("k2"));
    let issuer = TestIssuer::start(&[&k1]);
    let v = Arc::new(verifier(&issuer, quick()).await);
    v.verify(&issuer.token(&k1)).await.unwrap();
    issuer.publish(&[&k1, &k2]);
    issuer.set_jwks_delay(Duration::from_millis(200)); // keep the fetch in flight
    tokio::time::sleep(Duration::from_millis(350)).await;

    let token = issuer.token(&k2);
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (v, token) = (Arc::clone(&v), token.clone());
            tokio::spawn(async move { v.verify(&token).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(
        issuer.jwks_fetches(),
        2,
        "one initial fetch, one for the burst"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_requests_make_one_fetch() {
    let k1 = new_ec_p256("k1");
    let issuer = TestIssuer::start(&[&k1]);
    issuer.set_jwks_delay(Duration::from_millis(200));
    let v = Arc::new(verifier(&issuer, quick()).await);
    let token = issuer.token(&k1);
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (v, token) = (Arc::clone(&v), token.clone());
            tokio::spawn(async move { v.verify(&token).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(issuer.jwks_fetches(), 1);
}

#[tokio::test]
async fn forever_unknown_kid_is_rate_limited() {
    let (k1, ghost) = (new_ec_p256("k1"), new_ec_p256("ghost"));
    let issuer = TestIssuer::start(&[&k1]);
    // Default rate limit (30 s): the initial fetch is recent, so no token
    // with an unknown kid causes another.
    let ghost_token = issuer.token(&ghost);
    let v = verifier(&issuer, RemoteKeysConfig::default()).await;
    v.verify(&issuer.token(&k1)).await.unwrap();
    for _ in 0..20 {
        assert!(is_unknown_key(&v.verify(&ghost_token).await));
    }
    assert_eq!(issuer.jwks_fetches(), 1);

    // Short rate limit: at most one fetch per interval.
    let interval = Duration::from_millis(500);
    let keys = RemoteKeysConfig {
        min_refetch_interval: interval,
        ..RemoteKeysConfig::default()
    };
    let v = verifier(&issuer, keys).await;
    v.verify(&issuer.token(&k1)).await.unwrap();
    tokio::time::sleep(interval).await;
    for _ in 0..20 {
        assert!(is_unknown_key(&v.verify(&ghost_token).await));
    }
    assert_eq!(
        issuer.jwks_fetches(),
        1 + 2,
        "initial + one for the ghost kid"
    );
    tokio::time::sleep(interval).await;
    assert!(is_unknown_key(&v.verify(&ghost_token).await));
    assert_eq!(issuer.jwks_fetches(), 1 + 3);
}

#[tokio::test]
async fn cache_control_max_age_is_honoured() {
    let (k1, k2) = (new_ec_p256("k1"), new_ec_p256("k2"));
    let issuer = TestIssuer::start(&[&k1]);
    issuer.set_cache_control(Some("public, max-age=1"));
    let keys = RemoteKeysConfig {
        min_ttl: Duration::ZERO,
        ..quick()
    };
    let v = verifier(&issuer, keys).await;
    v.verify(&issuer.token(&k1)).await.unwrap();
    v.verify(&issuer.token(&k1)).await.unwrap();
    assert_eq!(issuer.jwks_fetches(), 1, "fresh for 1 s");

    // Expired: refetched, and the refetched set is what counts (k1 gone;
    // the unknown kid makes no second fetch within the rate limit).
    issuer.publish(&[&k2]);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(is_unknown_key(&v.verify(&issuer.token(&k1)).await));
    assert_eq!(issuer.jwks_fetches(), 2);
    v.verify(&issuer.token(&k2)).await.unwrap();
    assert_eq!(issuer.jwks_fetches(), 2);
}

#[tokio::test]
async fn max_age_is_clamped_to_min_ttl() {
    let k1 = new_ec_p256("k1");
    let issuer = TestIssuer::start(&[&k1]);
    issuer.set_cache_control(Some("no-cache"));
    let keys = RemoteKeysConfig {
        min_ttl: Duration::from_secs(60),
        min_refetch_interval: Duration::ZERO,
        ..RemoteKeysConfig::default()
    };
    let v = verifier(&issuer, keys).await;
    for _ in 0..3 {
        v.verify(&issuer.token(&k1)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(issuer.jwks_fetches(), 1);
}

#[tokio::test]
async fn issuer_down_serves_cached_keys_within_stale_window() {
    let k1 = new_ec_p256("k1");
    let issuer = TestIssuer::start(&[&k1]);
    issuer.set_cache_control(Some("max-age=1"));
    let keys = RemoteKeysConfig {
        min_ttl: Duration::ZERO,
        min_refetch_interval: Duration::ZERO,
        stale_window: Duration::from_millis(1500),
        ..RemoteKeysConfig::default()
    };
    let v = verifier(&issuer, keys).await;
    let token = issuer.token(&k1);
    v.verify(&token).await.unwrap();

    issuer.set_down(true);
    tokio::time::sleep(Duration::from_millis(1100)).await; // expired, within stale window
    v.verify(&token).await.unwrap();
    assert_eq!(issuer.jwks_fetches(), 2, "a refresh was tried");

    tokio::time::sleep(Duration::from_millis(1500)).await; // past the stale window
    let err = v.verify(&token).await.unwrap_err();
    assert!(matches!(err, VerifyError::KeysUnavailable(_)), "{err}");
    assert_eq!(err.status_code(), 503);
    assert_eq!(err.www_authenticate(Some("api")), None);

    issuer.set_down(false);
    v.verify(&issuer.token(&k1)).await.unwrap();
}

#[tokio::test]
async fn keys_never_fetched_is_503_and_retries_are_rate_limited() {
    let k1 = new_ec_p256("k1");
    let issuer = TestIssuer::start(&[&k1]);
    let v = verifier(&issuer, quick()).await;
    let token = issuer.token(&k1);
    issuer.set_down(true);
    for _ in 0..5 {
        let err = v.verify(&token).await.unwrap_err();
        assert_eq!(err.status_code(), 503, "{err}");
    }
    assert_eq!(issuer.jwks_fetches(), 1);
    issuer.set_down(false);
    tokio::time::sleep(Duration::from_millis(350)).await;
    v.verify(&token).await.unwrap();
    assert_eq!(issuer.jwks_fetches(), 2);
}

#[tokio::test]
async fn discovery_issuer_mismatch_is_refused() {
    let issuer = TestIssuer::start(&[]);
    issuer.set_discovery_issuer(&format!("{}/", issuer.issuer));
    let err = Verifier::new(config(&issuer, quick())).await.unwrap_err();
    assert!(
        matches!(err, SetupError::Remote(RemoteError::IssuerMismatch { .. })),
        "{err}"
    );
    assert_eq!(issuer.jwks_fetches(), 0);
}

#[tokio::test]
async fn issuer_down_at_start_fails_discovery() {
    let issuer = TestIssuer::start(&[]);
    issuer.set_down(true);
    let err = Verifier::new(config(&issuer, quick())).await.unwrap_err();
    assert!(
        matches!(
            err,
            SetupError::Remote(RemoteError::Status { status: 503, .. })
        ),
        "{err}"
    );
}

#[tokio::test]
async fn rfc8414_metadata_is_the_fallback() {
    let k1 = new_ec_p256("k1");
    let issuer = TestIssuer::start(&[&k1]);
    issuer.set_oidc_discovery_missing();
    let v = verifier(&issuer, quick()).await;
    assert_eq!(issuer.hits(RFC8414_PATH), 1);
    v.verify(&issuer.token(&k1)).await.unwrap();
}

#[tokio::test]
async fn jku_is_never_followed() {
    let (k1, attacker) = (new_ec_p256("k1"), new_ec_p256("evil"));
    let issuer = TestIssuer::start(&[&k1]);
    let v = verifier(&issuer, quick()).await;
    let mut header = common::header(jsonwebtoken::Algorithm::ES256, "evil");
    header.jku = Some(format!("{}/evil/jwks.json", issuer.base));
    let token = common::sign(&header, &issuer.claims(), &attacker.encoding);
    let err = v.verify(&token).await.unwrap_err();
    assert!(matches!(
        err,
        VerifyError::Invalid(ValidationError::DisallowedHeader("jku"))
    ));
    assert_eq!(issuer.hits("/evil/jwks.json"), 0);
    assert_eq!(issuer.jwks_fetches(), 1);
}

#[tokio::test]
async fn remote_keys_from_a_jwks_url() {
    let k1 = new_ec_p256("k1");
    let issuer = TestIssuer::start(&[&k1]);
    let keys = RemoteKeys::from_jwks_uri(&format!("{}{JWKS_PATH}", issuer.base), quick()).unwrap();
    assert_eq!(keys.fetch_count(), 0);
    let set = keys.current().await.unwrap();
    assert!(set.contains_kid("k1"));
    let again = keys.for_unknown_kid("k1").await.unwrap();
    assert!(again.contains_kid("k1"));
    assert_eq!(issuer.jwks_fetches(), 1);
    assert_eq!(issuer.hits(DISCOVERY_PATH), 0);

    let discovered = RemoteKeys::from_issuer(&issuer.issuer, quick())
        .await
        .unwrap();
    assert_eq!(discovered.jwks_uri(), keys.jwks_uri());

    // A static jwks_uri in the verifier skips discovery.
    let v = Verifier::new(VerifierConfig {
        jwks_uri: Some(keys.jwks_uri().to_owned()),
        ..config(&issuer, quick())
    })
    .await
    .unwrap();
    v.verify(&issuer.token(&k1)).await.unwrap();
    assert_eq!(issuer.hits(DISCOVERY_PATH), 1);
}
