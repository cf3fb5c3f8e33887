//! The sentinel against real attacks on the real server: a password spray
//! (one address, and one IPv6 /64, many accounts), a brute force on one
//! account, credential stuffing from many loopback-shaped addresses and a
//! signup flood are each detected, audited and mailed to the owner; the
//! attackers are answered 403 at the edge (by every instance) until the
//! block expires or an operator lifts it; allowlisted and never-blocked
//! addresses are spared; normal traffic with a typo raises nothing.
use std::sync::Arc;
use std::time::Duration;

use auth_server::domain::tenant::Tenant;
use auth_server::store::audit::AuditStore;
use auth_server::store::blocks::{AppliesTo, BlockStore, NewBlock};
use auth_server::store::sentinel::SentinelStore;
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::clock::{Clock, ManualClock};
use service_kit::db::Engine;

use crate::dashboard_pages::{make_owner, platform_user};
use crate::helpers::{spawn_app_with_clock, TestApp, PASSWORD};
use crate::web::Web;
use crate::webhook_receiver::Receiver;

pub(crate) const OWNER: &str = "founder@acme.example";

pub(crate) struct Scene {
    pub(crate) app: TestApp,
    pub(crate) clock: Arc<ManualClock>,
    pub(crate) tenant: Tenant,
}

/// The server with the sentinel on behind a proxy at 127.0.0.1 (so a test
/// client picks its address with `X-Forwarded-For`), tenant `acme` with
/// `settings`, and its owner.
pub(crate) async fn scene(engine: Engine, extra: &[(&str, &str)], settings: Value) -> Scene {
    let start = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let clock = Arc::new(ManualClock::new(i64::try_from(start).expect("i64")));
    let mut env = vec![
        ("AUTH_SENTINEL", "on"),
        ("AUTH_TRUSTED_PROXIES", "127.0.0.1"),
    ];
    env.extend_from_slice(extra);
    let app = spawn_app_with_clock(engine, &env, clock.clone()).await;
    let tenant = app.tenant("acme", settings).await;
    platform_user(&app, OWNER).await;
    make_owner(&app, &tenant, OWNER).await;
    Scene { app, clock, tenant }
}

/// A browser at `ip`, behind the trusted proxy.
pub(crate) fn from(base: &str, ip: &str) -> Web {
    let mut web = Web::new(base);
    web.forwarded_for = Some(ip.to_owned());
    web
}

/// A wrong password for `email` on acme: the status of the answer.
async fn fail(s: &Scene, web: &Web, email: &str) -> u16 {
    s.app.login(web, "acme", email, "wrong guess!").await.status
}

pub(crate) async fn login_page(web: &Web) -> u16 {
    web.get("/t/acme/login").await.status
}

/// Polls `check` every 100 ms for at most `secs` seconds.
pub(crate) async fn within<F, Fut>(secs: u64, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The tenant's `sentinel` events, oldest first: (outcome, detail).
pub(crate) async fn sentinel_events(s: &Scene) -> Vec<(String, Value)> {
    let mut events: Vec<(String, Value)> = AuditStore::new(s.app.database.pool.clone())
        .recent(s.tenant.id, 1000)
        .await
        .expect("audit")
        .into_iter()
        .filter(|e| e.kind == "sentinel")
        .map(|e| {
            let detail = serde_json::from_str(&e.detail).expect("detail is JSON");
            (e.outcome, detail)
        })
        .collect();
    events.reverse();
    events
}

/// The detail of the first `sentinel` event with `outcome`.
pub(crate) async fn event(s: &Scene, outcome: &str) -> Option<Value> {
    sentinel_events(s)
        .await
        .into_iter()
        .find(|(o, _)| o == outcome)
        .map(|(_, d)| d)
}

pub(crate) async fn blocks(s: &Scene) -> Vec<Value> {
    let list = s
        .app
        .admin_json(&format!("/manage/v1/tenants/{}/blocks", s.tenant.id))
        .await;
    list["items"].as_array().expect("items").clone()
}

/// The next security alert mailed to the owner.
pub(crate) async fn alert(s: &Scene) -> String {
    for _ in 0..3 {
        let mail = s.app.mail_to(OWNER).await;
        if mail
            .subject
            .as_deref()
            .is_some_and(|t| t.contains("sécurité"))
        {
            return mail.text.unwrap_or_default();
        }
    }
    panic!("no security alert for {OWNER}");
}

/// Subscribes `receiver` to the tenant's `security.incident` events.
pub(crate) async fn subscribe(app: &TestApp, tenant: &Tenant, receiver: &Receiver) {
    let resp = app
        .admin(
            Method::POST,
            &format!("/manage/v1/tenants/{}/webhooks", tenant.id),
        )
        .json(&json!({
            "url": format!("{}/security", receiver.url),
            "events": ["security.incident"],
        }))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 201);
}

