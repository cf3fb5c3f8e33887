//! `spawn_app`: the production factory on port 0 with a fresh database.
use std::sync::Arc;

use auth_server::{Application, AuthConfig, MIGRATIONS};
use reqwest::{Client, RequestBuilder, Response};
use serde_json::Value;
use service_kit::clock::{SharedClock, SystemClock};
use service_kit::config::Env;
use service_kit::db::{self, Database, Engine};
use service_kit::testing::smtp::TestSmtpServer;
use service_kit::testing::TestDb;

pub struct TestApp {
    pub address: String,
    pub smtp: TestSmtpServer,
    pub db: TestDb,
    pub database: Database,
    pub admin_token: String,
    /// The `AUTH_MASTER_KEYS` value the server runs with.
    pub master_keys: String,
    pub client: Client,
}

/// The server on a port known before it starts, so its issuer URL is real
/// (another service can fetch discovery and JWKS from it).
pub async fn spawn_app_on_known_port(engine: Engine) -> TestApp {
    spawn_app_on_known_port_with(engine, &[]).await
}

/// [`spawn_app_on_known_port`] with extra environment variables.
pub async fn spawn_app_on_known_port_with(engine: Engine, extra: &[(&str, &str)]) -> TestApp {
    let bind = format!("127.0.0.1:{}", crate::billing_service::free_port());
    let url = format!("http://{bind}");
    let mut env = vec![
        ("AUTH_BIND", bind.as_str()),
        ("AUTH_PUBLIC_URL", url.as_str()),
    ];
    env.extend_from_slice(extra);
    spawn_app_with(engine, &env).await
}

pub async fn spawn_app(engine: Engine) -> TestApp {
    spawn_app_with(engine, &[]).await
}

/// Starts the server with extra environment variables over the test defaults.
pub async fn spawn_app_with(engine: Engine, extra: &[(&str, &str)]) -> TestApp {
    spawn_app_with_clock(engine, extra, Arc::new(SystemClock)).await
}

/// [`spawn_app_with`] whose OAuth, signing keys and billing read `clock`
/// (pages and sessions keep the wall clock).
pub async fn spawn_app_with_clock(
    engine: Engine,
    extra: &[(&str, &str)],
    clock: SharedClock,
) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        let _ = service_kit::telemetry::init(service_kit::telemetry::LogFormat::Pretty, "debug");
    }
    let db = TestDb::new(engine).await;
    let admin_token = service_kit::secret::generate().expect("csprng");
    let master_keys = format!("t1:{}", service_kit::secret::generate().expect("csprng"));
    let smtp = TestSmtpServer::start().await.expect("test SMTP server");
    let smtp_url = smtp.url();
    let mut env = test_env(&db.url, &admin_token, &master_keys, &smtp_url);
    for (k, v) in extra {
        env.set(*k, *v);
    }
    let config = AuthConfig::from_env(&env).expect("test config is valid");
    let database = db::connect(&config.database_url, config.pool)
        .await
        .expect("connect");
    db::migrate(&database, &MIGRATIONS).await.expect("migrate");
    let app = Application::build_with_clock(config, database.clone(), clock).expect("build");
    let address = format!("http://127.0.0.1:{}", app.running().port());
    tokio::spawn(app.run_until_stopped());
    wait_for_platform_tenant(&database).await;
    TestApp {
        address,
        smtp,
        db,
        database,
        admin_token,
        master_keys,
        client: Client::new(),
    }
}

