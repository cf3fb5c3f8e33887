//! Prometheus metrics on their own listener (`AUTH_METRICS_ADDR`): requests
//! by route template and status, tokens issued by grant and tenant, sign-in
//! events by outcome, and the pools' gauges; nothing of it on the public
//! listener.
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

    assert_metrics_served_apart(
        &addr,
        &app.address,
        &[
            r#"http_requests_total{method="POST",route="/t/{slug}/token",status="200"}"#,
            r#"http_request_duration_seconds_bucket{method="POST",route="/t/{slug}/token""#,
            r#"connectauth_tokens_issued_total{grant="client_credentials",tenant="acme"}"#,
            r#"connectauth_auth_events_total{kind="login",outcome="failure"}"#,
            r#"db_pool_connections{state="open"}"#,
            r#"password_hash_jobs{state="waiting"}"#,
            "mail_queue_depth",
        ],
    )
    .await;
}
