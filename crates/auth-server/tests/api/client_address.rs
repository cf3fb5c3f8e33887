//! Behind a trusted reverse proxy, per-IP lockout and rate limits count each
//! client (an IPv6 client by its /64), not the proxy; an untrusted peer
//! cannot choose its address with `X-Forwarded-For`.
use serde_json::json;
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::helpers::{spawn_app_with, TestApp, PASSWORD};
use crate::web::Web;

/// A browser behind the proxy: the test's requests come from 127.0.0.1,
/// which the server trusts, and carry `hops` as `X-Forwarded-For`.
fn behind_proxy(app: &TestApp, hops: &str) -> Web {
    let mut web = app.web();
    web.forwarded_for = Some(hops.to_owned());
    web
}

/// Fails `n` logins (each with another unknown email, so no account locks).
async fn fail_logins(app: &TestApp, web: &Web, n: usize) {
    for i in 0..n {
        let page = app
            .login(
                web,
                "acme",
                &format!("ghost{i}@example.com"),
                "wrong guess!",
            )
            .await;
        assert_eq!(page.status, 401, "attempt {i}");
    }
}

async fn lockout_counts_each_forwarded_client(engine: Engine) {
    let app = spawn_app_with(
        engine,
        &[
            ("AUTH_TRUSTED_PROXIES", "127.0.0.0/8, ::1"),
            ("AUTH_IP_LOCKOUT_THRESHOLD", "3"),
        ],
    )
    .await;
    app.tenant("acme", json!({})).await;
    app.signup_verified(&app.web(), "acme", "alice@example.com", PASSWORD)
        .await;

    let attacker = behind_proxy(&app, "203.0.113.7");
    fail_logins(&app, &attacker, 3).await;
    let locked = app
        .login(&attacker, "acme", "alice@example.com", PASSWORD)
        .await;
    assert_eq!(locked.status, 429, "the attacker's address is locked");
    // A forged hop left of the one the proxy appended changes nothing.
    let forging = behind_proxy(&app, "198.51.100.99, 203.0.113.7");
    assert_eq!(
        app.login(&forging, "acme", "alice@example.com", PASSWORD)
            .await
            .status,
        429
    );
    let other = behind_proxy(&app, "198.51.100.8");
    assert_eq!(
        app.login(&other, "acme", "alice@example.com", PASSWORD)
            .await
            .status,
        303,
        "another client behind the same proxy is not locked out"
    );

    // IPv6: the /64 is one client.
    fail_logins(&app, &behind_proxy(&app, "2001:db8:1:2::1"), 3).await;
    let same_64 = behind_proxy(&app, "2001:db8:1:2:ffff:ffff:ffff:9");
    assert_eq!(
        app.login(&same_64, "acme", "alice@example.com", PASSWORD)
            .await
            .status,
        429,
        "another address of the same /64 shares the lock"
    );
    let next_64 = behind_proxy(&app, "2001:db8:1:3::1");
    assert_eq!(
        app.login(&next_64, "acme", "alice@example.com", PASSWORD)
            .await
            .status,
        303
    );
}
both_engines!(
    lockout_behind_a_trusted_proxy_is_per_client,
    lockout_counts_each_forwarded_client
);

#[tokio::test]
async fn form_rate_limits_behind_a_trusted_proxy_are_per_client() {
    let app = spawn_app_with(
        Engine::Sqlite,
        &[
            ("AUTH_TRUSTED_PROXIES", "127.0.0.0/8,::1"),
            ("AUTH_FORM_RATE_PER_MINUTE", "2"),
        ],
    )
    .await;
    app.tenant("acme", json!({})).await;
    let a = behind_proxy(&app, "203.0.113.7");
    fail_logins(&app, &a, 2).await;
    assert_eq!(
        app.login(&a, "acme", "x@example.com", "wrong guess!")
            .await
            .status,
        429
    );
    fail_logins(&app, &behind_proxy(&app, "198.51.100.8"), 2).await;

    fail_logins(&app, &behind_proxy(&app, "2001:db8:1:2::1"), 2).await;
    let same_64 = behind_proxy(&app, "2001:db8:1:2::2");
    assert_eq!(
        app.login(&same_64, "acme", "x@example.com", "wrong guess!")
            .await
            .status,
        429,
        "the /64 shares one budget"
    );
    fail_logins(&app, &behind_proxy(&app, "2001:db8:1:3::1"), 2).await;
}

#[tokio::test]
async fn an_untrusted_peer_cannot_choose_its_address() {
    // No AUTH_TRUSTED_PROXIES: X-Forwarded-For is not believed.
    let app = spawn_app_with(Engine::Sqlite, &[("AUTH_FORM_RATE_PER_MINUTE", "2")]).await;
    app.tenant("acme", json!({})).await;
    fail_logins(&app, &behind_proxy(&app, "203.0.113.7"), 2).await;
    let claims_another = behind_proxy(&app, "198.51.100.8");
    assert_eq!(
        app.login(&claims_another, "acme", "x@example.com", "wrong guess!")
            .await
            .status,
        429,
        "the budget is the peer's"
    );
}
