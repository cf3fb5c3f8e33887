//! Limits on load: form submissions per address, signups per tenant, and
//! a saturated password hashing pool.
use serde_json::json;
use service_kit::db::Engine;

use crate::helpers::{spawn_app_with, PASSWORD};

#[tokio::test]
async fn form_submissions_are_rate_limited_per_ip() {
    let app = spawn_app_with(Engine::Sqlite, &[("AUTH_FORM_RATE_PER_MINUTE", "3")]).await;
    app.tenant("acme", json!({})).await;
    let web = app.web();
    web.get("/t/acme/login").await;
    for _ in 0..3 {
        assert_eq!(
            app.login(&web, "acme", "x@example.com", "whatever pass")
                .await
                .status,
            401
        );
    }
    let limited = web
        .post(
            "/t/acme/login",
            &[("email", "x@example.com"), ("password", "whatever pass")],
        )
        .await;
    assert_eq!(limited.status, 429);
    let retry: u64 = limited.headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry));
}

#[tokio::test]
async fn signups_are_rate_limited_per_tenant() {
    let app = spawn_app_with(Engine::Sqlite, &[("AUTH_SIGNUP_RATE_PER_MINUTE", "1")]).await;
    app.tenant("acme", json!({})).await;
    app.tenant("other", json!({})).await;
    let web = app.web();
    web.get("/t/acme/signup").await;
    let first = web
        .post(
            "/t/acme/signup",
            &[("email", "a@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(first.status, 200);
    let second = web
        .post(
            "/t/acme/signup",
            &[("email", "b@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(second.status, 429);
    let elsewhere = web
        .post(
            "/t/other/signup",
            &[("email", "b@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(elsewhere.status, 200, "another tenant has its own budget");
}

#[tokio::test]
async fn a_saturated_hashing_pool_answers_503_with_retry_after() {
    let app = spawn_app_with(
        Engine::Sqlite,
        &[("AUTH_PASSWORD_WORKERS", "1"), ("AUTH_PASSWORD_QUEUE", "1")],
    )
    .await;
    app.tenant("acme", json!({})).await;
    let web = app.web();
    web.get("/t/acme/login").await;
    let burst = (0..24).map(|i| {
        let email = format!("user{i}@example.com");
        let web = &web;
        async move {
            web.post(
                "/t/acme/login",
                &[("email", email.as_str()), ("password", "some password")],
            )
            .await
        }
    });
    let pages = futures_util::future::join_all(burst).await;
    let busy: Vec<_> = pages.iter().filter(|p| p.status == 503).collect();
    assert!(
        !busy.is_empty(),
        "statuses: {:?}",
        pages.iter().map(|p| p.status).collect::<Vec<_>>()
    );
    assert!(busy.iter().all(|p| p.headers.contains_key("retry-after")));
    assert!(pages.iter().all(|p| matches!(p.status, 401 | 503)));
    // Refused for load, not for a wrong password: only the attempts whose
    // password was checked count against the address.
    let checked = pages.iter().filter(|p| p.status == 401).count() as i64;
    let counted: i64 =
        sqlx::query_scalar("SELECT failures FROM login_failures WHERE subject = 'ip:127.0.0.1'")
            .fetch_one(&app.database.pool)
            .await
            .expect("ip counter");
    assert_eq!(counted, checked, "busy answers are not failures");
}
