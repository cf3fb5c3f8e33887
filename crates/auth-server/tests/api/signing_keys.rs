//! `KeyService` directly: per-tenant signing keys, their JWKS, rotation,
//! revocation and sealing, on both engines; the race between two instances
//! on one PostgreSQL database.
use std::sync::Arc;
use std::time::{Duration, Instant};

use auth_server::domain::signing_alg::SigningAlg;
use auth_server::domain::tenant::{DisplayName, NewTenant, Tenant, TenantSettings, TenantSlug};
use auth_server::keys::keyring::{owner, KeyService, KeyringError, RotationPolicy};
use auth_server::keys::rotation::spawn_rotation_task;
use auth_server::keys::sealed::MasterKeys;
use auth_server::keys::signing::KeyState;
use auth_server::store::scheduled_jobs::ScheduledJobStore;
use auth_server::store::signing_keys::SigningKeyStore;
use auth_server::store::tenants::TenantStore;
use auth_server::store::StoreError;
use auth_server::MIGRATIONS;
use josekit::jwk::Jwk;
use josekit::jws::{EdDSA, JwsVerifier, ES256, RS256};
use josekit::jwt::JwtPayload;
use serde_json::{json, Map, Value};
use service_kit::both_engines;
use service_kit::clock::ManualClock;
use service_kit::db::{self, Database, Engine, PoolSettings};
use service_kit::secret::Secret;
use service_kit::testing::TestDb;
use sqlx::Row;

const START: i64 = 1_900_000_000;
const DAY: i64 = 24 * 60 * 60;

struct Kit {
    _db: TestDb,
    database: Database,
    clock: Arc<ManualClock>,
    keys: Arc<KeyService>,
    tenants: TenantStore,
}

fn ring(ids: &[&str]) -> Vec<(String, Secret)> {
    ids.iter()
        .map(|id| {
            let secret = service_kit::secret::generate().expect("csprng");
            ((*id).to_owned(), Secret::new(secret))
        })
        .collect()
}

fn service(database: &Database, master: Arc<MasterKeys>, clock: Arc<ManualClock>) -> KeyService {
    KeyService::new(
        SigningKeyStore::new(database.pool.clone()),
        master,
        clock,
        RotationPolicy::default(),
    )
    .expect("valid policy")
}

async fn connect(url: &str) -> Database {
    let database = db::connect(url, PoolSettings::default())
        .await
        .expect("connect");
    db::migrate(&database, &MIGRATIONS).await.expect("migrate");
    database
}

async fn kit_with(engine: Engine, master: Vec<(String, Secret)>) -> Kit {
    let test_db = TestDb::new(engine).await;
    let database = connect(&test_db.url).await;
    let clock = Arc::new(ManualClock::new(START));
    let master = Arc::new(MasterKeys::new(&master).expect("master keys"));
    Kit {
        keys: Arc::new(service(&database, master, Arc::clone(&clock))),
        tenants: TenantStore::new(database.pool.clone()),
        _db: test_db,
        database,
        clock,
    }
}

async fn kit(engine: Engine) -> Kit {
    kit_with(engine, ring(&["k1"])).await
}

impl Kit {
    async fn tenant(&self, slug: &str, settings: Value) -> Tenant {
        self.tenants
            .create(NewTenant {
                slug: TenantSlug::parse(slug).expect("slug"),
                display_name: DisplayName::parse(slug).expect("name"),
                settings: TenantSettings::parse(settings).expect("settings"),
            })
            .await
            .expect("tenant")
    }

    async fn kids(&self, tenant: &Tenant, state: KeyState) -> Vec<String> {
        let keys = self.keys.list(tenant.id).await.expect("list");
        keys.into_iter()
            .filter(|k| k.state == state)
            .map(|k| k.kid)
            .collect()
    }

    async fn jwks_kids(&self, tenant: &Tenant) -> Vec<String> {
        jwks_kids(&self.keys.jwks(tenant.id).await.expect("jwks"))
    }

    async fn token(&self, tenant: &Tenant, alg: SigningAlg) -> (String, String) {
        let key = self.keys.signer(tenant.id, alg).await.expect("signer");
        let claims = json!({"iss": "https://auth.test/t/x", "sub": "u1", "exp": START + DAY});
        let jwt = key
            .sign_jwt("at+jwt", claims.as_object().expect("object"))
            .expect("signed");
        (jwt, key.kid().to_owned())
    }
}

