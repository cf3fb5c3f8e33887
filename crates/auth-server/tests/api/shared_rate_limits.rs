//! With `REDIS_URL` set, the form and signup budgets are shared by every
//! instance: what one instance let through counts on the others. While Redis
//! does not answer, each instance limits on its own.
use std::sync::Arc;

use auth_server::http::rate_limit::{RateLimits, SharedLimitSettings, SharedLimits};
use serde_json::json;
use service_kit::clock::SystemClock;
use service_kit::db::Engine;
use service_kit::secret::Secret;

use crate::helpers::spawn_app_with;

/// The machine's Redis (`REDIS_URL` of the test run, else the local one).
fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// A prefix of this test's own, so parallel tests never share a budget.
fn fresh_prefix() -> String {
    format!("connectauth-test-{}:", uuid::Uuid::new_v4().simple())
}

fn instance(url: &str, prefix: &str, form_per_minute: u32) -> RateLimits {
    let shared = SharedLimits::new(&SharedLimitSettings {
        url: Secret::new(url),
        key_prefix: prefix.to_owned(),
    })
    .expect("a Redis URL");
    RateLimits::new(form_per_minute, 1).shared(shared, Arc::new(SystemClock))
}

#[tokio::test]
async fn instances_share_one_budget_through_redis() {
    let prefix = fresh_prefix();
    let a = instance(&redis_url(), &prefix, 3);
    let b = instance(&redis_url(), &prefix, 3);
    assert!(a.check_form("203.0.113.7").await.is_ok());
    assert!(b.check_form("203.0.113.7").await.is_ok());
    assert!(a.check_form("203.0.113.7").await.is_ok());
    // Three of three spent, across two instances.
    let wait = b
        .check_form("203.0.113.7")
        .await
        .expect_err("the budget is spent on every instance");
    assert!((1..=20).contains(&wait), "one request every 20 s: {wait}");
    assert!(a.check_form("203.0.113.7").await.is_err());
    assert!(
        a.check_form("198.51.100.8").await.is_ok(),
        "another address has its own budget"
    );
    // Signups are a budget apart, per tenant.
    assert!(a.check_signup("tenant-1").await.is_ok());
    assert!(b.check_signup("tenant-1").await.is_err());
    assert!(b.check_signup("tenant-2").await.is_ok());
}

#[tokio::test]
async fn without_redis_each_instance_limits_on_its_own() {
    // Nothing listens on port 1: every check falls back to this process.
    let limits = instance("redis://127.0.0.1:1", &fresh_prefix(), 2);
    assert!(limits.check_form("203.0.113.7").await.is_ok());
    assert!(limits.check_form("203.0.113.7").await.is_ok());
    assert!(
        limits.check_form("203.0.113.7").await.is_err(),
        "still limited while Redis does not answer"
    );
}

#[tokio::test]
async fn a_form_budget_spent_on_one_server_is_refused_by_another() {
    let prefix = fresh_prefix();
    let env = [
        ("REDIS_URL", redis_url()),
        ("REDIS_KEY_PREFIX", prefix),
        ("AUTH_FORM_RATE_PER_MINUTE", "2".to_owned()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let first = spawn_app_with(Engine::Sqlite, &env).await;
    let second = spawn_app_with(Engine::Sqlite, &env).await;
    for app in [&first, &second] {
        app.tenant("acme", json!({})).await;
    }
    let on_first = first.web();
    let on_second = second.web();
    for attempt in 0..2 {
        let page = first
            .login(
                &on_first,
                "acme",
                &format!("ghost{attempt}@example.com"),
                "wrong guess!",
            )
            .await;
        assert_eq!(page.status, 401, "attempt {attempt} is within the budget");
    }
    let page = second
        .login(&on_second, "acme", "ghost@example.com", "wrong guess!")
        .await;
    assert_eq!(page.status, 429, "the other server counts the same budget");
    assert!(
        page.headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|s| s.parse::<u64>().is_ok_and(|n| n >= 1)),
        "it says how long to wait"
    );
}
