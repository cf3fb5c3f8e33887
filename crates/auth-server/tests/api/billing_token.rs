//! The platform tenant and the service token the auth server calls billing
//! with: made at start, race-safe, and the token checks out with the
//! `connectauth-verify` SDK against the platform tenant's JWKS.
use std::sync::Arc;

use auth_server::billing_link::platform::{Platform, PLATFORM_DISPLAY_NAME};
use auth_server::keys::keyring::{KeyService, RotationPolicy};
use auth_server::keys::sealed::MasterKeys;
use auth_server::store::signing_keys::SigningKeyStore;
use auth_server::store::tenants::TenantStore;
use connectauth_verify::{Verifier, VerifierConfig};
use serde_json::json;
use service_kit::clock::{Clock, ManualClock, SharedClock, SystemClock};
use service_kit::db::Engine;
use service_kit::secret::Secret;

use crate::billing_fake::{billing_for, FakeBilling};
use crate::helpers::{assert_problem, spawn_app_on_known_port_with, TestApp};
use crate::oidc::{claims, header};

/// The server on a known port (so its issuer URL is real) calling `billing`.
async fn spawn_on_known_port(billing: &str) -> TestApp {
    spawn_app_on_known_port_with(
        Engine::Sqlite,
        &[
            ("AUTH_BILLING_URL", billing),
            ("AUTH_BILLING_REPORT_INTERVAL_SECS", "3600"),
        ],
    )
    .await
}

#[tokio::test]
async fn the_bearer_sent_to_billing_is_a_platform_token_for_billing() {
    let fake = FakeBilling::start().await;
    let app = spawn_on_known_port(&fake.url).await;
    let acme = app.tenant("acme", json!({})).await;
    // A signup page asks billing for the tenant's entitlements.
    assert_eq!(app.web().get("/t/acme/signup").await.status, 200);
    let asked = fake.requests();
    let request = asked
        .iter()
        .find(|r| r.path == format!("/v1/tenants/{}/entitlements", acme.id))
        .expect("entitlements asked");
    let bearer = request.bearer.clone().expect("a bearer token");

    let platform = TenantStore::new(app.database.pool.clone())
        .get_by_slug("platform")
        .await
        .expect("platform");
    assert_eq!(platform.display_name.as_ref(), PLATFORM_DISPLAY_NAME);
    let issuer = format!("{}/t/platform", app.address);
    let verifier = Verifier::new(VerifierConfig {
        issuer: issuer.clone(),
        audience: "connectauth-billing".into(),
        required_scopes: vec!["billing:usage".into(), "billing:entitlements".into()],
        ..VerifierConfig::default()
    })
    .await
    .expect("discovery of the platform tenant");
    let checked = verifier
        .verify(&bearer)
        .await
        .expect("the service token verifies");
    assert_eq!(checked.sub.as_deref(), Some("connectauth-auth-server"));
    assert_eq!(
        checked.client_id.as_deref(),
        Some("connectauth-auth-server")
    );
    assert!(checked.has_scope("billing:usage") && checked.has_scope("billing:entitlements"));

    let (h, c) = (header(&bearer), claims(&bearer));
    assert_eq!(
        (h["typ"].as_str(), h["alg"].as_str()),
        (Some("at+jwt"), Some("ES256"))
    );
    assert_eq!(c["iss"], issuer);
    assert_eq!(c["aud"], "connectauth-billing");
    assert_eq!(c["tid"], platform.id.to_string());
    assert_eq!(
        c["exp"].as_i64().zip(c["iat"].as_i64()).map(|(e, i)| e - i),
        Some(300)
    );
    assert!(c["jti"].is_string());

    // Another tenant's issuer refuses it.
    let other = Verifier::new(VerifierConfig {
        issuer: format!("{}/t/acme", app.address),
        audience: "connectauth-billing".into(),
        ..VerifierConfig::default()
    })
    .await
    .expect("discovery of acme");
    assert!(other.verify(&bearer).await.is_err());
}

#[tokio::test]
async fn the_service_token_is_cached_and_reminted_before_expiry() {
    let fake = FakeBilling::start().await;
    let app = spawn_on_known_port(&fake.url).await;
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let billing = billing_for(&app, &fake.url, clock.clone() as SharedClock);
    let first = billing.service_tokens.bearer().await.expect("token");
    clock.advance(200);
    assert_eq!(
        billing.service_tokens.bearer().await.expect("token"),
        first,
        "cached"
    );
    clock.advance(45); // 55 s left: reminted.
    let second = billing.service_tokens.bearer().await.expect("token");
    assert_ne!(second, first);
    assert_eq!(claims(&second)["iat"].as_i64(), Some(clock.now()));
}

#[tokio::test]
async fn the_platform_slug_is_reserved() {
    let fake = FakeBilling::start().await;
    let app = spawn_on_known_port(&fake.url).await;
    let before = app.tenant_count().await;
    let refused = app
        .create_tenant(&json!({"slug": "platform", "display_name": "Mine"}))
        .await;
    assert_problem(refused, 422, "invalid-input").await;
    assert_eq!(app.tenant_count().await, before);
}

/// Two instances starting on one PostgreSQL database make one platform
/// tenant with one active key per algorithm.
#[tokio::test]
async fn two_instances_make_one_platform_tenant() {
    let db = service_kit::testing::TestDb::new(Engine::Postgres).await;
    let database = service_kit::db::connect(&db.url, service_kit::db::PoolSettings::default())
        .await
        .expect("connect");
    service_kit::db::migrate(&database, &auth_server::MIGRATIONS)
        .await
        .expect("migrate");
    let master = Arc::new(
        MasterKeys::new(&[(
            "t1".to_owned(),
            Secret::new(service_kit::secret::generate().expect("csprng")),
        )])
        .expect("master"),
    );
    let platform = || {
        let keys = KeyService::new(
            SigningKeyStore::new(database.pool.clone()),
            master.clone(),
            Arc::new(SystemClock),
            RotationPolicy::default(),
        )
        .expect("keys");
        Platform::new(TenantStore::new(database.pool.clone()), Arc::new(keys))
    };
    let (one, two) = (platform(), platform());
    let (a, b) = tokio::join!(one.ensure(), two.ensure());
    let (a, b) = (a.expect("one"), b.expect("two"));
    assert_eq!(a, b);
    let store = TenantStore::new(database.pool.clone());
    assert_eq!(store.count().await.expect("count"), 1);
    let keys = SigningKeyStore::new(database.pool.clone());
    let listed = keys.list(a).await.expect("keys");
    let active = listed
        .iter()
        .filter(|k| k.state == auth_server::keys::signing::KeyState::Active)
        .count();
    assert_eq!(active, 2, "one active RS256 and one ES256 key");
}
