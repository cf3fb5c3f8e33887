//! `KeyService` directly: per-tenant signing keys, their JWKS, rotation,
//! revocation and sealing, on both engines; the race between two instances
//! on one PostgreSQL database.
mod key_sets;
mod rotation;
mod scheduled_rotation;
mod sealing;

use std::sync::Arc;

use auth_server::domain::signing_alg::SigningAlg;
use auth_server::domain::tenant::{DisplayName, NewTenant, Tenant, TenantSettings, TenantSlug};
use auth_server::keys::keyring::{KeyService, RotationPolicy};
use auth_server::keys::sealed::MasterKeys;
use auth_server::keys::signing::KeyState;
use auth_server::store::signing_keys::SigningKeyStore;
use auth_server::store::tenants::TenantStore;
use auth_server::MIGRATIONS;
use josekit::jwk::Jwk;
use josekit::jws::{EdDSA, JwsVerifier, ES256, RS256};
use josekit::jwt::JwtPayload;
use serde_json::{json, Value};
use service_kit::clock::ManualClock;
use service_kit::db::{self, Database, Engine, PoolSettings};
use service_kit::secret::Secret;
use service_kit::testing::TestDb;

pub(super) const START: i64 = 1_900_000_000;
pub(super) const DAY: i64 = 24 * 60 * 60;

pub(super) struct Kit {
    pub(super) _db: TestDb,
    pub(super) database: Database,
    pub(super) clock: Arc<ManualClock>,
    pub(super) keys: Arc<KeyService>,
    tenants: TenantStore,
}

pub(super) fn ring(ids: &[&str]) -> Vec<(String, Secret)> {
    ids.iter()
        .map(|id| {
            let secret = service_kit::secret::generate().expect("csprng");
            ((*id).to_owned(), Secret::new(secret))
        })
        .collect()
}

pub(super) fn service(
    database: &Database,
    master: Arc<MasterKeys>,
    clock: Arc<ManualClock>,
) -> KeyService {
    KeyService::new(
        SigningKeyStore::new(database.pool.clone()),
        master,
        clock,
        RotationPolicy::default(),
    )
    .expect("valid policy")
}

pub(super) async fn connect(url: &str) -> Database {
    let database = db::connect(url, PoolSettings::default())
        .await
        .expect("connect");
    db::migrate(&database, &MIGRATIONS).await.expect("migrate");
    database
}

pub(super) async fn kit_with(engine: Engine, master: Vec<(String, Secret)>) -> Kit {
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

pub(super) async fn kit(engine: Engine) -> Kit {
    kit_with(engine, ring(&["k1"])).await
}

impl Kit {
    pub(super) async fn tenant(&self, slug: &str, settings: Value) -> Tenant {
        self.tenants
            .create(NewTenant {
                slug: TenantSlug::parse(slug).expect("slug"),
                display_name: DisplayName::parse(slug).expect("name"),
                settings: TenantSettings::parse(settings).expect("settings"),
            })
            .await
            .expect("tenant")
    }

    pub(super) async fn kids(&self, tenant: &Tenant, state: KeyState) -> Vec<String> {
        let keys = self.keys.list(tenant.id).await.expect("list");
        keys.into_iter()
            .filter(|k| k.state == state)
            .map(|k| k.kid)
            .collect()
    }

    pub(super) async fn jwks_kids(&self, tenant: &Tenant) -> Vec<String> {
        jwks_kids(&self.keys.jwks(tenant.id).await.expect("jwks"))
    }

    pub(super) async fn token(&self, tenant: &Tenant, alg: SigningAlg) -> (String, String) {
        let key = self.keys.signer(tenant.id, alg).await.expect("signer");
        let claims = json!({"iss": "https://auth.test/t/x", "sub": "u1", "exp": START + DAY});
        let jwt = key
            .sign_jwt("at+jwt", claims.as_object().expect("object"))
            .expect("signed");
        (jwt, key.kid().to_owned())
    }
}

pub(super) fn jwks_kids(jwks: &Value) -> Vec<String> {
    jwks["keys"]
        .as_array()
        .expect("keys array")
        .iter()
        .map(|k| k["kid"].as_str().expect("kid").to_owned())
        .collect()
}

/// Verifies like a relying party: the key is the JWKS entry named by `kid`,
/// the algorithm the one that entry is bound to.
pub(super) fn verify(jwt: &str, jwks: &Value) -> Result<JwtPayload, String> {
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
