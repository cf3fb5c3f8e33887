//! Introspection mode: tokens that pass local validation are confirmed
//! with the issuer (RFC 7662).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::issuer::{TestIssuer, CLIENT_ID, CLIENT_SECRET, INTROSPECT_PATH};
use common::{new_ec_p256, AUDIENCE};
use connectauth_verify::{
    IntrospectionConfig, RemoteError, RemoteKeysConfig, SetupError, ValidationError, Verifier,
    VerifierConfig, VerifyError,
};

fn config(issuer: &TestIssuer, introspection: IntrospectionConfig) -> VerifierConfig {
    VerifierConfig {
        issuer: issuer.issuer.clone(),
        audience: AUDIENCE.into(),
        keys: RemoteKeysConfig {
            min_refetch_interval: Duration::from_millis(300),
            ..RemoteKeysConfig::default()
        },
        introspection: Some(introspection),
        ..VerifierConfig::default()
    }
}

fn client() -> IntrospectionConfig {
    IntrospectionConfig {
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        ..IntrospectionConfig::default()
    }
}

#[tokio::test]
async fn active_is_accepted_inactive_is_refused() {
    let k1 = new_ec_p256("k1");
    let issuer = TestIssuer::start(&[&k1]);
    let v = Verifier::new(config(&issuer, client())).await.unwrap();

    let token = issuer.token(&k1);
    v.verify(&token).await.unwrap();
    v.verify(&token).await.unwrap();
    assert_eq!(issuer.hits(INTROSPECT_PATH), 2, "no cache by default");

    issuer.revoke(&token);
    let err = v.verify(&token).await.unwrap_err();
    assert!(matches!(err, VerifyError::Inactive));
    assert_eq!(err.status_code(), 401);
    assert!(err
        .www_authenticate(None)
        .unwrap()
        .contains(r#"error="invalid_token""#));
}

#[tokio::test]
async fn locally_invalid_tokens_are_not_introspected() {
    let (k1, stranger) = (new_ec_p256("k1"), new_ec_p256("k1"));
    let issuer = TestIssuer::start(&[&k1]);
    let v = Verifier::new(config(&issuer, client())).await.unwrap();
    let err = v.verify(&issuer.token(&stranger)).await.unwrap_err();
    assert!(matches!(
        err,
        VerifyError::Invalid(ValidationError::InvalidSignature)
    ));
    assert_eq!(issuer.hits(INTROSPECT_PATH), 0);
}

#[tokio::test]
async fn positive_answers_are_cached_briefly() {
    let k1 = new_ec_p256("k1");
    let issuer = TestIssuer::start(&[&k1]);
    let cached = IntrospectionConfig {
        cache_ttl: Duration::from_secs(1),
        ..client()
    };
    let v = Verifier::new(config(&issuer, cached)).await.unwrap();
    let token = issuer.token(&k1);
    v.verify(&token).await.unwrap();
    issuer.revoke(&token);
    v.verify(&token).await.unwrap(); // still cached
    assert_eq!(issuer.hits(INTROSPECT_PATH), 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(matches!(v.verify(&token).await, Err(VerifyError::Inactive)));
    assert_eq!(issuer.hits(INTROSPECT_PATH), 2);
}

#[tokio::test]
async fn introspection_failure_fails_closed_with_503() {
    let k1 = new_ec_p256("k1");
    let issuer = TestIssuer::start(&[&k1]);
    let wrong_secret = IntrospectionConfig {
        client_secret: "wrong".into(),
        ..client()
    };
    let v = Verifier::new(config(&issuer, wrong_secret)).await.unwrap();
    let err = v.verify(&issuer.token(&k1)).await.unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::IntrospectionUnavailable(RemoteError::Status { status: 401, .. })
        ),
        "{err}"
    );
    assert_eq!(err.status_code(), 503);
}

#[tokio::test]
async fn over_long_cache_is_refused() {
    let issuer = TestIssuer::start(&[]);
    let long = IntrospectionConfig {
        cache_ttl: Duration::from_secs(60),
        ..client()
    };
    let err = Verifier::new(config(&issuer, long)).await.unwrap_err();
    assert!(matches!(
        err,
        SetupError::Remote(RemoteError::InvalidConfig(_))
    ));
}
