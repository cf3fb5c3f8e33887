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
#[path = "scale_out/access_log.rs"]
mod access_log;
mod common;
#[path = "scale_out/load.rs"]
mod load;
#[path = "scale_out/rotation.rs"]
mod rotation;

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use auth_server::domain::tenant::TenantId;
use common::auth_process::{password_hash, AuthProcess, Deployment, Manage};
use common::browser::{token, Browser};
use common::nginx::Nginx;
use load::{http_from, Kind, Load, Outcome};
use serde_json::json;
use service_kit::db::{Engine, PoolSettings};
use service_kit::testing::TestDb;

const SLUG: &str = "scale";
const PASSWORD: &str = "Quartz-violet-harbour-42";
/// `AUTH_FORM_RATE_PER_MINUTE` of every instance.
const FORM_BUDGET: usize = 20;
/// How long the load runs; the kill is at its middle.
const LOAD: Duration = Duration::from_secs(8);
const REDIRECT_URI: &str = "https://app.scale.test/callback";
/// Refresh token families rotated under load, one task each.
const FAMILIES: usize = 4;

/// The machine's Redis (`TEST_REDIS_URL` of the run, else the local one).
fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// Three instances behind nginx, and what the test made on them.
struct Cluster {
    db: TestDb,
    _dir: tempfile::TempDir,
    deployment: Deployment,
    instances: Vec<AuthProcess>,
    nginx: Nginx,
    http: reqwest::Client,
    tenant_id: String,
    /// A client_credentials client used under load.
    cc: (String, String),
    /// A client_credentials client that gets disabled.
    doomed: (String, String),
    /// A first-party web client with refresh tokens and a reuse interval.
    web: (String, String),
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
    let prefix = format!(
        "connectauth-test-{}:",
        service_kit::secret::generate().expect("csprng")
    );
    deployment
        .set("REDIS_URL", &redis_url())
        .set("REDIS_KEY_PREFIX", &prefix)
        .set("AUTH_FORM_RATE_PER_MINUTE", &FORM_BUDGET.to_string())
        // The test's clients are loopback addresses: never blocked.
        .set("AUTH_SENTINEL_NEVER_BLOCK", "127.0.0.0/8,::1");
    deployment.migrate(dir.path());
    let rotating = rotation::tenant_with_month_old_keys(&db.url, "rotating").await;

    let instances: Vec<AuthProcess> = (0..3).map(|_| deployment.spawn(dir.path())).collect();
    for instance in &instances {
        instance.ready().await;
    }
    let ports: Vec<u16> = instances.iter().map(|i| i.port).collect();
    let nginx = Nginx::start(&nginx_bin, &ports).await;

