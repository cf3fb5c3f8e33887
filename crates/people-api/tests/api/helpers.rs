//! `spawn_app`: the production factory on port 0 with a fresh database,
//! trusting a fake issuer on another loopback port.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use people_api::{Application, PeopleConfig, MIGRATIONS};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{json, Map, Value};
use service_kit::config::Env;
use service_kit::db::{self, Engine};
use service_kit::testing::issuer::{start_issuer, TestKey};
use service_kit::testing::TestDb;

pub const TENANT_SLUG: &str = "connect-people";
pub const OTHER_SLUG: &str = "other-tenant";
pub const TENANT_ID: &str = "6f1c2a1e-0b7d-4c55-9d3e-2f1a7b9c0d11";
pub const OTHER_TENANT_ID: &str = "0d0e3f52-55a4-4b0c-8b8e-7c8f4e3a2b19";
pub const AUDIENCE: &str = "connect-people-api";
pub const CLIENT_ID: &str = "cli_connect-people-app";
pub const ALL_SCOPES: &str = "profile:read profile:write connections:read connections:write";

/// The trusted tenant's signing key.
pub fn tenant_key() -> &'static TestKey {
    static K: OnceLock<TestKey> = OnceLock::new();
    K.get_or_init(|| TestKey::generate("people-2026-01"))
}

/// Another tenant's signing key, published at that tenant's issuer only.
pub fn other_tenant_key() -> &'static TestKey {
    static K: OnceLock<TestKey> = OnceLock::new();
    K.get_or_init(|| TestKey::generate("other-2026-01"))
}

/// A key nobody publishes, claiming the trusted key's `kid`.
pub fn forged_key() -> &'static TestKey {
    static K: OnceLock<TestKey> = OnceLock::new();
    K.get_or_init(|| TestKey::generate("people-2026-01"))
}

pub struct TestApp {
    pub address: String,
    /// The trusted issuer, `{fake issuer}/t/connect-people`.
    pub issuer: String,
    /// Another tenant's issuer at the same fake server.
    pub other_issuer: String,
    pub db: TestDb,
    pub client: reqwest::Client,
    /// Where metrics are served, when `PEOPLE_METRICS_ADDR` was given.
    pub metrics_port: Option<u16>,
}

pub async fn spawn_app(engine: Engine) -> TestApp {
    spawn_app_with(engine, &[]).await
}

/// The app with more configuration (`extra` pairs are added to the env).
pub async fn spawn_app_with(engine: Engine, extra: &[(&str, &str)]) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        let _ = service_kit::telemetry::init(service_kit::telemetry::LogFormat::Pretty, "debug");
    }
    let issuer_base = start_issuer(&[
        (TENANT_SLUG, tenant_key()),
        (OTHER_SLUG, other_tenant_key()),
    ]);
    let issuer = format!("{issuer_base}/t/{TENANT_SLUG}");
    let db = TestDb::new(engine).await;
    let mut pairs = vec![
        ("PEOPLE_BIND", "127.0.0.1:0"),
        ("PEOPLE_DATABASE_URL", db.url.as_str()),
        ("PEOPLE_ISSUER", issuer.as_str()),
    ];
    pairs.extend_from_slice(extra);
    let env = Env::from_pairs(pairs);
    let config = PeopleConfig::from_env(&env).expect("valid config");
    let database = db::connect(&config.database_url, config.pool)
        .await
        .expect("connect");
    db::migrate(&database, &MIGRATIONS).await.expect("migrate");
    let app = Application::build_with_db(config, database).expect("build");
    let address = format!("http://127.0.0.1:{}", app.running().port());
    let metrics_port = app.running().metrics_port();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        issuer,
        other_issuer: format!("{issuer_base}/t/{OTHER_SLUG}"),
        db,
        client: reqwest::Client::new(),
        metrics_port,
    }
}

pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// RFC 9068 claims as the auth server issues them to `sub` of the trusted tenant.
pub fn claims(issuer: &str, sub: &str, scope: &str) -> Map<String, Value> {
    static JTI: AtomicU64 = AtomicU64::new(0);
    let now = unix_now();
    let claims = json!({
        "iss": issuer, "sub": sub, "aud": [AUDIENCE], "client_id": CLIENT_ID,
        "scope": scope, "iat": now, "nbf": now, "exp": now + 300,
        "jti": format!("jti-{}", JTI.fetch_add(1, Ordering::Relaxed)),
        "tid": TENANT_ID,
    });
    claims.as_object().cloned().unwrap()
}

/// Signs `claims` as an RFC 9068 access token with `key`.
pub fn sign(key: &TestKey, claims: &Map<String, Value>) -> String {
    key.sign(claims)
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A valid token of the trusted tenant for `sub` with `scope`.
    pub fn token(&self, sub: &str, scope: &str) -> String {
        sign(tenant_key(), &claims(&self.issuer, sub, scope))
    }

    /// A request as `sub` with every scope of the API.
    pub fn as_person(&self, sub: &str, method: Method, path: &str) -> RequestBuilder {
        self.with_token(&self.token(sub, ALL_SCOPES), method, path)
    }

    pub fn with_token(&self, token: &str, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(token)
    }

    /// `GET /v1/me` as `sub`: makes them exist. Returns the body.
    pub async fn me(&self, sub: &str) -> Value {
        let resp = send(self.as_person(sub, Method::GET, "/v1/me")).await;
        assert_eq!(resp.status().as_u16(), 200);
        resp.json().await.unwrap()
    }

    /// `POST /v1/connections` from `from` to `to`.
    pub async fn request_connection(&self, from: &str, to: &str) -> Response {
        send(
            self.as_person(from, Method::POST, "/v1/connections")
                .json(&json!({ "person_id": to })),
        )
        .await
    }
}

pub async fn send(request: RequestBuilder) -> Response {
    request.send().await.expect("request sent")
}

/// Asserts a problem+json answer with `status` and problem `code`.
pub async fn assert_problem(resp: Response, status: u16, code: &str) -> Value {
    assert_eq!(resp.status().as_u16(), status, "status");
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(ct, "application/problem+json");
    let body: Value = resp.json().await.expect("problem body is JSON");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status);
    body
}

pub fn www_authenticate(resp: &Response) -> String {
    resp.headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}