async fn password_spray_is_blocked_at_the_edge_until_it_expires(engine: Engine) {
    let s = scene(engine, &[], json!({})).await;
    let attacker = from(&s.app.address, "203.0.113.7");
    let bystander = from(&s.app.address, "198.51.100.8");
    for i in 0..10 {
        assert_eq!(
            fail(&s, &attacker, &format!("user{i}@acme.example")).await,
            401
        );
    }
    assert!(
        within(5, || async { login_page(&attacker).await == 403 }).await,
        "the spraying address is refused within 5 s"
    );
    let refused = attacker
        .get("/t/acme/.well-known/openid-configuration")
        .await;
    assert_eq!(refused.status, 403, "every endpoint of the tenant");
    assert!(refused.body.contains("blocked"), "{}", refused.body);
    let retry: i64 = refused.headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((3590..=3600).contains(&retry), "{retry}");
    assert_eq!(login_page(&bystander).await, 200, "others are let in");

    let detected = event(&s, "password_spray").await.expect("incident");
    assert_eq!(detected["subject"], "203.0.113.7/32");
    assert_eq!(detected["evidence"]["accounts"], 10);
    assert_eq!(detected["blocking"], json!(["203.0.113.7/32"]));
    let blocked = event(&s, "blocked").await.expect("block event");
    assert_eq!(blocked["network"], "203.0.113.7/32");
    assert_eq!(blocked["incident"], detected["incident"]);
    let listed = blocks(&s).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["network"], "203.0.113.7/32");
    assert_eq!(listed[0]["created_by"], "sentinel");
    assert_eq!(listed[0]["reason"], "password_spray: 203.0.113.7/32");

    let text = alert(&s).await;
    assert!(text.contains("password spraying"), "{text}");
    assert!(text.contains("pulvérisation"), "{text}");
    assert!(text.contains("/dashboard/t/acme/events"), "{text}");
    assert!(event(&s, "alerted").await.is_some());

    // An hour later the block has run out.
    s.clock.advance(3600);
    assert_eq!(login_page(&attacker).await, 200, "the block expired");
    assert!(blocks(&s).await.is_empty());
    let cleanup = crate::cleanup::runner(&s.app.database, s.clock.clone(), Default::default());
    assert_eq!(
        crate::cleanup::pass(&cleanup).await.blocked_addresses,
        1,
        "the scheduled cleanup removes expired blocks"
    );
    let stored = BlockStore::new(s.app.database.pool.clone());
    assert!(stored.active(0).await.expect("blocks").is_empty());
}
both_engines!(
    spray_blocked_until_expiry,
    password_spray_is_blocked_at_the_edge_until_it_expires
);

