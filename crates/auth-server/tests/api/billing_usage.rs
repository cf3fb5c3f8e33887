//! Usage reports to billing: distinct users per month and window from the
//! audit trail and refresh tokens, the cursor that moves only after billing
//! acknowledged, month boundaries, the platform tenant left out, and two
//! reporters on one database.
use std::sync::Arc;

use auth_server::domain::audit::AuditEvent;
use auth_server::domain::tenant::Tenant;
use auth_server::store::activity::ActivityStore;
use auth_server::store::audit::AuditStore;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::clock::{Clock, ManualClock, SharedClock, SystemClock};
use service_kit::db::Engine;

use crate::billing_fake::{billing_for, FakeBilling};
use crate::helpers::{spawn_app, TestApp, PASSWORD};
use crate::oidc::{code_flow_with_scope, create_client, token};

// 2026-11-30T23:59:59Z and 2026-12-01T00:00:00Z.
const NOV_LAST: i64 = 1_796_083_199;
const DEC_FIRST: i64 = 1_796_083_200;
const SETTLE: i64 = 5;

async fn login_row(app: &TestApp, tenant: &Tenant, user: &str, at: i64, outcome: &str) {
    AuditStore::new(app.database.pool.clone())
        .insert(&AuditEvent {
            tenant_id: tenant.id.to_string(),
            user_id: Some(user.to_owned()),
            kind: "login".into(),
            outcome: outcome.into(),
            ip: "127.0.0.1".into(),
            user_agent: "test".into(),
            detail: "pwd".into(),
            account: None,
            created_at: at,
        })
        .await
        .expect("audit row");
}

async fn platform(app: &TestApp) -> Tenant {
    auth_server::store::tenants::TenantStore::new(app.database.pool.clone())
        .get_by_slug("platform")
        .await
        .expect("platform tenant")
}

/// The cursor as stored (every test runs a first round before reading it).
async fn cursor(app: &TestApp) -> i64 {
    ActivityStore::new(app.database.pool.clone())
        .cursor(0, 0)
        .await
        .expect("cursor")
}

fn events(body: &Value) -> Vec<(String, String, i64)> {
    body["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| {
            (
                e["tenant_id"].as_str().expect("tenant").to_owned(),
                e["user_id"].as_str().expect("user").to_owned(),
                e["at"].as_i64().expect("at"),
            )
        })
        .collect()
}

async fn many_logins_are_one_active_user(engine: Engine) {
    let fake = FakeBilling::start().await;
    let app = spawn_app(engine).await;
    let acme = app.tenant("acme", json!({})).await;
    let web = app.web();
    let (alice, bob) = ("alice@example.com", "bob@example.com");
    app.signup_verified(&web, "acme", alice, PASSWORD).await;
    app.signup_verified(&app.web(), "acme", bob, PASSWORD).await;
    for _ in 0..100 {
        let login = app.login(&web, "acme", alice, PASSWORD).await;
        assert_eq!(login.status, 303, "{}", login.body);
    }
    // And refreshes: a code flow (offline access, to get a refresh token), then three rotations.
    let client = create_client(&app, &acme.id.to_string(), json!({})).await;
    let mut tokens = code_flow_with_scope(
        &app,
        &app.web(),
        "acme",
        &client,
        bob,
        PASSWORD,
        "openid profile email offline_access",
    )
    .await;
    for _ in 0..3 {
        let refresh = tokens["refresh_token"]
            .as_str()
            .expect("refresh")
            .to_owned();
        let (status, next) = token(
            &app,
            "acme",
            &client,
            &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
        )
        .await;
        assert_eq!(status, 200, "{next}");
        tokens = next;
    }
    // A failed login is not activity.
    assert_eq!(
        app.login(&app.web(), "acme", "carol@example.com", PASSWORD)
            .await
            .status,
        401
    );

    let clock = Arc::new(ManualClock::new(SystemClock.now() + SETTLE + 1));
    let billing = billing_for(&app, &fake.url, clock.clone());
    let reporter = billing.reporter.as_ref().expect("reporter");
    let round = reporter.run_once().await.expect("round");
    assert_eq!((round.events, round.batches), (2, 1), "{round:?}");
    assert!(round.caught_up);
    let posts = fake.usage_posts();
    assert_eq!(posts.len(), 1);
    let sent = events(&posts[0]);
    let users: Vec<&str> = sent.iter().map(|(_, u, _)| u.as_str()).collect();
    assert_eq!(sent.len(), 2, "one event per user: {sent:?}");
    assert!(sent.iter().all(|(t, _, _)| *t == acme.id.to_string()));
    assert_ne!(users[0], users[1]);
    assert_eq!(fake.stored().len(), 2);

    // Nothing new: the next round sends nothing.
    let again = reporter.run_once().await.expect("round");
    assert_eq!(again.events, 0);
    assert_eq!(fake.usage_posts().len(), 1);

    // Alice again later: reported in the new window, counted once by billing.
    clock.advance(60);
    login_row(&app, &acme, users[0], clock.now() - SETTLE - 30, "success").await;
    login_row(&app, &acme, users[0], clock.now() - SETTLE - 20, "success").await;
    let later = reporter.run_once().await.expect("round");
    assert_eq!(later.events, 1);
    assert_eq!(fake.stored().len(), 2, "same user, same month");
}
both_engines!(usage_counts_distinct_users, many_logins_are_one_active_user);

