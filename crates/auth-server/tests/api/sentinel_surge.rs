//! Failure surges against the real server: a slow guessing run spread
//! under every other detector's thresholds (eight addresses, six accounts
//! each, one try per account) on a tenant with no history is a
//! `failure_surge` against the default baseline: the incident with its
//! ratios, the owners' alert, the tenant's webhook, the attacked account
//! stepped up, nothing blocked. A tenant whose failure ratio is high every
//! day (its own baseline, counted a day earlier under the test clock) raises
//! nothing for the same ratio, where a tenant without that history does.
use auth_server::domain::tenant::Tenant;
use auth_server::store::sentinel::SentinelStore;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::helpers::{TestApp, PASSWORD};
use crate::sentinel::{
    alert, blocks, event, from, login_page, scene, sentinel_events, subscribe, within, Scene,
};
use crate::webhook_receiver::Receiver;

const ALICE: &str = "alice@acme.example";
const HOME: &str = "198.51.100.4";

/// `n` right-password logins of `email` on `slug` from home.
async fn successes(app: &TestApp, slug: &str, email: &str, n: usize) {
    let home = from(&app.address, HOME);
    for _ in 0..n {
        let page = app.login(&home, slug, email, PASSWORD).await;
        assert_eq!(page.status, 303, "{}", page.body);
    }
}

/// `n` wrong passwords on `slug`, one per account (`{tag}{i}@…`, the first
/// on `first` when given), spread over `addresses` addresses of
/// 192.0.2.0/24: under the spray, stuffing and brute-force thresholds.
async fn failures(
    app: &TestApp,
    slug: &str,
    n: usize,
    addresses: usize,
    tag: &str,
    first: Option<&str>,
) {
    for i in 0..n {
        let web = from(&app.address, &format!("192.0.2.{}", 10 + i % addresses));
        let email = match (i, first) {
            (0, Some(account)) => account.to_owned(),
            _ => format!("{tag}{i}@mail.example"),
        };
        let status = app.login(&web, slug, &email, "wrong guess!").await.status;
        assert_eq!(status, 401, "{email}");
    }
}

async fn all_read(s: &Scene) {
    let sentinel = SentinelStore::new(s.app.database.pool.clone());
    assert!(
        within(5, || async { sentinel.unread().await.expect("lag") == 0 }).await,
        "the sentinel read every event"
    );
}

async fn a_surge_of_failures_is_reported_and_steps_up_the_targets(engine: Engine) {
    let receiver = Receiver::start().await;
    let s = scene(
        engine,
        &[("AUTH_WEBHOOK_ALLOW_PRIVATE", "true")],
        json!({ "lockout_threshold": 30 }),
    )
    .await;
    subscribe(&s.app, &s.tenant, &receiver).await;
    s.app
        .signup_verified(&s.app.web(), "acme", ALICE, PASSWORD)
        .await;
    successes(&s.app, "acme", ALICE, 4).await;
    failures(&s.app, "acme", 48, 8, "guess", Some(ALICE)).await;

    assert!(
        within(5, || async { event(&s, "failure_surge").await.is_some() }).await,
        "detected within 5 s: {:?}",
        sentinel_events(&s).await
    );
    let detected = event(&s, "failure_surge").await.expect("incident");
    assert_eq!(detected["subject"], "tenant");
    // The incident opens at the first round with 50 logins in the window:
    // the run may not be over yet.
    let e = &detected["evidence"];
    let failed = e["failures"].as_u64().expect("failures");
    assert!((46..=48).contains(&failed), "{detected}");
    assert!(e["attempts"].as_u64() >= Some(50), "{detected}");
    assert!(e["failure_percent"].as_u64() >= Some(90), "{detected}");
    assert_eq!(e["baseline"], "default", "no day of history yet");
    assert_eq!(e["baseline_percent"], 10);
    assert_eq!(e["accounts"].as_u64(), Some(failed), "one try per account");
    assert_eq!(e["addresses"], 8);
    assert_eq!(detected["blocking"], json!([]));
    assert_eq!(
        detected["stepped_up"], 1,
        "alice, the one account that exists"
    );
    let marked = event(&s, "stepped_up").await.expect("alice marked");
    assert_eq!(marked["detector"], "failure_surge");

    let text = alert(&s).await;
    assert!(text.contains("surge of failed logins"), "{text}");
    assert!(text.contains("vague d'échecs"), "{text}");
    assert!(text.contains("against a usual 10 %"), "{text}");
    assert!(text.contains("Nothing was blocked"), "{text}");

    let got = receiver.wait_for(1).await;
    let incident = got
        .iter()
        .find(|r| r.event_type == "security.incident")
        .expect("the incident reached the tenant's endpoint");
    let body = incident.json();
    assert_eq!(
        body["data"]["detail"]["detector"], "failure_surge",
        "{body}"
    );
    assert_eq!(body["data"]["detail"]["evidence"]["baseline"], "default");

    // The other detectors stayed quiet: the run was under their bars.
    let outcomes: Vec<String> = sentinel_events(&s)
        .await
        .into_iter()
        .map(|(o, _)| o)
        .collect();
    assert!(
        outcomes
            .iter()
            .all(|o| ["failure_surge", "stepped_up", "alerted"].contains(&o.as_str())),
        "{outcomes:?}"
    );
    assert!(blocks(&s).await.is_empty(), "a surge blocks nothing");
    assert_eq!(login_page(&from(&s.app.address, "192.0.2.10")).await, 200);
    // Alice, from home with her password, is asked for the mailed code.
    let home = from(&s.app.address, HOME);
    let page = s.app.login(&home, "acme", ALICE, PASSWORD).await;
    assert!(
        page.location
            .as_deref()
            .is_some_and(|to| to.starts_with("/t/acme/step-up")),
        "{:?}",
        page.location
    );
    // One incident for the run.
    failures(&s.app, "acme", 6, 6, "more", None).await;
    all_read(&s).await;
    let incidents = SentinelStore::new(s.app.database.pool.clone())
        .incident_count(s.tenant.id, "failure_surge")
        .await
        .expect("count");
    assert_eq!(incidents, 1);
}
both_engines!(
    failure_surge_reported,
    a_surge_of_failures_is_reported_and_steps_up_the_targets
);