async fn a_block_holds_on_every_instance_until_an_operator_lifts_it(engine: Engine) {
    let s = scene(engine, &[], json!({})).await;
    let peer = s
        .app
        .spawn_peer_with(s.clock.clone(), &[("AUTH_TRUSTED_PROXIES", "127.0.0.1")])
        .await;
    // One IPv6 host spraying from ten addresses of its /64.
    for i in 1..=10 {
        let web = from(&s.app.address, &format!("2001:db8:7:7::{i}"));
        assert_eq!(fail(&s, &web, &format!("user{i}@acme.example")).await, 401);
    }
    let here = from(&s.app.address, "2001:db8:7:7::beef");
    let there = from(&peer, "2001:db8:7:7::beef");
    assert!(within(5, || async { login_page(&here).await == 403 }).await);
    assert!(
        within(2, || async { login_page(&there).await == 403 }).await,
        "the other instance enforces the block within its refresh"
    );
    assert_eq!(login_page(&from(&peer, "2001:db8:7:8::1")).await, 200);

    let listed = blocks(&s).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["network"], "2001:db8:7:7::/64");
    let path = format!(
        "/manage/v1/tenants/{}/blocks/{}",
        s.tenant.id,
        listed[0]["id"].as_str().expect("id")
    );
    let lifted = s
        .app
        .admin(Method::DELETE, &path)
        .send()
        .await
        .expect("sent");
    assert_eq!(lifted.status(), 204);
    let again = s
        .app
        .admin(Method::DELETE, &path)
        .send()
        .await
        .expect("sent");
    crate::helpers::assert_problem(again, 404, "not-found").await;
    assert!(within(3, || async { login_page(&here).await == 200 }).await);
    assert!(within(3, || async { login_page(&there).await == 200 }).await);
    let unblocked = event(&s, "unblocked").await.expect("audited");
    assert_eq!(unblocked["network"], "2001:db8:7:7::/64");
    assert_eq!(unblocked["by"], "by the operator");
    // The tenant's blocks are its own: another tenant's id finds nothing.
    let other = s.app.tenant("other", json!({})).await;
    let elsewhere = s
        .app
        .admin(
            Method::DELETE,
            &format!("/manage/v1/tenants/{}/blocks/{}", other.id, "x"),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(elsewhere.status(), 404);
}
both_engines!(
    block_on_every_instance_until_lifted,
    a_block_holds_on_every_instance_until_an_operator_lifts_it
);

async fn a_global_block_refuses_on_every_tenant_but_never_the_operator(engine: Engine) {
    let s = scene(engine, &[], json!({})).await;
    s.app.tenant("other", json!({})).await;
    let now = s.clock.now();
    let store = BlockStore::new(s.app.database.pool.clone());
    for network in ["198.51.100.0/24", "127.0.0.0/8"] {
        store
            .insert(&NewBlock {
                tenant_id: None,
                network,
                reason: "operator: abuse report",
                created_by: "operator",
                created_at: now,
                expires_at: now + 600,
                applies_to: AppliesTo::Tenant,
            })
            .await
            .expect("global block");
    }
    let blocked = from(&s.app.address, "198.51.100.77");
    assert!(within(3, || async { login_page(&blocked).await == 403 }).await);
    assert_eq!(
        blocked.get("/t/other/login").await.status,
        403,
        "every tenant"
    );
    assert_eq!(
        login_page(&s.app.web()).await,
        200,
        "a block covering AUTH_SENTINEL_NEVER_BLOCK is not enforced"
    );
    assert!(
        blocks(&s).await.is_empty(),
        "a tenant lists its own blocks only"
    );
}
both_engines!(
    global_block,
    a_global_block_refuses_on_every_tenant_but_never_the_operator
);

async fn brute_force_on_one_account_blocks_the_attacker_not_the_owner(engine: Engine) {
    let s = scene(engine, &[], json!({})).await;
    s.app
        .signup_verified(&s.app.web(), "acme", "alice@acme.example", PASSWORD)
        .await;
    let home = from(&s.app.address, "198.51.100.4");
    assert_eq!(fail(&s, &home, "alice@acme.example").await, 401, "a typo");
    // Nine more: the tenth failure on the account, and the last attempt
    // (the sentinel may block the address right after it).
    let attacker = from(&s.app.address, "203.0.113.20");
    for _ in 0..9 {
        let status = fail(&s, &attacker, "alice@acme.example").await;
        // The account lockout answers 429 once it locks; the attempts count.
        assert!(matches!(status, 401 | 429), "{status}");
    }
    assert!(within(5, || async { login_page(&attacker).await == 403 }).await);
    assert_eq!(
        login_page(&home).await,
        200,
        "the owner's address is not blocked"
    );
    let detected = event(&s, "brute_force").await.expect("incident");
    assert_eq!(detected["evidence"]["failures"], 10);
    assert_eq!(detected["evidence"]["addresses"], 2);
    assert_eq!(detected["blocking"], json!(["203.0.113.20/32"]));
    let subject = detected["subject"].as_str().expect("subject");
    assert!(
        !subject.contains("alice"),
        "the account is a digest: {subject}"
    );
    assert!(alert(&s).await.contains("brute-force"));
}
both_engines!(
    brute_force_blocks_attacker_only,
    brute_force_on_one_account_blocks_the_attacker_not_the_owner
);