async fn failed_rounds_are_resent(engine: Engine) {
    let fake = FakeBilling::start().await;
    let app = spawn_app(engine).await;
    let acme = app.tenant("acme", json!({})).await;
    let globex = app.tenant("globex", json!({})).await;
    let now = SystemClock.now();
    let clock = Arc::new(ManualClock::new(now));
    let billing = billing_for(&app, &fake.url, clock.clone() as SharedClock);
    let reporter = billing.reporter.as_ref().expect("reporter");
    // The first round fixes the cursor at the start of the month.
    reporter.run_once().await.expect("first round");
    let start = cursor(&app).await;
    assert_eq!(start, now - SETTLE);
    for (tenant, user, dt) in [
        (&acme, "u-1", 1),
        (&acme, "u-2", 2),
        (&globex, "u-1", 3),
        (&acme, "u-1", 4),
    ] {
        login_row(&app, tenant, user, now + dt, "success").await;
    }
    login_row(&app, &acme, "u-3", now + 5, "failure").await;
    clock.advance(60);

    fake.fail(true);
    let failed = reporter.run_once().await;
    assert!(failed.is_err(), "{failed:?}");
    assert_eq!(
        cursor(&app).await,
        start,
        "a refused report leaves the cursor"
    );
    assert!(fake.stored().is_empty());

    fake.fail(false);
    let round = reporter.run_once().await.expect("round");
    assert_eq!(round.events, 3);
    assert_eq!(cursor(&app).await, now + 60 - SETTLE);
    let posts = fake.usage_posts();
    assert_eq!(posts.len(), 2);
    assert_eq!(
        posts[0], posts[1],
        "the failed window is sent again as it was"
    );
    let mut sent = events(&posts[1]);
    sent.sort();
    let mut expected = vec![
        (acme.id.to_string(), "u-1".to_owned(), now + 1),
        (acme.id.to_string(), "u-2".to_owned(), now + 2),
        (globex.id.to_string(), "u-1".to_owned(), now + 3),
    ];
    expected.sort();
    assert_eq!(sent, expected, "earliest instant per user");
    assert_eq!(fake.stored().len(), 3);
    // Every request carried the service token.
    assert!(fake.requests().iter().all(|r| r.bearer.is_some()));
}
both_engines!(usage_failed_round_resent, failed_rounds_are_resent);