/// Surges among the `sentinel` events of `tenant`.
async fn surges(app: &TestApp, tenant: &Tenant) -> Vec<Value> {
    auth_server::store::audit::AuditStore::new(app.database.pool.clone())
        .recent(tenant.id, 1000)
        .await
        .expect("audit")
        .into_iter()
        .filter(|e| e.kind == "sentinel" && e.outcome == "failure_surge")
        .map(|e| serde_json::from_str(&e.detail).expect("JSON"))
        .collect()
}

async fn a_steadily_high_failure_rate_raises_nothing(engine: Engine) {
    let s = scene(engine, &[], json!({})).await;
    s.app
        .signup_verified(&s.app.web(), "acme", ALICE, PASSWORD)
        .await;
    // Yesterday, twice 30 logins, 60 % failing: each window too small to
    // judge, but the hours remember them.
    for round in ["a", "b"] {
        successes(&s.app, "acme", ALICE, 12).await;
        failures(&s.app, "acme", 18, 6, &format!("day1{round}"), None).await;
        all_read(&s).await;
        s.clock.advance(700);
    }
    assert!(surges(&s.app, &s.tenant).await.is_empty());
    s.clock.advance(25 * 3600);

    // Today, the same 60 %, on this tenant and on one with no history.
    let beta = s.app.tenant("beta", json!({})).await;
    let carol = "carol@beta.example";
    s.app
        .signup_verified(&s.app.web(), "beta", carol, PASSWORD)
        .await;
    for (slug, email) in [("acme", ALICE), ("beta", carol)] {
        successes(&s.app, slug, email, 20).await;
        failures(&s.app, slug, 30, 6, &format!("day2{slug}"), None).await;
    }
    assert!(
        within(5, || async { !surges(&s.app, &beta).await.is_empty() }).await,
        "without history, 60 % is a surge"
    );
    all_read(&s).await;
    let usual = surges(&s.app, &s.tenant).await;
    assert!(usual.is_empty(), "acme fails 60 % every day: {usual:?}");
    let fresh = surges(&s.app, &beta).await;
    assert_eq!(fresh[0]["evidence"]["baseline"], "default");
    assert_eq!(fresh[0]["evidence"]["failure_percent"], 60);
    assert!(sentinel_events(&s).await.is_empty(), "acme: nothing at all");
}
both_engines!(
    steady_failure_rate_quiet,
    a_steadily_high_failure_rate_raises_nothing
);
