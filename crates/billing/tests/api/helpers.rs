//! The billing service on a loopback port against a fresh database, a test
//! issuer for `platform` tokens, an SMTP catcher, a manual clock and —
//! when asked — the Stripe-shaped fake.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use billing::service::Billing;
use billing::{Application, BillingConfig, MIGRATIONS};
use reqwest::{Method, Response};
use serde_json::{json, Map, Value};
use service_kit::clock::{Clock, ManualClock};
use service_kit::config::Env;
use service_kit::db::{self, Engine};
use service_kit::testing::issuer::{start_issuer, TestKey};
use service_kit::testing::smtp::{ReceivedMail, TestSmtpServer};
use service_kit::testing::TestDb;

use crate::stripe_fake::{StripeFake, WEBHOOK_SECRET};

pub const AUDIENCE: &str = "connectauth-billing";
pub const TENANT_A: &str = "6f1c2a1e-0b7d-4c55-9d3e-2f1a7b9c0d11";
pub const TENANT_B: &str = "0d0e3f52-55a4-4b0c-8b8e-7c8f4e3a2b19";
pub const OWNER_A: &str = "owner-a@example.com";

/// The `platform` tenant's signing key.
pub fn platform_key() -> &'static TestKey {
    static K: OnceLock<TestKey> = OnceLock::new();
    K.get_or_init(|| TestKey::generate("platform-2026-11"))
}

/// Another tenant's key: its tokens are not platform tokens.
pub fn tenant_key() -> &'static TestKey {
    static K: OnceLock<TestKey> = OnceLock::new();
    K.get_or_init(|| TestKey::generate("acme-2026-11"))
}

pub fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[derive(Default)]
pub struct Options {
    pub stripe: bool,
    pub hard_limit_percent: Option<u32>,
    /// Serve metrics on a port of their own (`BILLING_METRICS_ADDR`).
    pub metrics: bool,
    /// More environment for the server.
    pub env: Vec<(&'static str, &'static str)>,
}

pub struct TestBilling {
    pub address: String,
    pub issuer: String,
    pub other_issuer: String,
    pub db: TestDb,
    pub client: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub billing: Arc<Billing>,
    pub smtp: TestSmtpServer,
    pub stripe: Option<StripeFake>,
    /// Where metrics are served, with `Options::metrics`.
    pub metrics_port: Option<u16>,
}

pub async fn spawn_billing(engine: Engine) -> TestBilling {
    spawn_with(engine, Options::default()).await
}

pub async fn spawn_with_stripe(engine: Engine) -> TestBilling {
    spawn_with(
        engine,
        Options {
            stripe: true,
            ..Options::default()
        },
    )
    .await
}

pub async fn spawn_with(engine: Engine, options: Options) -> TestBilling {
    if std::env::var("TEST_LOG").is_ok() {
        let _ = service_kit::telemetry::init(service_kit::telemetry::LogFormat::Pretty, "debug");
    }
    let issuer_base = start_issuer(&[("platform", platform_key()), ("acme", tenant_key())]);
    let issuer = format!("{issuer_base}/t/platform");
    let db = TestDb::new(engine).await;
    let smtp = TestSmtpServer::start().await.expect("smtp");
    let stripe = if options.stripe {
        Some(StripeFake::start().await)
    } else {
        None
    };
    let hard = options.hard_limit_percent.unwrap_or(110).to_string();
    let smtp_url = smtp.url();
    let mut pairs = vec![
        ("BILLING_BIND", "127.0.0.1:0".to_owned()),
        ("BILLING_DATABASE_URL", db.url.clone()),
        ("BILLING_ISSUER", issuer.clone()),
        ("BILLING_TOKEN_CACHE_SECS", "0".to_owned()),
        ("BILLING_HARD_LIMIT_PERCENT", hard),
        ("SMTP_URL", smtp_url),
    ];
    if options.metrics {
        pairs.push(("BILLING_METRICS_ADDR", "127.0.0.1:0".to_owned()));
    }
    pairs.extend(options.env.iter().map(|(k, v)| (*k, (*v).to_owned())));
    if let Some(fake) = &stripe {
        pairs.push(("BILLING_STRIPE_SECRET_KEY", fake.secret_key().to_owned()));
        pairs.push(("BILLING_STRIPE_API_BASE", fake.url().to_owned()));
        pairs.push((
            "BILLING_STRIPE_WEBHOOK_SECRETS",
            format!("whsec_old_rotated_out,{WEBHOOK_SECRET}"),
        ));
        // The prices exist in Stripe before the service looks them up.
        billing::stripe::Gateway::new(&fake.settings())
            .expect("gateway")
            .sync_plans()
            .await
            .expect("sync plans");
    }
    let env = Env::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())));
    let config = BillingConfig::from_env(&env).expect("valid config");
    let database = db::connect(&config.database_url, config.pool)
        .await
        .expect("connect");
    db::migrate(&database, &MIGRATIONS).await.expect("migrate");
    let clock = Arc::new(ManualClock::new(unix_now()));
    let app = Application::build_with_clock(config, database, clock.clone()).expect("build");
    let address = format!("http://127.0.0.1:{}", app.running().port());
    let billing = app.billing();
    let metrics_port = app.running().metrics_port();
    tokio::spawn(app.run_until_stopped());
    if let Some(fake) = &stripe {
        fake.set_webhook_target(&format!("{address}/webhooks/stripe"), WEBHOOK_SECRET);
    }
    TestBilling {
        address,
        issuer,
        other_issuer: format!("{issuer_base}/t/acme"),
        db,
        client: reqwest::Client::new(),
        clock,
        billing,
        smtp,
        stripe,
        metrics_port,
    }
}

