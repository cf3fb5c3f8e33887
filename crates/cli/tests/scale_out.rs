//! Scale-out with real processes: three `connectauth serve auth` on one
//! PostgreSQL database and one Redis, behind a test-started nginx (round
//! robin), in production mode. PostgreSQL only: instances share state
//! through it (and Redis), which SQLite cannot do.
//!
//! Proven, in this order: key rotation runs once across the instances;
//! the form rate limit is one budget across them; a lockout made through
//! one instance holds on the others; a client disabled through one is
//! refused by the others within the cache bound; then, under a load of
//! logins, client-credentials tokens, refresh rotations, user creations
//! and JWKS reads through nginx, one instance is killed with SIGKILL:
//! only requests in flight to it fail, and nothing acknowledged is lost.
mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use auth_server::domain::tenant::{DisplayName, NewTenant, TenantSettings, TenantSlug};
use auth_server::keys::keyring::{KeyService, RotationPolicy};
use auth_server::keys::sealed::MasterKeys;
use auth_server::keys::signing::KeyState;
use auth_server::store::audit::AuditStore;
use auth_server::store::signing_keys::SigningKeyStore;
use auth_server::store::tenants::TenantStore;
use common::auth_process::{password_hash, AuthProcess, Deployment, Manage};
use common::browser::{token, Browser};
use common::nginx::Nginx;
use common::MASTER_KEYS;
use serde_json::{json, Value};
use service_kit::clock::{Clock, ManualClock, SystemClock};
use service_kit::db::{Engine, PoolSettings};
use service_kit::secret::Secret;
use service_kit::testing::TestDb;

const SLUG: &str = "scale";
const PASSWORD: &str = "Quartz-violet-harbour-42";
/// `AUTH_FORM_RATE_PER_MINUTE` of every instance.
const FORM_BUDGET: usize = 20;
/// How long the load runs; the kill is at its middle.
const LOAD: Duration = Duration::from_secs(8);
const REDIRECT_URI: &str = "https://app.scale.test/callback";
const DAY: i64 = 86_400;

fn http_from(source: Option<Ipv4Addr>) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .local_address(source.map(IpAddr::V4))
        .build()
        .expect("client")
}

/// The machine's Redis (`TEST_REDIS_URL` of the run, else the local one).
fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// A tenant whose signing keys were made 31 days ago (a key service on a
/// clock set back), so they are due to rotate when the instances start.
async fn tenant_with_month_old_keys(
    database_url: &str,
    slug: &str,
) -> auth_server::domain::tenant::TenantId {
    let database = service_kit::db::connect(database_url, PoolSettings::default())
        .await
        .expect("connect");
    let tenant = TenantStore::new(database.pool.clone())
        .create(NewTenant {
            slug: TenantSlug::parse(slug).expect("slug"),
            display_name: DisplayName::parse(slug).expect("name"),
            settings: TenantSettings::parse(json!({})).expect("settings"),
        })
        .await
        .expect("tenant");
    keys(
        &database,
        Arc::new(ManualClock::new(SystemClock.now() - 31 * DAY)),
    )
    .ensure_keys(tenant.id, &[])
    .await
    .expect("keys");
    tenant.id
}

fn keys(
    database: &service_kit::db::Database,
    clock: service_kit::clock::SharedClock,
) -> KeyService {
    let ring: Vec<(String, Secret)> = MASTER_KEYS
        .split(',')
        .filter_map(|pair| pair.split_once(':'))
        .map(|(id, secret)| (id.to_owned(), Secret::new(secret)))
        .collect();
    KeyService::new(
        SigningKeyStore::new(database.pool.clone()),
        Arc::new(MasterKeys::new(&ring).expect("master keys")),
        clock,
        RotationPolicy::default(),
    )
    .expect("key service")
}

