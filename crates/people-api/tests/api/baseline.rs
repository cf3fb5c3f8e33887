//! The HTTP baseline around the API: probes, unknown routes, body limits.
use reqwest::Method;
use serde_json::json;
use service_kit::both_engines;
use service_kit::db::Engine;
use service_kit::testing;

use crate::helpers::{assert_problem, send, spawn_app};

async fn probes_answer(engine: Engine) {
    let app = spawn_app(engine).await;
    testing::assert_probes(&app.address, 200).await;
    testing::assert_baseline_404(&app.address).await;
}
both_engines!(health_and_readiness, probes_answer);

#[tokio::test]
async fn readiness_is_503_when_the_database_is_gone() {
    let app = spawn_app(Engine::Postgres).await;
    app.db.drop_database().await;
    testing::assert_probes(&app.address, 503).await;
}

#[tokio::test]
async fn bodies_over_the_limit_are_413_and_change_nothing() {
    let app = spawn_app(Engine::Sqlite).await;
    app.me("user-alice").await;
    let huge = json!({ "display_name": "Alice", "bio": "x".repeat(70 * 1024) }).to_string();
    // Declared length: refused before any handler, token or not.
    for authenticated in [false, true] {
        let request = if authenticated {
            app.as_person("user-alice", Method::PUT, "/v1/me")
        } else {
            app.client.put(app.url("/v1/me"))
        };
        let resp = send(
            request
                .header("content-type", "application/json")
                .body(huge.clone()),
        )
        .await;
        assert_problem(resp, 413, "payload-too-large").await;
    }
    // Chunked (no declared length): the JSON extractor's limit catches it.
    let chunks = chunked(huge.into_bytes());
    let resp = send(
        app.as_person("user-alice", Method::PUT, "/v1/me")
            .header("content-type", "application/json")
            .body(reqwest::Body::wrap_stream(chunks)),
    )
    .await;
    assert_problem(resp, 413, "payload-too-large").await;
    assert_eq!(app.me("user-alice").await["display_name"], json!(null));
}

/// The body as a stream of 8 KiB chunks, so it is sent chunked.
fn chunked(body: Vec<u8>) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    let chunks: Vec<_> = body.chunks(8 * 1024).map(|c| Ok(c.to_vec())).collect();
    futures_util::stream::iter(chunks)
}

#[tokio::test]
async fn a_known_path_with_another_method_is_405_with_allow() {
    let app = spawn_app(Engine::Sqlite).await;
    let at = &app.address;
    testing::assert_method_not_allowed(at, "POST", "/v1/me", &["GET", "PUT"]).await;
    testing::assert_method_not_allowed(at, "PATCH", "/v1/connections", &["GET", "POST"]).await;
}
