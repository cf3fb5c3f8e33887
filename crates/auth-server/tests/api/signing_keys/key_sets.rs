//! A tenant's key set: made once per algorithm, published as public halves
//! only, made on the first read for a tenant without keys, never shared
//! between tenants; the service keeps the policy it was given.
use std::sync::Arc;

use auth_server::domain::signing_alg::SigningAlg;
use auth_server::keys::keyring::{KeyService, KeyringError, RotationPolicy};
use auth_server::keys::sealed::MasterKeys;
use auth_server::keys::signing::KeyState;
use auth_server::store::signing_keys::SigningKeyStore;
use auth_server::store::StoreError;
use serde_json::json;
use service_kit::both_engines;
use service_kit::clock::ManualClock;
use service_kit::db::Engine;
use service_kit::testing::TestDb;

use super::{connect, jwks_kids, kit, ring, verify, DAY, START};

async fn ensure_keys_is_idempotent(engine: Engine) {
    let kit = kit(engine).await;
    let t = kit.tenant("acme", json!({})).await;
    kit.keys.ensure_keys(t.id, &[]).await.expect("ensured");
    let first = kit.keys.list(t.id).await.expect("list");
    kit.keys.ensure_keys(t.id, &[]).await.expect("again");
    assert_eq!(kit.keys.list(t.id).await.expect("list"), first);
    let mut per_alg: Vec<_> = first.iter().map(|k| (k.alg, k.state)).collect();
    per_alg.sort_by_key(|(a, s)| (a.as_str(), s.as_str()));
    assert_eq!(
        per_alg,
        [
            (SigningAlg::ES256, KeyState::Active),
            (SigningAlg::ES256, KeyState::Next),
            (SigningAlg::RS256, KeyState::Active),
            (SigningAlg::RS256, KeyState::Next),
        ]
    );
    // A signer asked for an algorithm the tenant lacks makes its keys once.
    let eddsa = kit
        .keys
        .signer(t.id, SigningAlg::EdDSA)
        .await
        .expect("made");
    assert_eq!(kit.keys.list(t.id).await.expect("list").len(), 6);
    assert!(kit
        .kids(&t, KeyState::Active)
        .await
        .contains(&eddsa.kid().to_owned()));
    kit.keys
        .ensure_keys(t.id, &[SigningAlg::EdDSA, SigningAlg::EdDSA])
        .await
        .expect("eddsa");
    kit.keys
        .ensure_keys(t.id, &[SigningAlg::EdDSA])
        .await
        .expect("eddsa again");
    assert_eq!(kit.keys.list(t.id).await.expect("list").len(), 6);
    for alg in SigningAlg::ALL {
        let key = kit.keys.signer(t.id, alg).await.expect("signer");
        assert_eq!(key.alg(), alg);
        assert!(kit
            .kids(&t, KeyState::Active)
            .await
            .contains(&key.kid().to_owned()));
    }
    let ghost = auth_server::domain::tenant::TenantId::new();
    assert!(matches!(
        kit.keys.ensure_keys(ghost, &[]).await,
        Err(KeyringError::Store(StoreError::TenantNotFound))
    ));
}
both_engines!(keys_ensure_is_idempotent, ensure_keys_is_idempotent);

async fn jwks_publishes_public_halves(engine: Engine) {
    let kit = kit(engine).await;
    let t = kit.tenant("acme", json!({})).await;
    kit.keys
        .ensure_keys(t.id, &[SigningAlg::EdDSA])
        .await
        .expect("ensured");
    let jwks = kit.keys.jwks(t.id).await.expect("jwks");
    let mut published = jwks_kids(&jwks);
    let mut expected = kit.kids(&t, KeyState::Active).await;
    expected.extend(kit.kids(&t, KeyState::Next).await);
    published.sort();
    expected.sort();
    assert_eq!(published, expected);
    for key in jwks["keys"].as_array().expect("keys") {
        assert_eq!(key["use"], "sig", "{key}");
        assert!(SigningAlg::parse(key["alg"].as_str().expect("alg")).is_ok());
        for private in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
            assert!(key.get(private).is_none(), "{private} published: {key}");
        }
    }
    let (jwt, _) = kit.token(&t, SigningAlg::EdDSA).await;
    assert_eq!(verify(&jwt, &jwks).expect("verifies").subject(), Some("u1"));
}
both_engines!(keys_jwks_is_public, jwks_publishes_public_halves);