/// (key_rotated events, active, next, retired keys) of the tenant.
async fn rotation_state(
    database_url: &str,
    tenant: auth_server::domain::tenant::TenantId,
) -> (usize, usize, usize, usize) {
    let database = service_kit::db::connect(database_url, PoolSettings::default())
        .await
        .expect("connect");
    let rotated = AuditStore::new(database.pool.clone())
        .recent(tenant, 500)
        .await
        .expect("audit")
        .into_iter()
        .filter(|e| e.kind == "key_rotated")
        .count();
    let list = keys(&database, Arc::new(SystemClock))
        .list(tenant)
        .await
        .expect("keys");
    let count = |state| list.iter().filter(|k| k.state == state).count();
    (
        rotated,
        count(KeyState::Active),
        count(KeyState::Next),
        count(KeyState::Retired),
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Login,
    ClientCredentials,
    Refresh,
    CreateUser,
    Jwks,
}

impl Kind {
    /// The status of a success.
    fn ok(self) -> u16 {
        match self {
            Kind::Login => 303,
            Kind::ClientCredentials | Kind::Refresh | Kind::CreateUser | Kind::Jwks => 200,
        }
    }
}

/// One request of the load: when it was sent, when it ended, and how
/// (`None`: no HTTP answer at all).
#[derive(Debug)]
struct Outcome {
    kind: Kind,
    started: Instant,
    ended: Instant,
    status: Option<u16>,
}

impl Outcome {
    fn failed(&self) -> bool {
        self.status != Some(self.kind.ok())
    }
}

/// What every load task shares.
struct Load {
    base: String,
    tenant_id: String,
    admin_token: String,
    cc: (String, String),
    web: (String, String),
    until: Instant,
}

fn record(kind: Kind, started: Instant, status: Option<u16>) -> Outcome {
    Outcome {
        kind,
        started,
        ended: Instant::now(),
        status,
    }
}

/// Logs in as `email` again and again, each time as a new browser from the
/// next address of 127.0.`net`.x (so no address spends its form budget).
async fn logins(load: Arc<Load>, net: u8, email: String) -> Vec<Outcome> {
    let mut out = Vec::new();
    let mut host = 0u8;
    while Instant::now() < load.until {
        host = host % 250 + 1;
        let browser = Browser::new(
            http_from(Some(Ipv4Addr::new(127, 0, net, host))),
            &load.base,
        );
        let started = Instant::now();
        let status = browser
            .log_in(SLUG, &email, PASSWORD)
            .await
            .ok()
            .map(|a| a.status);
        out.push(record(Kind::Login, started, status));
    }
    out
}

async fn client_credentials(load: Arc<Load>) -> Vec<Outcome> {
    let http = http_from(None);
    let mut out = Vec::new();
    while Instant::now() < load.until {
        let started = Instant::now();
        let status = token(
            &http,
            &load.base,
            SLUG,
            (&load.cc.0, &load.cc.1),
            &[("grant_type", "client_credentials"), ("scope", "api:read")],
        )
        .await
        .ok()
        .map(|(s, _)| s);
        out.push(record(Kind::ClientCredentials, started, status));
    }
    out
}

/// Rotates one refresh token family; a failed rotation is retried with the
/// same token (the client's reuse interval gives the first answer again if
/// the rotation was made but its answer lost). Returns the newest token
/// received.
async fn refreshes(load: Arc<Load>, mut newest: String) -> (Vec<Outcome>, String) {
    let http = http_from(None);
    let mut out = Vec::new();
    while Instant::now() < load.until {
        let started = Instant::now();
        let answer = token(
            &http,
            &load.base,
            SLUG,
            (&load.web.0, &load.web.1),
            &[("grant_type", "refresh_token"), ("refresh_token", &newest)],
        )
        .await;
        let status = match answer {
            Ok((200, body)) => {
                newest = body["refresh_token"]
                    .as_str()
                    .expect("a new refresh token")
                    .to_owned();
                Some(200)
            }
            Ok((status, _)) => Some(status),
            Err(_) => None,
        };
        out.push(record(Kind::Refresh, started, status));
    }
    (out, newest)
}

/// Imports one new user per request; returns the addresses acknowledged.
async fn user_creations(load: Arc<Load>) -> (Vec<Outcome>, Vec<String>) {
    let http = http_from(None);
    let manage = Manage {
        http: &http,
        base: &load.base,
        token: &load.admin_token,
    };
    let mut out = Vec::new();
    let mut acknowledged = Vec::new();
    let mut n = 0;
    while Instant::now() < load.until {
        n += 1;
        let email = format!("new-{n}@scale.test");
        let started = Instant::now();
        let (status, body) = match http
            .post(format!(
                "{}/manage/v1/tenants/{}/users/import",
                load.base, load.tenant_id
            ))
            .bearer_auth(manage.token)
            .json(&json!({ "users": [{ "email": email, "email_verified": true }] }))
            .send()
            .await
        {
            Ok(resp) => {
                let status = resp.status().as_u16();
                (
                    Some(status),
                    resp.json::<Value>().await.unwrap_or(Value::Null),
                )
            }
            Err(_) => (None, Value::Null),
        };
        if status == Some(200) {
            assert_eq!(body["created"], 1, "{body}");
            acknowledged.push(email);
        }
        out.push(record(Kind::CreateUser, started, status));
    }
    (out, acknowledged)
}

async fn jwks_reads(load: Arc<Load>) -> Vec<Outcome> {
    let http = http_from(None);
    let mut out = Vec::new();
    while Instant::now() < load.until {
        let started = Instant::now();
        let status = http
            .get(format!("{}/t/{SLUG}/jwks.json", load.base))
            .send()
            .await
            .ok()
            .map(|r| r.status().as_u16());
        out.push(record(Kind::Jwks, started, status));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_behind_nginx_share_state_and_survive_a_kill_on_postgres() {
    let Some(nginx_bin) = common::nginx::binary() else {
        eprintln!("SKIPPED: nginx is not installed and scripts/install-nginx could not install it");
        return;
    };
    let db = TestDb::new(Engine::Postgres).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut deployment = Deployment::new(&db.url);
    let prefix = format!("connectauth-test-{}:", uuid_like());
    deployment
        .set("REDIS_URL", &redis_url())
        .set("REDIS_KEY_PREFIX", &prefix)
        .set("AUTH_FORM_RATE_PER_MINUTE", &FORM_BUDGET.to_string())
        // The test's clients are loopback addresses: never blocked.
        .set("AUTH_SENTINEL_NEVER_BLOCK", "127.0.0.0/8,::1");
    deployment.migrate(dir.path());
    let rotating = tenant_with_month_old_keys(&db.url, "rotating").await;

    let mut instances: Vec<AuthProcess> = (0..3).map(|_| deployment.spawn(dir.path())).collect();
    for instance in &instances {
        instance.ready().await;
    }
    let ports: Vec<u16> = instances.iter().map(|i| i.port).collect();
    let nginx = Nginx::start(&nginx_bin, &ports).await;
    let base = nginx.url("");
    let http = http_from(None);
    let manage = Manage {
        http: &http,
        base: &base,
        token: &deployment.admin_token,
    };

    // (e) Key rotation: each instance checks at start; one rotated.
    let deadline = Instant::now() + Duration::from_secs(15);
    while rotation_state(&db.url, rotating).await.0 < 2 {
        assert!(Instant::now() < deadline, "the due keys were not rotated");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Provisioning, through nginx.
    let tenant_id = manage.tenant(SLUG, json!({})).await;
    let cc_body = |name: &str| {
        json!({ "name": name, "kind": "confidential",
                "grant_types": ["client_credentials"], "scopes": ["api:read"] })
    };
    let cc = manage.client(&tenant_id, cc_body("Backend")).await;
    let doomed = manage.client(&tenant_id, cc_body("Doomed")).await;
    let web = manage
        .client(
            &tenant_id,
            json!({ "name": "Web", "kind": "confidential", "first_party": true,
                    "redirect_uris": [REDIRECT_URI], "require_pkce": false,
                    "grant_types": ["authorization_code", "refresh_token"],
                    "scopes": ["openid", "offline_access"],
                    // A rotation whose answer was lost (its instance died) is
                    // answered again when the client retries within 10 s.
                    "refresh_token_reuse_interval_secs": 10 }),
        )
        .await;
    let users: Vec<String> = [
        "login-1",
        "login-2",
        "refresh-1",
        "refresh-2",
        "refresh-3",
        "refresh-4",
        "limited",
        "locked",
    ]
    .iter()
    .map(|u| format!("{u}@scale.test"))
    .collect();
    assert_eq!(
        manage
            .import_users(&tenant_id, &users, &password_hash(PASSWORD))
            .await,
        200
    );

    // (c) One form budget across the three instances: from one address,
    // twice the budget of logins, round robin over all three.
    let limited = Browser::new(http_from(Some(Ipv4Addr::new(127, 0, 99, 1))), &base);
    let mut statuses = Vec::new();
    let sending = Instant::now();
    for _ in 0..2 * FORM_BUDGET {
        let answer = limited
            .log_in(SLUG, "limited@scale.test", PASSWORD)
            .await
            .expect("login");
        if answer.status == 429 {
            assert!(
                answer.body.contains("Too many requests from your network"),
                "{}",
                answer.body
            );
        }
        statuses.push(answer.status);
    }
    let let_through = statuses.iter().filter(|s| **s == 303).count();
    let limited_429 = statuses.iter().filter(|s| **s == 429).count();
    let form_posts_by_instance =
        count_by_upstream(&nginx.access_log(), "POST", &format!("/t/{SLUG}/login"));
    eprintln!(
        "rate limit: {let_through} of {} logins let through, {limited_429} refused 429; \
         login POSTs per instance so far: {form_posts_by_instance:?}",
        statuses.len()
    );
    // The budget refills one request every 60/FORM_BUDGET s while the
    // logins are sent: that many more may pass, never three budgets.
    let refilled = sending.elapsed().as_secs() as usize * FORM_BUDGET / 60 + 1;
    assert!(
        (FORM_BUDGET..=FORM_BUDGET + refilled).contains(&let_through),
        "{let_through} let through: the budget is {FORM_BUDGET} across all instances \
         (+{refilled} refilled while sending)"
    );
    assert_eq!(let_through + limited_429, statuses.len(), "{statuses:?}");
    assert_eq!(
        form_posts_by_instance.len(),
        3,
        "every instance took some of them"
    );

    // (d) A lockout through instance A holds on B and C.
    let direct = |i: usize| Browser::new(http_from(None), &instances[i].url(""));
    let a = direct(0);
    for _ in 0..5 {
        let answer = a
            .log_in(SLUG, "locked@scale.test", "wrong password")
            .await
            .expect("login");
        assert_eq!(answer.status, 401, "a wrong password");
    }
    for i in [1, 2] {
        let answer = direct(i)
            .log_in(SLUG, "locked@scale.test", PASSWORD)
            .await
            .expect("login");
        assert_eq!(answer.status, 429, "instance {i}: {}", answer.body);
        assert!(answer.body.contains("Too many attempts"), "{}", answer.body);
    }

    // (f) A client disabled through A's management API is refused by B and
    // C within the cache bound.
    let doomed_token = |i: usize| {
        let http = http.clone();
        let base = instances[i].url("");
        let doomed = doomed.clone();
        async move {
            token(
                &http,
                &base,
                SLUG,
                (&doomed.0, &doomed.1),
                &[("grant_type", "client_credentials")],
            )
            .await
            .expect("token")
            .0
        }
    };
    for i in 0..3 {
        assert_eq!(doomed_token(i).await, 200, "instance {i} knows the client");
    }
    let on_a = Manage {
        http: &http,
        base: &instances[0].url(""),
        token: &deployment.admin_token,
    };
    let (status, _) = on_a
        .post(
            &format!("/tenants/{tenant_id}/clients/{}/disable", doomed.0),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let disabled_at = Instant::now();
    let bound =
        Duration::from_secs(u64::try_from(auth_server::cache::STALE_BOUND_SECS).unwrap_or(1));
    for i in [1, 2] {
        loop {
            let status = doomed_token(i).await;
            if status == 401 {
                break;
            }
            assert_eq!(status, 200);
            assert!(
                disabled_at.elapsed() < bound + Duration::from_secs(1),
                "instance {i} still accepts the disabled client after {:?}",
                disabled_at.elapsed()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let refused_within = disabled_at.elapsed();

    // Refresh token families to rotate under load: log in, code, exchange.
    let mut families = Vec::new();
    for n in 1..=4 {
        let user = format!("refresh-{n}@scale.test");
        let user = user.as_str();
        let browser = Browser::new(http.clone(), &base);
        let login = browser.log_in(SLUG, user, PASSWORD).await.expect("login");
        assert_eq!(login.status, 303, "{}", login.body);
        let code = browser.authorization_code(SLUG, &web.0, REDIRECT_URI).await;
        let (status, body) = token(
            &http,
            &base,
            SLUG,
            (&web.0, &web.1),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT_URI),
            ],
        )
        .await
        .expect("exchange");
        assert_eq!(status, 200, "{body}");
        families.push(
            body["refresh_token"]
                .as_str()
                .expect("refresh token")
                .to_owned(),
        );
    }

    // The load, and the kill at its middle.
    let load = Arc::new(Load {
        base: base.clone(),
        tenant_id: tenant_id.clone(),
        admin_token: deployment.admin_token.clone(),
        cc: cc.clone(),
        web: web.clone(),
        until: Instant::now() + LOAD,
    });
    let plain = vec![
        tokio::spawn(logins(load.clone(), 11, "login-1@scale.test".into())),
        tokio::spawn(logins(load.clone(), 12, "login-2@scale.test".into())),
        tokio::spawn(client_credentials(load.clone())),
        tokio::spawn(client_credentials(load.clone())),
        tokio::spawn(jwks_reads(load.clone())),
    ];
    let rotations: Vec<_> = families
        .iter()
        .map(|rt| tokio::spawn(refreshes(load.clone(), rt.clone())))
        .collect();
    let creations = tokio::spawn(user_creations(load.clone()));
    let concurrency = plain.len() + rotations.len() + 1;

    tokio::time::sleep(LOAD / 2).await;
    let killed_port = instances[1].port;
    let kill_sent = Instant::now();
    instances[1].kill_hard();
    let kill_done = Instant::now();

    let mut outcomes = Vec::new();
    for task in plain {
        outcomes.extend(task.await.expect("load task"));
    }
    let mut newest = Vec::new();
    for task in rotations {
        let (o, rt) = task.await.expect("refresh task");
        outcomes.extend(o);
        newest.push(rt);
    }
    let (o, created) = creations.await.expect("creation task");
    outcomes.extend(o);

    // (b) Failures: only requests in flight to the killed instance.
    let failures: Vec<&Outcome> = outcomes.iter().filter(|o| o.failed()).collect();
    let log = nginx.access_log();
    let killed = format!("127.0.0.1:{killed_port}");
    // Requests nginx sent to the killed instance after it was gone (each
    // then went on to another instance, or it would be among the failures).
    let to_killed_after = log
        .lines()
        .filter(|l| l.contains(&killed))
        .filter(|l| started_msec(l).is_some_and(|t| t > unix_msec_at(kill_done)))
        .count();
    let proxy_502s: Vec<&str> = log
        .lines()
        .filter(|l| l.split(' ').nth(3) == Some("502"))
        .collect();
    eprintln!(
        "load: {} requests in {LOAD:?} from {concurrency} tasks ({}); killed 127.0.0.1:{killed_port} \
         at {:?} into the load; {} failed: {:?}; nginx sent {to_killed_after} request(s) \
         to the killed instance after the kill; {} 502(s) in nginx's log; error log:\n{}",
        outcomes.len(),
        summary(&outcomes),
        kill_sent.duration_since(load.until - LOAD),
        failures.len(),
        failures
            .iter()
            .map(|f| format!(
                "{:?} {:?} sent {:?} before the kill, ended {:?} after",
                f.kind,
                f.status,
                kill_sent.saturating_duration_since(f.started),
                f.ended.saturating_duration_since(kill_sent)
            ))
            .collect::<Vec<_>>(),
        proxy_502s.len(),
        nginx.error_log()
    );
    for kind in [
        Kind::Login,
        Kind::ClientCredentials,
        Kind::Refresh,
        Kind::CreateUser,
        Kind::Jwks,
    ] {
        assert!(
            outcomes.iter().any(|o| o.kind == kind && !o.failed()),
            "{kind:?}: nothing succeeded"
        );
    }
    assert!(
        failures.len() <= concurrency,
        "more failures than requests in flight"
    );
    for f in &failures {
        assert!(
            f.started <= kill_done && f.ended >= kill_sent,
            "a request that was not in flight at the kill failed: {f:?}"
        );
        assert!(
            f.status.is_none() || f.status == Some(502),
            "a failure is the proxy's 502 or a lost connection: {f:?}"
        );
        assert_ne!(
            f.kind,
            Kind::Jwks,
            "an idempotent GET goes to the next instance"
        );
    }
    for line in &proxy_502s {
        assert!(
            line.contains(&killed),
            "a 502 from another instance: {line}"
        );
    }

    // (a) Nothing acknowledged was lost: the newest refresh token of each
    // family still rotates; every user whose creation was acknowledged exists.
    for rt in &newest {
        let (status, body) = token(
            &http,
            &base,
            SLUG,
            (&web.0, &web.1),
            &[("grant_type", "refresh_token"), ("refresh_token", rt)],
        )
        .await
        .expect("refresh");
        assert_eq!(status, 200, "the newest token of a family: {body}");
    }
    assert!(!created.is_empty());
    let database = service_kit::db::connect(&db.url, PoolSettings::default())
        .await
        .expect("connect");
    let tenant = auth_server::domain::tenant::TenantId::parse(&tenant_id).expect("id");
    let store = auth_server::store::users::UserStore::new(database.pool.clone());
    for email in &created {
        let email = auth_server::domain::email::Email::parse(email).expect("email");
        assert!(
            store
                .find_by_email(tenant, &email)
                .await
                .expect("lookup")
                .is_some(),
            "{email:?} was acknowledged and is missing"
        );
    }

    // (e) still once, after everything.
    let (rotated, active, next, retired) = rotation_state(&db.url, rotating).await;
    assert_eq!(
        rotated, 2,
        "RS256 and ES256 rotated once each, by one instance"
    );
    assert_eq!((active, next, retired), (2, 2, 2));
    eprintln!(
        "rotation: {rotated} key_rotated events; keys active/next/retired {active}/{next}/{retired}; \
         disabled client refused by B and C within {refused_within:?}; {} users created under load",
        created.len()
    );
}

/// Per kind: (successes, failures).
fn summary(outcomes: &[Outcome]) -> String {
    [
        Kind::Login,
        Kind::ClientCredentials,
        Kind::Refresh,
        Kind::CreateUser,
        Kind::Jwks,
    ]
    .iter()
    .map(|k| {
        let of_kind = outcomes.iter().filter(|o| o.kind == *k);
        let (ok, failed): (Vec<_>, Vec<_>) = of_kind.partition(|o| !o.failed());
        format!("{k:?} {}/{}", ok.len(), failed.len())
    })
    .collect::<Vec<_>>()
    .join(", ")
}

/// Requests `method path` per instance that answered them, from the access log.
fn count_by_upstream(
    log: &str,
    method: &str,
    path: &str,
) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for line in log.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        if fields.get(1) == Some(&method) && fields.get(2) == Some(&path) {
            if let Some(upstream) = fields.get(4) {
                *counts
                    .entry(upstream.trim_matches('"').to_owned())
                    .or_insert(0) += 1;
            }
        }
    }
    counts
}

/// When the request of an access log line came in, in Unix milliseconds:
/// `$msec` (when it was logged, at its end) less `$request_time`.
fn started_msec(line: &str) -> Option<u128> {
    let fields: Vec<&str> = line.split(' ').collect();
    let logged: f64 = fields.first()?.parse().ok()?;
    let took: f64 = fields.last()?.parse().ok()?;
    Some(((logged - took) * 1000.0) as u128)
}

/// `at` as Unix milliseconds.
fn unix_msec_at(at: Instant) -> u128 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis();
    now - Instant::now().saturating_duration_since(at).as_millis()
}

fn uuid_like() -> String {
    service_kit::secret::generate()
        .expect("csprng")
        .replace(['-', '_'], "x")
}
