//! The shared HTTP baseline as the auth server serves it.
use reqwest::Method;
use serde_json::json;
use service_kit::db::Engine;
use service_kit::testing;

use crate::helpers::{assert_problem, spawn_app, spawn_app_with};

#[tokio::test]
async fn unknown_route_is_404_problem_json() {
    let app = spawn_app(Engine::Sqlite).await;
    for path in ["/nope", "/manage/v2/tenants", "/t/acme/unknown"] {
        let resp = app.client.get(app.url(path)).send().await.expect("sent");
        let body = assert_problem(resp, 404, "not-found").await;
        assert!(body["detail"].as_str().unwrap_or_default().contains(path));
    }
}

#[tokio::test]
async fn security_headers_are_on_every_response() {
    let app = spawn_app(Engine::Sqlite).await;
    let responses = [
        app.client
            .get(app.url("/healthz"))
            .send()
            .await
            .expect("sent"),
        app.client
            .get(app.url("/readyz"))
            .send()
            .await
            .expect("sent"),
        app.client
            .get(app.url("/missing"))
            .send()
            .await
            .expect("sent"),
        app.client
            .post(app.url("/manage/v1/tenants"))
            .send()
            .await
            .expect("sent"),
        app.admin(Method::GET, "/manage/v1/tenants")
            .send()
            .await
            .expect("sent"),
        app.admin(Method::POST, "/manage/v1/tenants")
            .body(vec![b'x'; 70_000])
            .send()
            .await
            .expect("sent"),
    ];
    for resp in responses {
        let h = resp.headers();
        let status = resp.status();
        assert_eq!(h["x-content-type-options"], "nosniff", "{status}");
        assert_eq!(h["x-frame-options"], "DENY", "{status}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{status}");
        let csp = h["content-security-policy"].to_str().expect("ascii");
        assert!(csp.contains("frame-ancestors 'none'"), "{status}: {csp}");
        assert!(csp.contains("default-src 'none'"), "{status}: {csp}");
        assert!(
            h.get("strict-transport-security").is_none(),
            "no HSTS over plain http"
        );
        let id = h["x-request-id"].to_str().expect("ascii");
        assert_eq!(id.len(), 36, "a generated UUID request id");
    }
}

#[tokio::test]
async fn hsts_is_sent_when_served_over_https() {
    let app = spawn_app_with(
        Engine::Sqlite,
        &[("AUTH_PUBLIC_URL", "https://auth.example.test")],
    )
    .await;
    let resp = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("sent");
    let hsts = resp.headers()["strict-transport-security"]
        .to_str()
        .expect("ascii");
    assert!(hsts.starts_with("max-age=63072000"));
}

#[tokio::test]
async fn request_id_is_echoed_when_well_formed_and_replaced_otherwise() {
    let app = spawn_app(Engine::Sqlite).await;
    let resp = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "edge-abc.123")
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.headers()["x-request-id"], "edge-abc.123");
    let resp = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "bad id<script>")
        .send()
        .await
        .expect("sent");
    assert_ne!(resp.headers()["x-request-id"], "bad id<script>");
    let a = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("sent");
    let b = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("sent");
    assert_ne!(a.headers()["x-request-id"], b.headers()["x-request-id"]);
}

async fn body_over_limit_is_413_and_nothing_written(engine: Engine) {
    let app = spawn_app(engine).await;
    // Valid JSON, just too big: a padded display name inside settings.
    let body =
        json!({"slug": "acme", "display_name": "Acme", "settings": {"pad": "a".repeat(70 * 1024)}});
    let resp = app.create_tenant(&body).await;
    assert_problem(resp, 413, "payload-too-large").await;
    // Chunked (no Content-Length): caught by the extractor limit.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![
        Ok(br#"{"slug":"acme","display_name":"Acme","settings":{"pad":""#.to_vec()),
        Ok(vec![b'a'; 70 * 1024]),
        Ok(br#""}}"#.to_vec()),
    ];
    let resp = app
        .admin(Method::POST, "/manage/v1/tenants")
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .expect("sent");
    assert_problem(resp, 413, "payload-too-large").await;
    assert_eq!(app.tenant_count().await, 0);
}

#[tokio::test]
async fn body_over_limit_is_413_sqlite() {
    body_over_limit_is_413_and_nothing_written(Engine::Sqlite).await;
}

#[tokio::test]
async fn body_over_limit_is_413_postgres() {
    body_over_limit_is_413_and_nothing_written(Engine::Postgres).await;
}

#[tokio::test]
async fn configured_body_limit_applies() {
    let app = spawn_app_with(Engine::Sqlite, &[("AUTH_BODY_LIMIT", "1024")]).await;
    let body =
        json!({"slug": "acme", "display_name": "Acme", "settings": {"pad": "a".repeat(2000)}});
    assert_problem(app.create_tenant(&body).await, 413, "payload-too-large").await;
    let small = json!({"slug": "acme", "display_name": "Acme"});
    assert_eq!(app.create_tenant(&small).await.status().as_u16(), 201);
}

#[tokio::test]
async fn a_known_path_with_another_method_is_405_with_allow() {
    let app = spawn_app(Engine::Sqlite).await;
    let tenant = app.tenant("acme", json!({})).await;
    let at = &app.address;
    testing::assert_method_not_allowed(at, "TRACE", "/manage/v1/tenants", &["GET", "POST"]).await;
    testing::assert_method_not_allowed(at, "DELETE", "/manage/v1/tenants", &["GET", "POST"]).await;
    let one = format!("/manage/v1/tenants/{}", tenant.id);
    testing::assert_method_not_allowed(at, "PUT", &one, &["GET", "PATCH"]).await;
    testing::assert_method_not_allowed(at, "GET", "/t/acme/token", &["POST", "OPTIONS"]).await;
    testing::assert_method_not_allowed(at, "PUT", "/t/acme/login", &["GET", "POST"]).await;
    testing::assert_method_not_allowed(at, "POST", "/healthz", &["GET"]).await;
    // Nothing was created by the refused requests.
    let list = app
        .admin(Method::GET, "/manage/v1/tenants")
        .send()
        .await
        .expect("sent");
    let body: serde_json::Value = list.json().await.expect("json");
    let items = body["items"].as_array().map_or(0, Vec::len);
    assert_eq!(items, 2, "acme and platform only: {body}");
}