fn jwks_kids(jwks: &Value) -> Vec<String> {
    jwks["keys"]
        .as_array()
        .expect("keys array")
        .iter()
        .map(|k| k["kid"].as_str().expect("kid").to_owned())
        .collect()
}

/// Verifies like a relying party: the key is the JWKS entry named by `kid`,
/// the algorithm the one that entry is bound to.
fn verify(jwt: &str, jwks: &Value) -> Result<JwtPayload, String> {
    let header = josekit::jwt::decode_header(jwt).map_err(|e| e.to_string())?;
    let kid = header
        .claim("kid")
        .and_then(Value::as_str)
        .ok_or("no kid")?;
    let entry = jwks["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["kid"] == kid))
        .ok_or("kid not published")?;
    let jwk = Jwk::from_bytes(entry.to_string()).map_err(|e| e.to_string())?;
    let verifier: Box<dyn JwsVerifier> = match entry["alg"].as_str() {
        Some("RS256") => Box::new(RS256.verifier_from_jwk(&jwk).map_err(|e| e.to_string())?),
        Some("ES256") => Box::new(ES256.verifier_from_jwk(&jwk).map_err(|e| e.to_string())?),
        Some("EdDSA") => Box::new(EdDSA.verifier_from_jwk(&jwk).map_err(|e| e.to_string())?),
        other => return Err(format!("unexpected alg {other:?}")),
    };
    josekit::jwt::decode_with_verifier(jwt, verifier.as_ref())
        .map(|(payload, _)| payload)
        .map_err(|e| e.to_string())
}

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

async fn rotate_due_follows_the_period(engine: Engine) {
    let kit = kit(engine).await;
    let default = kit.tenant("acme", json!({})).await;
    let weekly = kit.tenant("weekly", json!({"key_rotation_days": 7})).await;
    for t in [&default, &weekly] {
        kit.keys.ensure_keys(t.id, &[]).await.expect("ensured");
    }
    assert_eq!(kit.keys.rotate_due().await.expect("run"), 0);
    kit.clock.advance(7 * DAY - 1);
    assert_eq!(kit.keys.rotate_due().await.expect("run"), 0);
    kit.clock.advance(1);
    assert_eq!(
        kit.keys.rotate_due().await.expect("run"),
        2,
        "weekly tenant only"
    );
    assert_eq!(
        kit.keys.rotate_due().await.expect("run"),
        0,
        "already rotated"
    );
    assert_eq!(kit.kids(&weekly, KeyState::Retired).await.len(), 2);
    assert!(kit.kids(&default, KeyState::Retired).await.is_empty());
    kit.clock.set(START + 30 * DAY);
    // Day 30: the default period is over, and the weekly tenant's key is 23 days old.
    assert_eq!(kit.keys.rotate_due().await.expect("run"), 4);
    assert_eq!(kit.kids(&default, KeyState::Retired).await.len(), 2);
    for t in [&default, &weekly] {
        assert_eq!(kit.kids(t, KeyState::Active).await.len(), 2);
        assert_eq!(kit.kids(t, KeyState::Next).await.len(), 2);
    }
}
both_engines!(
    keys_rotate_due_follows_the_period,
    rotate_due_follows_the_period
);

/// The shortest period a tenant may set, one day, is honoured to the second.
async fn a_daily_tenant_rotates_after_exactly_one_day(engine: Engine) {
    let kit = kit(engine).await;
    let daily = kit.tenant("daily", json!({"key_rotation_days": 1})).await;
    kit.keys.ensure_keys(daily.id, &[]).await.expect("ensured");
    kit.clock.advance(DAY - 1);
    assert_eq!(kit.keys.rotate_due().await.expect("run"), 0);
    kit.clock.advance(1);
    assert_eq!(kit.keys.rotate_due().await.expect("run"), 2);
    assert_eq!(kit.kids(&daily, KeyState::Retired).await.len(), 2);
}
both_engines!(
    keys_a_daily_tenant_rotates_after_exactly_one_day,
    a_daily_tenant_rotates_after_exactly_one_day
);

/// The background task rotates what is due as soon as it starts, and again
/// every round.
async fn the_rotation_task_rotates_due_keys(engine: Engine) {
    let kit = kit(engine).await;
    let t = kit.tenant("acme", json!({"key_rotation_days": 1})).await;
    kit.keys.ensure_keys(t.id, &[]).await.expect("ensured");
    kit.clock.advance(DAY);
    let task = spawn_rotation_task(Arc::clone(&kit.keys), Duration::from_secs(1));
    let deadline = Instant::now() + Duration::from_secs(20);
    while kit.kids(&t, KeyState::Retired).await.len() < 2 {
        assert!(
            Instant::now() < deadline,
            "the task rotated nothing in 20 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A day later the next round rotates again.
    kit.clock.advance(DAY);
    while kit.kids(&t, KeyState::Retired).await.len() < 4 {
        assert!(Instant::now() < deadline, "no second rotation in 20 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    task.abort();
}
both_engines!(
    keys_the_rotation_task_rotates_due_keys,
    the_rotation_task_rotates_due_keys
);

/// While another instance holds the rotation lease (it may be mid-run, or
/// dead), due keys wait; once its lease has run out they are rotated.
async fn rotation_waits_for_another_instance_s_lease(engine: Engine) {
    let kit = kit(engine).await;
    let t = kit.tenant("acme", json!({"key_rotation_days": 1})).await;
    kit.keys.ensure_keys(t.id, &[]).await.expect("ensured");
    kit.clock.advance(DAY);
    let now = START + DAY;
    let store = ScheduledJobStore::new(kit.database.pool.clone());
    assert!(store
        .try_lease("rotation", "another-instance", now, now + 300)
        .await
        .expect("lease"));
    assert_eq!(kit.keys.rotate_due().await.expect("run"), 0);
    assert!(kit.kids(&t, KeyState::Retired).await.is_empty());
    kit.clock.advance(301);
    assert_eq!(kit.keys.rotate_due().await.expect("run"), 2);
}
both_engines!(
    keys_rotation_waits_for_another_instance_s_lease,
    rotation_waits_for_another_instance_s_lease
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

/// Two instances (two pools) on one PostgreSQL database, racing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_rotate_once() {
    let kit = kit(Engine::Postgres).await;
    let master = Arc::new(MasterKeys::new(&ring(&["k1"])).expect("keys"));
    let other_db = connect(&kit._db.url).await;
    let one = Arc::new(service(
        &kit.database,
        Arc::clone(&master),
        Arc::clone(&kit.clock),
    ));
    let two = Arc::new(service(&other_db, master, Arc::clone(&kit.clock)));
    let mut tenants = Vec::new();
    for slug in ["alpha", "bravo", "charlie"] {
        let t = kit.tenant(slug, json!({})).await;
        one.ensure_keys(t.id, &[]).await.expect("ensured");
        // The second instance's ensure finds everything in place.
        two.ensure_keys(t.id, &[]).await.expect("ensured");
        tenants.push(t);
    }
    kit.clock.advance(30 * DAY);
    let (a, b) = tokio::join!(
        tokio::spawn({
            let s = Arc::clone(&one);
            async move { s.rotate_due().await }
        }),
        tokio::spawn({
            let s = Arc::clone(&two);
            async move { s.rotate_due().await }
        }),
    );
    let total = a.expect("task").expect("run") + b.expect("task").expect("run");
    assert_eq!(total, 6, "3 tenants × 2 algorithms, once each");
    for t in &tenants {
        assert_eq!(kit.kids(t, KeyState::Active).await.len(), 2);
        assert_eq!(kit.kids(t, KeyState::Next).await.len(), 2);
        assert_eq!(kit.kids(t, KeyState::Retired).await.len(), 2);
    }
    // On-demand rotations racing: exactly one wins each round.
    let t = tenants[0].id;
    for round in 1..=3 {
        kit.clock.advance(one.policy().jwks_max_age_secs);
        let (a, b) = tokio::join!(
            tokio::spawn({
                let s = Arc::clone(&one);
                async move { s.rotate(t, SigningAlg::ES256).await }
            }),
            tokio::spawn({
                let s = Arc::clone(&two);
                async move { s.rotate(t, SigningAlg::ES256).await }
            }),
        );
        let (a, b) = (a.expect("task"), b.expect("task"));
        assert_eq!(
            a.is_ok() as u8 + b.is_ok() as u8,
            1,
            "round {round}: {a:?} / {b:?}"
        );
        for lost in [a, b].into_iter().filter_map(Result::err) {
            assert!(
                matches!(
                    lost,
                    KeyringError::Conflict(_) | KeyringError::NextTooYoung { .. }
                ),
                "{lost:?}"
            );
        }
        let retired = kit.keys.list(t).await.expect("list");
        let es_retired = retired
            .iter()
            .filter(|k| k.alg == SigningAlg::ES256 && k.state == KeyState::Retired)
            .count();
        assert_eq!(es_retired, 1 + round);
    }
}
