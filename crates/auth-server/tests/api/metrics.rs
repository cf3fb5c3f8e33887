//! Prometheus metrics on their own listener (`AUTH_METRICS_ADDR`): requests
//! and their latency by route template and status, tokens issued by grant
//! and tenant, sign-in events by outcome, mail sends by outcome, and the
//! pools' gauges; nothing of it on the public listener.
use std::time::Duration;

use serde_json::json;
use service_kit::db::Engine;
use service_kit::testing::assert_metrics_served_apart;

use crate::helpers::spawn_app_with;

#[tokio::test]
async fn metrics_are_served_apart_and_count_requests_tokens_and_logins() {
    let port = crate::billing_service::free_port();
    let addr = format!("127.0.0.1:{port}");
    let app = spawn_app_with(Engine::Sqlite, &[("AUTH_METRICS_ADDR", &addr)]).await;
    let tenant = app.tenant("acme", json!({})).await;
    let client = crate::oidc::create_client(
        &app,
        &tenant.id.to_string(),
        json!({"grant_types": ["client_credentials"]}),
    )
    .await;
    let token = app
        .client
        .post(app.url("/t/acme/token"))
        .basic_auth(&client.id, client.secret.as_deref())
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("sent");
    assert_eq!(token.status(), 200);
    let web = app.web();
    web.get("/t/acme/login").await;
    let login = web
        .post(
            "/t/acme/login",
            &[
                ("email", "nobody@example.com"),
                ("password", "wrong password 123"),
            ],
        )
        .await;
    assert_eq!(login.status, 401);
    // A signup mails a verification link through the test SMTP server.
    app.signup_verified(&web, "acme", "alice@example.com", "correct horse battery 9")
        .await;

    assert_metrics_served_apart(
        &addr,
        &app.address,
        &[
            r#"http_requests_total{method="POST",route="/t/{slug}/token",status="200"}"#,
            r#"http_request_duration_seconds_bucket{method="POST",route="/t/{slug}/token",status="200",le="#,
            r#"http_request_duration_seconds_count{method="POST",route="/t/{slug}/login",status="401"}"#,
            r#"connectauth_tokens_issued_total{grant="client_credentials",tenant="acme"}"#,
            r#"connectauth_auth_events_total{kind="login",outcome="failure"}"#,
            r#"db_pool_connections{state="open"}"#,
            r#"password_hash_jobs{state="waiting"}"#,
            "mail_queue_depth",
            r#"mail_sends_total{outcome="sent"} 1"#,
        ],
    )
    .await;
}

/// The latency histogram's status label holds the status each answer had:
/// a refused token request and an unknown tenant's discovery document have
/// series of their own beside the routes' successes, under the route's
/// template, never the raw path.
#[tokio::test]
async fn latency_is_labelled_with_each_answers_status() {
    let port = crate::billing_service::free_port();
    let addr = format!("127.0.0.1:{port}");
    let app = spawn_app_with(Engine::Sqlite, &[("AUTH_METRICS_ADDR", &addr)]).await;
    app.tenant("acme", json!({})).await;
    let refused = app
        .client
        .post(app.url("/t/acme/token"))
        .basic_auth("no-such-client", Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status(), 401);
    let unknown = app
        .client
        .get(app.url("/t/nobody/.well-known/openid-configuration"))
        .send()
        .await
        .expect("sent");
    assert!(unknown.status().is_client_error(), "{}", unknown.status());

    let text = scrape(&addr).await;
    for series in [
        r#"http_request_duration_seconds_count{method="POST",route="/t/{slug}/token",status="401"} 1"#.to_owned(),
        format!(
            r#"http_request_duration_seconds_count{{method="GET",route="/t/{{slug}}/.well-known/openid-configuration",status="{}"}} 1"#,
            unknown.status().as_u16()
        ),
    ] {
        assert!(text.contains(&series), "{series} missing from:\n{text}");
    }
    assert!(
        !text.contains(r#"route="/t/nobody"#),
        "raw paths never become labels:\n{text}"
    );
}

/// A mail the SMTP relay never takes (nothing listens on its port) counts
/// as a failed send, and the queue gauge shows it waiting for its retry;
/// nothing counts it as sent.
#[tokio::test]
async fn a_mail_the_relay_refuses_counts_as_failed() {
    let port = crate::billing_service::free_port();
    let addr = format!("127.0.0.1:{port}");
    // A port that was free a moment ago and that nothing listens on.
    let closed = crate::billing_service::free_port();
    let smtp_url = format!("smtp://127.0.0.1:{closed}");
    let app = spawn_app_with(
        Engine::Sqlite,
        &[("AUTH_METRICS_ADDR", &addr), ("SMTP_URL", &smtp_url)],
    )
    .await;
    app.tenant("acme", json!({})).await;
    let web = app.web();
    web.get("/t/acme/signup").await;
    let done = web
        .post(
            "/t/acme/signup",
            &[
                ("email", "alice@example.com"),
                ("password", "correct horse battery 9"),
                ("display_name", "Alice"),
            ],
        )
        .await;
    assert_eq!(
        done.status, 200,
        "the answer never waits for SMTP: {}",
        done.body
    );

    // The queue's worker attempts it in the background: poll, with a deadline.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let text = loop {
        let text = scrape(&addr).await;
        if text.contains(r#"mail_sends_total{outcome="failed"} 1"#) {
            break text;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no failed send counted:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        !text.contains(r#"mail_sends_total{outcome="sent"}"#),
        "{text}"
    );
    // The first attempt failed and the mail waits for its retry, seconds later.
    assert!(text.contains("mail_queue_depth 1"), "{text}");
}

async fn scrape(addr: &str) -> String {
    reqwest::get(format!("http://{addr}/metrics"))
        .await
        .expect("scraped")
        .text()
        .await
        .expect("text")
}
