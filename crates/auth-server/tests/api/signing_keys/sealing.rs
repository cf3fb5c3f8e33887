//! Private keys are sealed under the master key, bound to their row, and
//! stay usable when resealed under a new master key.
use std::sync::Arc;

use auth_server::domain::signing_alg::SigningAlg;
use auth_server::keys::keyring::owner;
use auth_server::keys::sealed::MasterKeys;
use serde_json::{json, Map, Value};
use service_kit::both_engines;
use service_kit::db::Engine;
use sqlx::Row;

use super::{kit_with, ring, service, verify};

async fn private_keys_are_sealed(engine: Engine) {
    let master = ring(&["k1"]);
    let opener = MasterKeys::new(&master).expect("keys");
    let kit = kit_with(engine, master).await;
    let t = kit.tenant("acme", json!({})).await;
    kit.keys
        .ensure_keys(t.id, &[SigningAlg::EdDSA])
        .await
        .expect("ensured");
    let rows = sqlx::query("SELECT kid, private_sealed, public_jwk FROM signing_keys")
        .fetch_all(&kit.database.pool)
        .await
        .expect("rows");
    assert_eq!(rows.len(), 6);
    for row in rows {
        let kid: String = row.get("kid");
        let sealed: String = row.get("private_sealed");
        let public: String = row.get("public_jwk");
        assert!(sealed.starts_with("v1.k1."), "{sealed}");
        let der = opener.open(&sealed, &owner(t.id, &kid)).expect("opens");
        // Bound to its row: the same blob under another kid does not open.
        assert!(opener.open(&sealed, &owner(t.id, "other")).is_err());
        let private = private_jwk(&der);
        for member in ["d", "p", "q", "dp", "dq", "qi"] {
            if let Some(Value::String(secret)) = private.get(member) {
                assert!(!sealed.contains(secret.as_str()), "{member} in clear");
                assert!(
                    !public.contains(secret.as_str()),
                    "{member} in the public JWK"
                );
            }
        }
        assert!(private.contains_key("d"));
        let der_text = base64_url(&der);
        assert!(!sealed.contains(&der_text[..40]));
    }
}
both_engines!(keys_private_halves_are_sealed, private_keys_are_sealed);

fn private_jwk(der: &[u8]) -> Map<String, Value> {
    use josekit::jwk::alg::{ec::EcKeyPair, ed::EdKeyPair, rsa::RsaKeyPair};
    let jwk = RsaKeyPair::from_der(der)
        .map(|k| k.to_jwk_private_key())
        .or_else(|_| EcKeyPair::from_der(der, None).map(|k| k.to_jwk_private_key()))
        .or_else(|_| EdKeyPair::from_der(der).map(|k| k.to_jwk_private_key()))
        .expect("a private key");
    jwk.as_ref().clone()
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

async fn reseal_keeps_keys_usable(engine: Engine) {
    let old_ring = ring(&["k1"]);
    let kit = kit_with(engine, old_ring.clone()).await;
    let t = kit.tenant("acme", json!({})).await;
    kit.keys.ensure_keys(t.id, &[]).await.expect("ensured");
    let (before, kid) = kit.token(&t, SigningAlg::ES256).await;
    let mut new_ring = ring(&["k2"]);
    new_ring.extend(old_ring);
    let new_master = MasterKeys::new(&new_ring).expect("keys");
    assert_eq!(kit.keys.reseal_all(&new_master).await.expect("resealed"), 4);
    let sealed: Vec<String> = sqlx::query("SELECT private_sealed FROM signing_keys")
        .fetch_all(&kit.database.pool)
        .await
        .expect("rows")
        .iter()
        .map(|r| r.get("private_sealed"))
        .collect();
    assert!(sealed.iter().all(|s| s.starts_with("v1.k2.")), "{sealed:?}");
    // Resealing again is harmless: everything opens with the new key.
    assert_eq!(kit.keys.reseal_all(&new_master).await.expect("again"), 4);
    // A service that knows only the new master key signs with the same keys.
    let only_new = Arc::new(MasterKeys::new(&new_ring[..1]).expect("keys"));
    let fresh = service(&kit.database, only_new, Arc::clone(&kit.clock));
    let key = fresh
        .signer(t.id, SigningAlg::ES256)
        .await
        .expect("unseals");
    assert_eq!(key.kid(), kid);
    let claims = json!({"sub": "u2"});
    let after = key
        .sign_jwt("at+jwt", claims.as_object().expect("object"))
        .expect("signed");
    let jwks = fresh.jwks(t.id).await.expect("jwks");
    verify(&before, &jwks).expect("old token verifies");
    assert_eq!(
        verify(&after, &jwks).expect("verifies").subject(),
        Some("u2")
    );
    fresh
        .signer(t.id, SigningAlg::RS256)
        .await
        .expect("rsa unseals");
}
both_engines!(keys_reseal_under_new_master, reseal_keeps_keys_usable);