async fn months_split_at_utc_midnight(engine: Engine) {
    let fake = FakeBilling::start().await;
    let app = spawn_app(engine).await;
    let acme = app.tenant("acme", json!({})).await;
    let platform = platform(&app).await;
    let clock = Arc::new(ManualClock::new(NOV_LAST - 3600));
    let billing = billing_for(&app, &fake.url, clock.clone() as SharedClock);
    let reporter = billing.reporter.as_ref().expect("reporter");
    // The first run starts at 2026-11-01 and catches up window by window.
    let first = reporter.run_once().await.expect("first round");
    assert_eq!(first.reported_until, NOV_LAST - 3600 - SETTLE);
    assert!(first.caught_up && first.windows >= 29, "{first:?}");

    login_row(&app, &acme, "u-1", NOV_LAST, "success").await;
    login_row(&app, &acme, "u-1", DEC_FIRST, "success").await;
    login_row(&app, &platform, "owner-1", NOV_LAST, "success").await;
    login_row(&app, &platform, "owner-1", DEC_FIRST + 1, "success").await;
    clock.set(DEC_FIRST + 600);
    let round = reporter.run_once().await.expect("round");
    assert_eq!((round.windows, round.events, round.batches), (2, 2, 2));
    let acme_id = acme.id.to_string();
    let stored: Vec<_> = fake.stored().into_iter().collect();
    assert_eq!(
        stored,
        [
            (acme_id.clone(), "2026-11".to_owned(), "u-1".to_owned()),
            (acme_id.clone(), "2026-12".to_owned(), "u-1".to_owned()),
        ],
        "one user active in two months; the platform tenant is not metered"
    );
    let posts = fake.usage_posts();
    assert_eq!(
        events(&posts[0]),
        [(acme_id.clone(), "u-1".to_owned(), NOV_LAST)]
    );
    assert_eq!(events(&posts[1]), [(acme_id, "u-1".to_owned(), DEC_FIRST)]);
}
both_engines!(usage_month_boundary, months_split_at_utc_midnight);

async fn platform_is_not_reported(engine: Engine) {
    let fake = FakeBilling::start().await;
    let app = spawn_app(engine).await;
    let platform = platform(&app).await;
    let now = SystemClock.now();
    let clock = Arc::new(ManualClock::new(now));
    let billing = billing_for(&app, &fake.url, clock.clone() as SharedClock);
    let reporter = billing.reporter.as_ref().expect("reporter");
    reporter.run_once().await.expect("first round");
    login_row(&app, &platform, "owner-1", now, "success").await;
    clock.advance(60);
    let round = reporter.run_once().await.expect("round");
    assert_eq!(round.events, 0);
    assert!(fake.usage_posts().is_empty());
    assert_eq!(
        cursor(&app).await,
        now + 60 - SETTLE,
        "the window still counts as reported"
    );
}
both_engines!(usage_platform_not_metered, platform_is_not_reported);

/// Two instances on one PostgreSQL database: both run a round on the same
/// window; the cursor moves once, and billing's set absorbs a double send.
#[tokio::test]
async fn two_reporters_move_the_cursor_once() {
    let fake = FakeBilling::start().await;
    let app = spawn_app(Engine::Postgres).await;
    let acme = app.tenant("acme", json!({})).await;
    let now = SystemClock.now();
    let clock = Arc::new(ManualClock::new(now));
    let one = billing_for(&app, &fake.url, clock.clone() as SharedClock);
    let two = billing_for(&app, &fake.url, clock.clone() as SharedClock);
    let (r1, r2) = (one.reporter.expect("one"), two.reporter.expect("two"));
    r1.run_once().await.expect("first round");
    for user in ["u-1", "u-2", "u-3"] {
        login_row(&app, &acme, user, now, "success").await;
    }
    clock.advance(60);
    let (a, b) = tokio::join!(r1.run_once(), r2.run_once());
    let (a, b) = (a.expect("one"), b.expect("two"));
    assert_eq!(a.windows + b.windows, 1, "{a:?} {b:?}");
    assert_eq!(cursor(&app).await, now + 60 - SETTLE);
    assert_eq!(fake.stored().len(), 3);
    let posts = fake.usage_posts();
    assert!((1..=2).contains(&posts.len()), "{posts:?}");
    assert!(posts.iter().all(|p| events(p).len() == 3));
}
