//! Rotation on demand keeps old tokens valid until the retired key leaves
//! the JWKS; revocation drops a key at once.
use auth_server::domain::signing_alg::SigningAlg;
use auth_server::keys::keyring::KeyringError;
use auth_server::keys::signing::KeyState;
use serde_json::json;
use service_kit::both_engines;
use service_kit::db::Engine;

use super::{jwks_kids, kit, verify};

async fn tokens_outlive_rotation_then_key_leaves(engine: Engine) {
    let kit = kit(engine).await;
    let t = kit.tenant("acme", json!({})).await;
    kit.keys.ensure_keys(t.id, &[]).await.expect("ensured");
    let (jwt, old_kid) = kit.token(&t, SigningAlg::ES256).await;
    let next_kid = kit.kids(&t, KeyState::Next).await;
    // A next key younger than the JWKS max-age may be missing from caches.
    assert!(matches!(
        kit.keys.rotate(t.id, SigningAlg::ES256).await,
        Err(KeyringError::NextTooYoung { .. })
    ));
    kit.clock.advance(kit.keys.policy().jwks_max_age_secs);
    let done = kit
        .keys
        .rotate(t.id, SigningAlg::ES256)
        .await
        .expect("rotated");
    assert_eq!(done.retired, old_kid);
    assert!(next_kid.contains(&done.active));
    let signer = kit
        .keys
        .signer(t.id, SigningAlg::ES256)
        .await
        .expect("signer");
    assert_eq!(signer.kid(), done.active);
    assert_eq!(kit.kids(&t, KeyState::Retired).await, [old_kid.as_str()]);
    let jwks = kit.keys.jwks(t.id).await.expect("jwks");
    assert!(jwks_kids(&jwks).contains(&old_kid));
    assert_eq!(
        verify(&jwt, &jwks).expect("old token verifies").subject(),
        Some("u1")
    );
    let (fresh, _) = kit.token(&t, SigningAlg::ES256).await;
    verify(&fresh, &jwks).expect("new token verifies");

    kit.clock.advance(kit.keys.policy().retired_keep_secs - 1);
    assert!(kit.jwks_kids(&t).await.contains(&old_kid));
    assert_eq!(kit.keys.purge_removed().await.expect("purge"), 0);
    kit.clock.advance(1);
    assert!(!kit.jwks_kids(&t).await.contains(&old_kid));
    assert_eq!(kit.keys.purge_removed().await.expect("purge"), 1);
    assert!(kit.kids(&t, KeyState::Retired).await.is_empty());
    let jwks = kit.keys.jwks(t.id).await.expect("jwks");
    assert_eq!(
        verify(&jwt, &jwks).err().as_deref(),
        Some("kid not published")
    );
}
both_engines!(
    keys_rotation_keeps_old_tokens_valid,
    tokens_outlive_rotation_then_key_leaves
);

async fn revoke_drops_a_key_at_once(engine: Engine) {
    let kit = kit(engine).await;
    let t = kit.tenant("acme", json!({})).await;
    kit.keys.ensure_keys(t.id, &[]).await.expect("ensured");
    let (jwt, active) = kit.token(&t, SigningAlg::RS256).await;
    let next = kit.keys.list(t.id).await.expect("list");
    let next = next
        .iter()
        .find(|k| k.alg == SigningAlg::RS256 && k.state == KeyState::Next)
        .expect("next")
        .kid
        .clone();
    kit.keys.revoke(t.id, &active).await.expect("revoked");
    let jwks = kit.keys.jwks(t.id).await.expect("jwks");
    assert!(!jwks_kids(&jwks).contains(&active));
    assert_eq!(
        verify(&jwt, &jwks).err().as_deref(),
        Some("kid not published")
    );
    // The next key signs at once, and a new next key stands behind it.
    let signer = kit
        .keys
        .signer(t.id, SigningAlg::RS256)
        .await
        .expect("signer");
    assert_eq!(signer.kid(), next);
    let keys = kit.keys.list(t.id).await.expect("list");
    let rs = |state| {
        keys.iter()
            .filter(move |k| k.alg == SigningAlg::RS256 && k.state == state)
    };
    assert_eq!(rs(KeyState::Active).count(), 1);
    assert_eq!(rs(KeyState::Next).count(), 1);
    assert_eq!(
        rs(KeyState::Revoked)
            .map(|k| k.kid.clone())
            .collect::<Vec<_>>(),
        [active.as_str()]
    );
    // Revoking a next key replaces it; revoking twice is harmless.
    let new_next = rs(KeyState::Next).next().expect("next").kid.clone();
    kit.keys.revoke(t.id, &new_next).await.expect("revoked");
    kit.keys.revoke(t.id, &new_next).await.expect("again");
    assert!(!kit.jwks_kids(&t).await.contains(&new_next));
    assert_eq!(kit.keys.list(t.id).await.expect("list").len(), 6);
    assert!(matches!(
        kit.keys.revoke(t.id, "no-such-kid").await,
        Err(KeyringError::KeyNotFound)
    ));
}
both_engines!(keys_revoke_drops_from_jwks, revoke_drops_a_key_at_once);