    // (e) Key rotation: each instance checks at start; one rotates.
    let deadline = Instant::now() + Duration::from_secs(15);
    while rotation::rotation_state(&db.url, rotating).await.0 < 2 {
        assert!(Instant::now() < deadline, "the due keys were not rotated");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let mut cluster = provision(db, dir, deployment, instances, nginx).await;
    form_budget_is_one_across_instances(&cluster).await;
    lockout_through_one_holds_on_the_others(&cluster).await;
    let refused_within = disabled_client_is_refused_by_the_others(&cluster).await;
    let families = refresh_families(&cluster).await;
    let (newest, created) = load_with_a_kill(&mut cluster, families).await;
    nothing_acknowledged_was_lost(&cluster, &newest, &created).await;

    // (e) still once, after everything.
    let (rotated, active, next, retired) =
        rotation::rotation_state(&cluster.db.url, rotating).await;
    eprintln!(
        "rotation: {rotated} key_rotated events; keys active/next/retired {active}/{next}/{retired}; \
         disabled client refused by the other instances within {refused_within:?}; \
         {} users created under load",
        created.len()
    );
    assert_eq!(
        rotated, 2,
        "RS256 and ES256 rotated once each, by one instance"
    );
    assert_eq!((active, next, retired), (2, 2, 2));
}

/// Through nginx's management API: the tenant, its clients and users.
async fn provision(
    db: TestDb,
    dir: tempfile::TempDir,
    deployment: Deployment,
    instances: Vec<AuthProcess>,
    nginx: Nginx,
) -> Cluster {
    let http = http_from(None);
    let base = nginx.url("");
    let manage = Manage {
        http: &http,
        base: &base,
        token: &deployment.admin_token,
    };
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
    let mut users: Vec<String> = ["login-1", "login-2", "limited", "locked"]
        .iter()
        .map(|u| format!("{u}@scale.test"))
        .collect();
    users.extend((1..=FAMILIES).map(|n| format!("refresh-{n}@scale.test")));
    let imported = manage
        .import_users(&tenant_id, &users, &password_hash(PASSWORD))
        .await;
    assert_eq!(imported, 200);
    Cluster {
        db,
        _dir: dir,
        deployment,
        instances,
        nginx,
        http,
        tenant_id,
        cc,
        doomed,
        web,
    }
}

/// (c) From one address, twice the form budget of logins, round robin over
/// the three instances: the budget passes, not three budgets.
async fn form_budget_is_one_across_instances(cluster: &Cluster) {
    let limited = Browser::new(
        http_from(Some(Ipv4Addr::new(127, 0, 99, 1))),
        &cluster.nginx.url(""),
    );
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
    let refused = statuses.iter().filter(|s| **s == 429).count();
    let by_instance = access_log::count_by_upstream(
        &cluster.nginx.access_log(),
        "POST",
        &format!("/t/{SLUG}/login"),
    );
    eprintln!(
        "rate limit: {let_through} of {} logins let through, {refused} refused 429; \
         login POSTs per instance: {by_instance:?}",
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
    assert_eq!(let_through + refused, statuses.len(), "{statuses:?}");
    assert_eq!(by_instance.len(), 3, "every instance took some of them");
}

/// (d) Five wrong passwords through instance A lock the account on B and C.
async fn lockout_through_one_holds_on_the_others(cluster: &Cluster) {
    let direct = |i: usize| Browser::new(http_from(None), &cluster.instances[i].url(""));
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
}

/// (f) A client disabled through A's management API is refused by B and C
/// within the cache bound; returns how long that took.
async fn disabled_client_is_refused_by_the_others(cluster: &Cluster) -> Duration {
    let doomed_token = |i: usize| {
        let http = cluster.http.clone();
        let base = cluster.instances[i].url("");
        let (id, secret) = cluster.doomed.clone();
        async move {
            token(
                &http,
                &base,
                SLUG,
                (&id, &secret),
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
        http: &cluster.http,
        base: &cluster.instances[0].url(""),
        token: &cluster.deployment.admin_token,
    };
    let path = format!(
        "/tenants/{}/clients/{}/disable",
        cluster.tenant_id, cluster.doomed.0
    );
    assert_eq!(on_a.post(&path, &json!({})).await.0, 200);
    let disabled_at = Instant::now();
    let bound = u64::try_from(auth_server::cache::STALE_BOUND_SECS).unwrap_or(1);
    for i in [1, 2] {
        loop {
            let status = doomed_token(i).await;
            if status == 401 {
                break;
            }
            assert_eq!(status, 200);
            assert!(
                disabled_at.elapsed() < Duration::from_secs(bound + 1),
                "instance {i} still accepts the disabled client after {:?}",
                disabled_at.elapsed()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    disabled_at.elapsed()
}

/// One refresh token per family: a login, a code, its exchange.
async fn refresh_families(cluster: &Cluster) -> Vec<String> {
    let base = cluster.nginx.url("");
    let mut families = Vec::new();
    for n in 1..=FAMILIES {
        let browser = Browser::new(cluster.http.clone(), &base);
        let user = format!("refresh-{n}@scale.test");
        let login = browser.log_in(SLUG, &user, PASSWORD).await.expect("login");
        assert_eq!(login.status, 303, "{}", login.body);
        let code = browser
            .authorization_code(SLUG, &cluster.web.0, REDIRECT_URI)
            .await;
        let (status, body) = token(
            &cluster.http,
            &base,
            SLUG,
            (&cluster.web.0, &cluster.web.1),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT_URI),
            ],
        )
        .await
        .expect("exchange");
        assert_eq!(status, 200, "{body}");
        let refresh_token = body["refresh_token"].as_str().expect("refresh token");
        families.push(refresh_token.to_owned());
    }
    families
}

/// (b) The load through nginx, instance B killed with SIGKILL at its
/// middle: only requests in flight to B fail. Returns the newest refresh
/// token of each family and the users whose creation was acknowledged.
async fn load_with_a_kill(
    cluster: &mut Cluster,
    families: Vec<String>,
) -> (Vec<String>, Vec<String>) {
    let load = Arc::new(Load {
        base: cluster.nginx.url(""),
        tenant_id: cluster.tenant_id.clone(),
        admin_token: cluster.deployment.admin_token.clone(),
        cc: cluster.cc.clone(),
        web: cluster.web.clone(),
        until: Instant::now() + LOAD,
    });
    let plain = vec![
        tokio::spawn(load::logins(load.clone(), 11, "login-1@scale.test".into())),
        tokio::spawn(load::logins(load.clone(), 12, "login-2@scale.test".into())),
        tokio::spawn(load::client_credentials(load.clone())),
        tokio::spawn(load::client_credentials(load.clone())),
        tokio::spawn(load::jwks_reads(load.clone())),
    ];
    let rotations: Vec<_> = families
        .into_iter()
        .map(|rt| tokio::spawn(load::refreshes(load.clone(), rt)))
        .collect();
    let creations = tokio::spawn(load::user_creations(load.clone()));
    // Each task has at most one request in flight.
    let concurrency = plain.len() + rotations.len() + 1;

    tokio::time::sleep(LOAD / 2).await;
    let killed = format!("127.0.0.1:{}", cluster.instances[1].port);
    let kill_sent = Instant::now();
    cluster.instances[1].kill_hard();
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

    let failures: Vec<&Outcome> = outcomes.iter().filter(|o| o.failed()).collect();
    let log = cluster.nginx.access_log();
    // Requests nginx sent to the killed instance after it was gone (each
    // then went on to another instance, or it would be among the failures).
    let to_killed_after = log
        .lines()
        .filter(|l| l.contains(&killed))
        .filter(|l| {
            access_log::started_msec(l).is_some_and(|t| t > access_log::unix_msec_at(kill_done))
        })
        .count();
    let proxy_502s: Vec<&str> = log
        .lines()
        .filter(|l| l.split(' ').nth(3) == Some("502"))
        .collect();
    eprintln!(
        "load: {} requests in {LOAD:?} from {concurrency} tasks ({}); killed {killed} at {:?} \
         into the load; {} failed: {:?}; nginx sent {to_killed_after} request(s) to the killed \
         instance after the kill; {} 502(s) in nginx's log; error log:\n{}",
        outcomes.len(),
        load::summary(&outcomes),
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
        cluster.nginx.error_log()
    );
    for kind in Kind::ALL {
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
    // max_fails=1: the first failure marks it down for fail_timeout (10 s,
    // past the end of the load). That failure is a request in flight at the
    // kill, or else one request sent after it (refused, and sent on).
    assert!(
        to_killed_after <= 1,
        "nginx kept sending to the killed instance: {to_killed_after} requests"
    );
    for line in &proxy_502s {
        assert!(
            line.contains(&killed),
            "a 502 from another instance: {line}"
        );
    }
    (newest, created)
}

/// (a) The newest refresh token each client received still rotates; every
/// user whose creation was acknowledged exists.
async fn nothing_acknowledged_was_lost(cluster: &Cluster, newest: &[String], created: &[String]) {
    let base = cluster.nginx.url("");
    for rt in newest {
        let (status, body) = token(
            &cluster.http,
            &base,
            SLUG,
            (&cluster.web.0, &cluster.web.1),
            &[("grant_type", "refresh_token"), ("refresh_token", rt)],
        )
        .await
        .expect("refresh");
        assert_eq!(status, 200, "the newest token of a family: {body}");
    }
    assert!(!created.is_empty());
    let database = service_kit::db::connect(&cluster.db.url, PoolSettings::default())
        .await
        .expect("connect");
    let tenant = TenantId::parse(&cluster.tenant_id).expect("id");
    let users = auth_server::store::users::UserStore::new(database.pool.clone());
    for email in created {
        let email = auth_server::domain::email::Email::parse(email).expect("email");
        let found = users.find_by_email(tenant, &email).await.expect("lookup");
        assert!(found.is_some(), "{email:?} was acknowledged and is missing");
    }
}
