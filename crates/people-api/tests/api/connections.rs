//! `/v1/connections`: the life of a connection, privacy, pagination.
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::helpers::{assert_problem, send, spawn_app, TestApp};

async fn list(app: &TestApp, who: &str, query: &str) -> Value {
    let resp = send(app.as_person(who, Method::GET, &format!("/v1/connections{query}"))).await;
    assert_eq!(resp.status().as_u16(), 200, "{query}");
    resp.json().await.expect("json")
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_owned())
        .collect()
}

async fn connection_lifecycle(engine: Engine) {
    let app = spawn_app(engine).await;
    for who in ["user-alice", "user-bob", "user-carol"] {
        app.me(who).await;
    }
    let resp = app.request_connection("user-alice", "user-bob").await;
    assert_eq!(resp.status().as_u16(), 201);
    let location = resp.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let asked: Value = resp.json().await.expect("json");
    let id = asked["id"].as_str().expect("id").to_owned();
    assert_eq!(location, format!("/v1/connections/{id}"));
    assert_eq!(
        (&asked["status"], &asked["direction"], &asked["person_id"]),
        (&json!("pending"), &json!("outgoing"), &json!("user-bob"))
    );
    assert_eq!(asked["responded_at"], Value::Null);

    let incoming = list(&app, "user-bob", "?status=pending").await;
    assert_eq!(ids(&incoming), [id.as_str()]);
    assert_eq!(incoming["items"][0]["direction"], "incoming");
    assert_eq!(incoming["items"][0]["person_id"], "user-alice");

    // One connection per pair, whichever way; nobody connects to themselves or to no one.
    for (from, to) in [("user-bob", "user-alice"), ("user-alice", "user-bob")] {
        let resp = app.request_connection(from, to).await;
        assert_problem(resp, 409, "connection-exists").await;
    }
    let resp = app.request_connection("user-alice", "user-alice").await;
    assert_problem(resp, 422, "self-connection").await;
    let resp = app.request_connection("user-alice", "user-nobody").await;
    assert_problem(resp, 404, "person-not-found").await;
    let resp = app.request_connection("user-alice", "").await;
    assert_problem(resp, 422, "invalid-input").await;

    // Only the addressee answers; a stranger sees nothing at all.
    let path = |action: &str| format!("/v1/connections/{id}{action}");
    let resp = send(app.as_person("user-alice", Method::POST, &path("/accept"))).await;
    assert_problem(resp, 403, "forbidden").await;
    for (method, action) in [
        (Method::GET, ""),
        (Method::POST, "/accept"),
        (Method::POST, "/decline"),
        (Method::DELETE, ""),
    ] {
        let resp = send(app.as_person("user-carol", method, &path(action))).await;
        assert_problem(resp, 404, "connection-not-found").await;
    }
    assert_eq!(ids(&list(&app, "user-carol", "").await).len(), 0);

    let resp = send(app.as_person("user-bob", Method::POST, &path("/accept"))).await;
    assert_eq!(resp.status().as_u16(), 200);
    let accepted: Value = resp.json().await.expect("json");
    assert_eq!(accepted["status"], "accepted");
    assert!(accepted["responded_at"].is_string());
    for action in ["/accept", "/decline"] {
        let resp = send(app.as_person("user-bob", Method::POST, &path(action))).await;
        assert_problem(resp, 409, "connection-not-pending").await;
    }
    assert_eq!(
        ids(&list(&app, "user-alice", "?status=accepted").await),
        [id.as_str()]
    );
    assert_eq!(
        ids(&list(&app, "user-alice", "?status=pending").await).len(),
        0
    );
    let seen: Value = send(app.as_person("user-alice", Method::GET, &path("")))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(seen["direction"], "outgoing");

    // Either person ends it; then the pair is free again, and a decline deletes.
    let resp = send(app.as_person("user-alice", Method::DELETE, &path(""))).await;
    assert_eq!(resp.status().as_u16(), 204);
    let resp = send(app.as_person("user-bob", Method::GET, &path(""))).await;
    assert_problem(resp, 404, "connection-not-found").await;
    let again: Value = app
        .request_connection("user-bob", "user-alice")
        .await
        .json()
        .await
        .expect("json");
    let again_id = again["id"].as_str().expect("id");
    let resp = send(app.as_person(
        "user-alice",
        Method::POST,
        &format!("/v1/connections/{again_id}/decline"),
    ))
    .await;
    assert_eq!(resp.status().as_u16(), 204);
    for who in ["user-alice", "user-bob"] {
        assert_eq!(ids(&list(&app, who, "").await).len(), 0, "{who}");
    }
    let resp = send(app.as_person("user-bob", Method::GET, "/v1/connections/not-an-id")).await;
    assert_problem(resp, 404, "connection-not-found").await;
}
both_engines!(lifecycle, connection_lifecycle);

async fn crossing_requests_make_one_connection(engine: Engine) {
    let app = spawn_app(engine).await;
    app.me("user-alice").await;
    app.me("user-bob").await;
    let (a, b) = tokio::join!(
        app.request_connection("user-alice", "user-bob"),
        app.request_connection("user-bob", "user-alice"),
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409]);
    assert_eq!(ids(&list(&app, "user-alice", "").await).len(), 1);
}
both_engines!(crossing_requests, crossing_requests_make_one_connection);

async fn connections_page_in_creation_order(engine: Engine) {
    let app = spawn_app(engine).await;
    app.me("user-alice").await;
    let mut expected = Vec::new();
    for n in 0..5 {
        let friend = format!("user-friend-{n}");
        app.me(&friend).await;
        let asked: Value = app
            .request_connection(&friend, "user-alice")
            .await
            .json()
            .await
            .expect("json");
        expected.push(asked["id"].as_str().expect("id").to_owned());
    }
    // Bob's own connection never shows in Alice's list, nor hers in his.
    app.me("user-bob").await;
    app.request_connection("user-bob", "user-friend-0").await;

    let mut seen = Vec::new();
    let mut query = "?limit=2".to_owned();
    let mut pages = 0;
    loop {
        let page = list(&app, "user-alice", &query).await;
        pages += 1;
        seen.extend(ids(&page));
        match page["next_after"].as_str() {
            Some(after) => query = format!("?limit=2&status=pending&after={after}"),
            None => break,
        }
    }
    assert_eq!((pages, &seen), (3, &expected));
    assert_eq!(ids(&list(&app, "user-alice", "?limit=100").await), expected);
    assert_eq!(ids(&list(&app, "user-bob", "").await).len(), 1);
    assert_eq!(
        ids(&list(&app, "user-alice", "?status=accepted").await).len(),
        0
    );

    for bad in ["?limit=0", "?limit=101", "?status=blocked", "?after=nope"] {
        let resp =
            send(app.as_person("user-alice", Method::GET, &format!("/v1/connections{bad}"))).await;
        assert_problem(resp, 422, "invalid-input").await;
    }
    for bad in ["?limit=-1", "?limit=ten", "?page=2"] {
        let resp =
            send(app.as_person("user-alice", Method::GET, &format!("/v1/connections{bad}"))).await;
        assert_problem(resp, 400, "bad-request").await;
    }
}
both_engines!(pagination, connections_page_in_creation_order);