/// Platform token claims for `sub` with `scope`.
pub fn claims(issuer: &str, sub: &str, scope: &str) -> Map<String, Value> {
    static JTI: AtomicU64 = AtomicU64::new(0);
    let now = unix_now();
    json!({
        "iss": issuer, "sub": sub, "aud": AUDIENCE, "client_id": sub,
        "scope": scope, "iat": now, "nbf": now, "exp": now + 300,
        "jti": format!("jti-{}", JTI.fetch_add(1, Ordering::Relaxed)),
    })
    .as_object()
    .cloned()
    .expect("object")
}

impl TestBilling {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    pub fn stripe(&self) -> &StripeFake {
        self.stripe.as_ref().expect("spawned with the Stripe fake")
    }

    pub fn token(&self, scope: &str) -> String {
        platform_key().sign(&claims(&self.issuer, "svc-test", scope))
    }

    /// The auth server's token.
    pub fn service_token(&self) -> String {
        self.token("billing:usage billing:entitlements")
    }

    pub fn admin_token(&self) -> String {
        self.token("billing:admin")
    }

    /// A tenant owner's dashboard token for `tenant`.
    pub fn owner_token(&self, tenant: &str) -> String {
        let mut c = claims(&self.issuer, "owner-user", "billing:manage");
        c.insert("billing_tenant".into(), json!(tenant));
        platform_key().sign(&c)
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Response {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("request")
    }

    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        let resp = self.call(Method::GET, path, token, None).await;
        assert_eq!(resp.status(), 200, "GET {path}");
        resp.json().await.expect("json")
    }

    pub async fn entitlements(&self, tenant: &str) -> Value {
        self.get_json(
            &format!("/v1/tenants/{tenant}/entitlements"),
            &self.service_token(),
        )
        .await
    }

    /// Reports users of `tenant` seen at `at`.
    pub async fn report(&self, tenant: &str, users: &[String], at: i64) -> Response {
        let events: Vec<Value> = users
            .iter()
            .map(|u| json!({"tenant_id": tenant, "user_id": u, "at": at}))
            .collect();
        self.call(
            Method::POST,
            "/v1/usage",
            &self.service_token(),
            Some(json!({ "events": events })),
        )
        .await
    }

    pub async fn set_owner(&self, tenant: &str, email: &str) {
        let resp = self
            .call(
                Method::PUT,
                &format!("/v1/tenants/{tenant}/account"),
                &self.admin_token(),
                Some(json!({ "owner_email": email })),
            )
            .await;
        assert_eq!(resp.status(), 200);
    }

    /// Mail to `to` received within a few seconds (the queue sends in the background).
    pub async fn mails_to(&self, to: &str, at_least: usize) -> Vec<ReceivedMail> {
        for _ in 0..100 {
            let mails: Vec<_> = self
                .smtp
                .messages()
                .into_iter()
                .filter(|m| m.is_for(to))
                .collect();
            if mails.len() >= at_least {
                return mails;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.smtp
            .messages()
            .into_iter()
            .filter(|m| m.is_for(to))
            .collect()
    }

    pub async fn count(&self, sql: &str) -> i64 {
        let pool = sqlx::AnyPool::connect(&self.db.url).await.expect("pool");
        let n: i64 = sqlx::query_scalar(sql)
            .fetch_one(&pool)
            .await
            .expect("count");
        pool.close().await;
        n
    }
}

/// `n` distinct user ids with a prefix.
pub fn users(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i}")).collect()
}

pub async fn assert_problem(resp: Response, status: u16, code: &str) -> Value {
    assert_eq!(resp.status().as_u16(), status, "status");
    let body: Value = resp.json().await.expect("problem json");
    assert_eq!(body["code"], code, "{body}");
    body
}