/// Polls `check` every 50 ms until it holds, for at most `STALE_BOUND_SECS`
/// plus a second of slack: a change made beside the server (another
/// instance, the CLI) is honoured within that bound, not at once.
pub async fn within_the_cache_bound<F, Fut>(mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let bound = u64::try_from(auth_server::cache::STALE_BOUND_SECS).unwrap_or(1);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(bound + 1);
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The settings every test server runs with.
fn test_env(database_url: &str, admin_token: &str, master_keys: &str, smtp_url: &str) -> Env {
    Env::from_pairs([
        ("AUTH_BIND", "127.0.0.1:0"),
        ("AUTH_DATABASE_URL", database_url),
        ("AUTH_ADMIN_TOKEN", admin_token),
        ("AUTH_MASTER_KEYS", master_keys),
        ("SMTP_URL", smtp_url),
        ("MAIL_FROM", "Test <no-reply@connectauth.test>"),
        // Tests send many forms from one address; the rate-limit test lowers these.
        ("AUTH_FORM_RATE_PER_MINUTE", "100000"),
        ("AUTH_SIGNUP_RATE_PER_MINUTE", "100000"),
        // Many tests fail logins on purpose: the sentinel tests turn it on.
        ("AUTH_SENTINEL", "off"),
        // Tests move the clock across days: the report tests turn it on.
        ("AUTH_SENTINEL_DAILY_REPORT", "off"),
        // Tests move the clock past expiries and then read the expired rows:
        // the cleanup tests turn it on.
        ("AUTH_CLEANUP_EVERY_MINUTES", "0"),
    ])
}

impl TestApp {
    /// A key service on this app's database and master keys, reading
    /// `clock`: keys operated on as `connectauth keys …` would, beside the
    /// running server.
    pub fn key_service(&self, clock: SharedClock) -> auth_server::keys::keyring::KeyService {
        use auth_server::keys::keyring::{KeyService, RotationPolicy};
        use auth_server::keys::sealed::MasterKeys;
        use auth_server::store::signing_keys::SigningKeyStore;
        let ring: Vec<(String, service_kit::secret::Secret)> = self
            .master_keys
            .split(',')
            .filter_map(|pair| pair.split_once(':'))
            .map(|(id, secret)| (id.to_owned(), service_kit::secret::Secret::new(secret)))
            .collect();
        KeyService::new(
            SigningKeyStore::new(self.database.pool.clone()),
            Arc::new(MasterKeys::new(&ring).expect("master keys")),
            clock,
            RotationPolicy::default(),
        )
        .expect("key service")
    }

    /// The state another instance builds on this app's database, keys and
    /// SMTP server, reading `clock`: for a background job a test runs by
    /// hand, as two instances would.
    pub fn instance_state(&self, clock: SharedClock) -> auth_server::state::AppState {
        let env = test_env(
            &self.db.url,
            &self.admin_token,
            &self.master_keys,
            &self.smtp.url(),
        );
        let config = AuthConfig::from_env(&env).expect("instance config is valid");
        auth_server::state::AppState::with_clock(&config, self.database.clone(), clock)
            .expect("instance state")
    }

    /// A second server on this app's database, master keys and operator
    /// token, as another instance behind the same load balancer; it reads
    /// `clock`. Returns its base URL.
    pub async fn spawn_peer(&self, clock: SharedClock) -> String {
        self.spawn_peer_with(clock, &[]).await
    }

    /// [`TestApp::spawn_peer`] with extra environment variables.
    pub async fn spawn_peer_with(&self, clock: SharedClock, extra: &[(&str, &str)]) -> String {
        self.spawn_stoppable_peer(clock, extra).await.0
    }

    /// [`TestApp::spawn_peer_with`], and the handle that stops it (as a
    /// rolling restart or a crash would).
    pub async fn spawn_stoppable_peer(
        &self,
        clock: SharedClock,
        extra: &[(&str, &str)],
    ) -> (String, actix_web::dev::ServerHandle) {
        let mut env = test_env(
            &self.db.url,
            &self.admin_token,
            &self.master_keys,
            &self.smtp.url(),
        );
        for (k, v) in extra {
            env.set(*k, *v);
        }
        let config = AuthConfig::from_env(&env).expect("peer config is valid");
        let database = db::connect(&config.database_url, config.pool)
            .await
            .expect("connect");
        let app = Application::build_with_clock(config, database, clock).expect("build");
        let address = format!("http://127.0.0.1:{}", app.running().port());
        let handle = app.running().handle();
        tokio::spawn(app.run_until_stopped());
        (address, handle)
    }
}

/// The server makes the `platform` tenant in the background at start; tests
/// count tenants, so they begin once it is there.
async fn wait_for_platform_tenant(database: &Database) {
    let store = auth_server::store::tenants::TenantStore::new(database.pool.clone());
    for _ in 0..200 {
        if store.get_by_slug("platform").await.is_ok() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the platform tenant was not created within 10 s");
}

/// Starts the server calling billing at `billing_url`, with entitlements
/// cached `ttl_secs` and no background usage report during the test (tests
/// run their own reporter rounds).
pub async fn spawn_app_with_billing(engine: Engine, billing_url: &str, ttl_secs: u64) -> TestApp {
    let ttl = ttl_secs.to_string();
    spawn_app_with(
        engine,
        &[
            ("AUTH_BILLING_URL", billing_url),
            ("AUTH_ENTITLEMENTS_TTL_SECS", &ttl),
            ("AUTH_BILLING_REPORT_INTERVAL_SECS", "3600"),
        ],
    )
    .await
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A request carrying the operator token.
    pub fn admin(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(&self.admin_token)
    }

    /// The JSON answer of a management API `GET` with the operator token,
    /// which must succeed.
    pub async fn admin_json(&self, path: &str) -> Value {
        let resp = self
            .admin(reqwest::Method::GET, path)
            .send()
            .await
            .expect("sent");
        assert!(resp.status().is_success(), "GET {path}: {}", resp.status());
        resp.json().await.expect("json")
    }

    pub async fn create_tenant(&self, body: &Value) -> Response {
        self.admin(reqwest::Method::POST, "/manage/v1/tenants")
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// Tenants besides `platform` (which the server makes at start).
    pub async fn tenant_count(&self) -> i64 {
        auth_server::store::tenants::TenantStore::new(self.database.pool.clone())
            .count()
            .await
            .expect("count")
            - 1
    }
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
    assert_eq!(body["type"], format!("urn:connectauth:problem:{code}"));
    body
}

pub const PASSWORD: &str = "correct horse battery staple";

impl TestApp {
    /// A tenant straight in the store (settings as JSON).
    pub async fn tenant(&self, slug: &str, settings: Value) -> auth_server::domain::tenant::Tenant {
        use auth_server::domain::tenant::{DisplayName, NewTenant, TenantSettings, TenantSlug};
        auth_server::store::tenants::TenantStore::new(self.database.pool.clone())
            .create(NewTenant {
                slug: TenantSlug::parse(slug).expect("slug"),
                display_name: DisplayName::parse(&format!("Tenant {slug}")).expect("name"),
                settings: TenantSettings::parse(settings).expect("settings"),
            })
            .await
            .expect("tenant created")
    }

    pub fn web(&self) -> crate::web::Web {
        crate::web::Web::new(&self.address)
    }

    /// The next mail to `to`, within 10 s.
    pub async fn mail_to(&self, to: &str) -> service_kit::testing::smtp::ReceivedMail {
        self.smtp
            .wait_for(to, std::time::Duration::from_secs(10))
            .await
            .unwrap_or_else(|| panic!("no mail for {to}"))
    }

    /// Signs up through the pages and follows the verification link.
    pub async fn signup_verified(
        &self,
        web: &crate::web::Web,
        slug: &str,
        email: &str,
        password: &str,
    ) {
        web.get(&format!("/t/{slug}/signup")).await;
        let done = web
            .post(
                &format!("/t/{slug}/signup"),
                &[
                    ("email", email),
                    ("password", password),
                    ("display_name", "Alice"),
                ],
            )
            .await;
        assert_eq!(done.status, 200, "{}", done.body);
        assert!(done.contains("Check your email"), "{}", done.body);
        let mail = self.mail_to(email).await;
        let link = crate::web::link_path(&mail);
        let confirm = web.get(&link).await;
        assert_eq!(confirm.status, 200, "{}", confirm.body);
        let verified = web
            .post(
                &format!("/t/{slug}/verify-email"),
                &[("token", &crate::web::token_of(&link))],
            )
            .await;
        assert!(verified.contains("is confirmed"), "{}", verified.body);
    }

    /// Logs in with the password; returns the redirect target.
    pub async fn login(
        &self,
        web: &crate::web::Web,
        slug: &str,
        email: &str,
        password: &str,
    ) -> crate::web::Page {
        web.get(&format!("/t/{slug}/login")).await;
        web.post(
            &format!("/t/{slug}/login"),
            &[("email", email), ("password", password)],
        )
        .await
    }

    pub async fn audit_kinds(
        &self,
        tenant: &auth_server::domain::tenant::Tenant,
    ) -> Vec<(String, String)> {
        auth_server::store::audit::AuditStore::new(self.database.pool.clone())
            .recent(tenant.id, 500)
            .await
            .expect("audit")
            .into_iter()
            .map(|e| (e.kind, e.outcome))
            .collect()
    }

    pub async fn user_count(&self, tenant: &auth_server::domain::tenant::Tenant) -> i64 {
        auth_server::store::users::UserStore::new(self.database.pool.clone())
            .count(tenant.id)
            .await
            .expect("count")
    }
}