async fn credential_stuffing_from_many_addresses_blocks_each_of_them(engine: Engine) {
    let s = scene(engine, &[], json!({})).await;
    s.app
        .signup_verified(&s.app.web(), "acme", "alice@acme.example", PASSWORD)
        .await;
    let bots: Vec<Web> = (1..=12)
        .map(|i| from(&s.app.address, &format!("127.0.1.{i}")))
        .collect();
    for (i, bot) in bots.iter().enumerate() {
        for pair in ["a", "b"] {
            let email = format!("leaked{i}{pair}@mail.example");
            assert_eq!(fail(&s, bot, &email).await, 401);
        }
    }
    let alice = from(&s.app.address, "127.0.2.1");
    let ok = s
        .app
        .login(&alice, "acme", "alice@acme.example", PASSWORD)
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    for bot in &bots {
        assert!(
            within(5, || async { login_page(bot).await == 403 }).await,
            "{:?}",
            bot.forwarded_for
        );
    }
    assert_eq!(
        login_page(&from(&s.app.address, "127.0.2.1")).await,
        200,
        "the address that logged in is not blocked"
    );
    assert_eq!(
        login_page(&s.app.web()).await,
        200,
        "loopback is never blocked"
    );
    let detected = event(&s, "credential_stuffing").await.expect("incident");
    assert_eq!(detected["subject"], "tenant");
    assert!(detected["evidence"]["addresses"].as_u64() >= Some(10));
    assert_eq!(blocks(&s).await.len(), 12);
    let incidents = SentinelStore::new(s.app.database.pool.clone())
        .incident_count(s.tenant.id, "credential_stuffing")
        .await
        .expect("count");
    assert_eq!(incidents, 1, "one attack, one incident");
    assert!(alert(&s).await.contains("credential stuffing"));
}
both_engines!(
    stuffing_blocks_each_bot,
    credential_stuffing_from_many_addresses_blocks_each_of_them
);

async fn allowlisted_and_never_blocked_addresses_are_spared(engine: Engine) {
    let s = scene(
        engine,
        &[],
        json!({ "sentinel_allowlist": ["203.0.113.0/24"] }),
    )
    .await;
    let partner = from(&s.app.address, "203.0.113.9");
    for i in 0..10 {
        assert_eq!(
            fail(&s, &partner, &format!("user{i}@acme.example")).await,
            401
        );
    }
    // The operator's loopback (AUTH_SENTINEL_NEVER_BLOCK's default).
    let operator = s.app.web();
    for i in 0..10 {
        assert_eq!(
            fail(&s, &operator, &format!("ops{i}@acme.example")).await,
            401
        );
    }
    assert!(
        within(5, || async {
            sentinel_events(&s)
                .await
                .iter()
                .filter(|(o, _)| o == "password_spray")
                .count()
                == 2
        })
        .await,
        "{:?}",
        sentinel_events(&s).await
    );
    for (outcome, detail) in sentinel_events(&s).await {
        assert_ne!(outcome, "blocked", "{detail}");
        if outcome == "password_spray" {
            assert_eq!(detail["blocking"], json!([]), "{detail}");
            assert_eq!(detail["spared"].as_array().map(Vec::len), Some(1));
        }
    }
    assert!(blocks(&s).await.is_empty());
    assert_eq!(login_page(&partner).await, 200);
    assert_eq!(login_page(&operator).await, 200);
}
both_engines!(
    allowlist_spares,
    allowlisted_and_never_blocked_addresses_are_spared
);

async fn a_signup_flood_is_reported_to_the_owner(engine: Engine) {
    // The tenant's own threshold, over the server's 50.
    let s = scene(engine, &[], json!({ "sentinel_signup_flood": 5 })).await;
    let web = from(&s.app.address, "192.0.2.50");
    for i in 0..5 {
        web.get("/t/acme/signup").await;
        let done = web
            .post(
                "/t/acme/signup",
                &[
                    ("email", format!("new{i}@mail.example").as_str()),
                    ("password", PASSWORD),
                    ("display_name", "New"),
                ],
            )
            .await;
        assert_eq!(done.status, 200, "{}", done.body);
    }
    assert!(within(5, || async { event(&s, "signup_flood").await.is_some() }).await);
    let detected = event(&s, "signup_flood").await.expect("incident");
    assert_eq!(detected["evidence"]["attempts"], 5);
    assert!(alert(&s).await.contains("sign-ups"));
    assert_eq!(login_page(&web).await, 200, "a flood blocks nobody");
}
both_engines!(
    signup_flood_reported,
    a_signup_flood_is_reported_to_the_owner
);