async fn a_tenant_without_keys_gets_them_on_its_first_read(engine: Engine) {
    // Tenants made before keys were made at creation (by the CLI or the
    // demo) hold no keys: the first read of their key set makes the
    // default algorithms' keys and publishes them.
    let kit = kit(engine).await;
    let t = kit.tenant("acme", json!({})).await;
    assert!(kit.keys.list(t.id).await.expect("list").is_empty());
    let set = kit.keys.published(t.id).await.expect("published");
    assert_eq!(set.algs(), [SigningAlg::RS256, SigningAlg::ES256]);
    let mut published = jwks_kids(&serde_json::from_slice(set.jwks()).expect("json"));
    let mut expected = kit.kids(&t, KeyState::Active).await;
    expected.extend(kit.kids(&t, KeyState::Next).await);
    assert_eq!(
        expected.len(),
        4,
        "an active and a next key per default algorithm"
    );
    published.sort();
    expected.sort();
    assert_eq!(published, expected);
    let (jwt, _) = kit.token(&t, SigningAlg::ES256).await;
    let jwks = kit.keys.jwks(t.id).await.expect("jwks");
    assert!(verify(&jwt, &jwks).is_ok());
}
both_engines!(
    keys_made_on_first_read,
    a_tenant_without_keys_gets_them_on_its_first_read
);

async fn the_service_keeps_the_policy_it_was_given(engine: Engine) {
    // The JWKS handler's Cache-Control comes from the service's policy.
    let test_db = TestDb::new(engine).await;
    let database = connect(&test_db.url).await;
    let policy = RotationPolicy {
        period_secs: 10 * DAY,
        retired_keep_secs: 3 * DAY,
        jwks_max_age_secs: 2 * 60 * 60,
    };
    assert_ne!(policy, RotationPolicy::default());
    let keys = KeyService::new(
        SigningKeyStore::new(database.pool.clone()),
        Arc::new(MasterKeys::new(&ring(&["k1"])).expect("master keys")),
        Arc::new(ManualClock::new(START)),
        policy,
    )
    .expect("valid policy");
    assert_eq!(*keys.policy(), policy);
}
both_engines!(
    keys_policy_is_kept,
    the_service_keeps_the_policy_it_was_given
);

async fn tenants_never_share_keys(engine: Engine) {
    let kit = kit(engine).await;
    let a = kit.tenant("tenant-a", json!({})).await;
    let b = kit.tenant("tenant-b", json!({})).await;
    for t in [&a, &b] {
        kit.keys
            .ensure_keys(t.id, &[SigningAlg::EdDSA])
            .await
            .expect("ensured");
    }
    let a_kids = kit.jwks_kids(&a).await;
    let b_kids = kit.jwks_kids(&b).await;
    assert!(
        a_kids.iter().all(|k| !b_kids.contains(k)),
        "{a_kids:?} / {b_kids:?}"
    );
    for alg in SigningAlg::ALL {
        let (jwt, kid) = kit.token(&a, alg).await;
        assert!(a_kids.contains(&kid) && !b_kids.contains(&kid));
        let b_jwks = kit.keys.jwks(b.id).await.expect("jwks");
        assert!(verify(&jwt, &b_jwks).is_err());
        // Another tenant's kid is unknown, not revocable.
        assert!(matches!(
            kit.keys.revoke(b.id, &kid).await,
            Err(KeyringError::KeyNotFound)
        ));
    }
    assert_eq!(kit.jwks_kids(&a).await, a_kids);
}
both_engines!(keys_tenant_isolation, tenants_never_share_keys);