async fn normal_traffic_with_a_typo_raises_nothing(engine: Engine) {
    let s = scene(engine, &[], json!({})).await;
    let users = ["ann@acme.example", "ben@acme.example", "cat@acme.example"];
    for email in users {
        s.app
            .signup_verified(&s.app.web(), "acme", email, PASSWORD)
            .await;
    }
    for (i, email) in users.iter().enumerate() {
        let web = from(&s.app.address, &format!("198.51.100.{}", i + 1));
        if i == 1 {
            assert_eq!(fail(&s, &web, email).await, 401, "a typo");
        }
        for _ in 0..3 {
            let page = s.app.login(&web, "acme", email, PASSWORD).await;
            assert_eq!(page.status, 303, "{}", page.body);
        }
    }
    let sentinel = SentinelStore::new(s.app.database.pool.clone());
    assert!(
        within(5, || async { sentinel.unread().await.expect("lag") == 0 }).await,
        "the sentinel read every event"
    );
    assert!(sentinel_events(&s).await.is_empty());
    assert!(blocks(&s).await.is_empty());
    for i in 1..=3 {
        let web = from(&s.app.address, &format!("198.51.100.{i}"));
        assert_eq!(login_page(&web).await, 200);
    }
}
both_engines!(
    normal_traffic_quiet,
    normal_traffic_with_a_typo_raises_nothing
);

async fn with_the_sentinel_off_a_spray_is_neither_read_nor_blocked(engine: Engine) {
    // The test servers' default: AUTH_SENTINEL=off.
    let app =
        crate::helpers::spawn_app_with(engine, &[("AUTH_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let tenant = app.tenant("acme", json!({})).await;
    let attacker = from(&app.address, "203.0.113.7");
    for i in 0..12 {
        let page = app
            .login(
                &attacker,
                "acme",
                &format!("user{i}@acme.example"),
                "wrong guess!",
            )
            .await;
        assert_eq!(page.status, 401);
    }
    // Three ticks: a running sentinel would have read everything by now.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let unread = SentinelStore::new(app.database.pool.clone())
        .unread()
        .await
        .expect("unread");
    assert!(
        unread >= 12,
        "nobody read the trail: {unread} events unread"
    );
    assert_eq!(attacker.get("/t/acme/login").await.status, 200);
    let kinds = app.audit_kinds(&tenant).await;
    assert!(kinds.iter().all(|(k, _)| k != "sentinel"), "{kinds:?}");
}
both_engines!(
    off_reads_nothing,
    with_the_sentinel_off_a_spray_is_neither_read_nor_blocked
);

async fn one_instance_at_a_time_holds_the_sentinel_lease(engine: Engine) {
    let db = service_kit::testing::TestDb::new(engine).await;
    let database = service_kit::db::connect(&db.url, service_kit::db::PoolSettings::default())
        .await
        .expect("connect");
    service_kit::db::migrate(&database, &auth_server::MIGRATIONS)
        .await
        .expect("migrate");
    let store = SentinelStore::new(database.pool.clone());
    assert!(store.try_lease("a", 100, 110).await.expect("lease"));
    assert!(
        !store.try_lease("b", 105, 115).await.expect("lease"),
        "a holds it"
    );
    assert!(store.try_lease("a", 105, 115).await.expect("renewed"));
    assert!(!store.try_lease("b", 114, 124).await.expect("lease"));
    assert!(store
        .try_lease("b", 116, 126)
        .await
        .expect("a stopped renewing"));
    assert!(!store.try_lease("a", 117, 127).await.expect("lease"));
    store.release("b").await.expect("released");
    assert!(store.try_lease("a", 118, 128).await.expect("given back"));
}
both_engines!(
    one_lease_holder,
    one_instance_at_a_time_holds_the_sentinel_lease
);
