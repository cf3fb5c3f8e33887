//! `/manage/v1/tenants/{id}/users` and `/events`.
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::helpers::{assert_problem, spawn_app, PASSWORD};

async fn operators_see_disable_and_log_out_users(engine: Engine) {
    let app = spawn_app(engine).await;
    let a = app.tenant("tenant-a", json!({})).await;
    let b = app.tenant("tenant-b", json!({})).await;
    let web = app.web();
    app.signup_verified(&web, "tenant-a", "alice@example.com", PASSWORD)
        .await;
    app.login(&web, "tenant-a", "alice@example.com", PASSWORD)
        .await;

    let list: Value = app
        .admin(Method::GET, &format!("/manage/v1/tenants/{}/users", a.id))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let users = list["items"].as_array().expect("items");
    assert_eq!(users.len(), 1);
    assert_eq!(users[0]["email"], "alice@example.com");
    assert_eq!(users[0]["email_verified"], true);
    assert!(
        users[0].get("password_hash").is_none(),
        "hashes never leave the server"
    );
    let user_id = users[0]["id"].as_str().expect("id").to_owned();

    // Tenant isolation: A's user is not found under B.
    let cross = app
        .admin(
            Method::GET,
            &format!("/manage/v1/tenants/{}/users/{user_id}", b.id),
        )
        .send()
        .await
        .expect("sent");
    assert_problem(cross, 404, "not-found").await;
    let empty: Value = app
        .admin(Method::GET, &format!("/manage/v1/tenants/{}/users", b.id))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(empty["items"].as_array().map(Vec::len), Some(0));

    let ended: Value = app
        .admin(
            Method::DELETE,
            &format!("/manage/v1/tenants/{}/users/{user_id}/sessions", a.id),
        )
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(ended["ended"], 1);
    assert_eq!(
        web.get("/t/tenant-a/account").await.location.as_deref(),
        Some("/t/tenant-a/login")
    );

    let disabled = app
        .admin(
            Method::POST,
            &format!("/manage/v1/tenants/{}/users/{user_id}/disable", a.id),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(disabled.status().as_u16(), 200);
    let disabled: Value = disabled.json().await.expect("json");
    assert_eq!(disabled["status"], "disabled");
    assert_eq!(
        app.login(&web, "tenant-a", "alice@example.com", PASSWORD)
            .await
            .status,
        401,
        "disabled users cannot log in"
    );

    let events: Value = app
        .admin(
            Method::GET,
            &format!("/manage/v1/tenants/{}/events?limit=50", a.id),
        )
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let kinds: Vec<&str> = events["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert!(
        kinds.contains(&"signup") && kinds.contains(&"login"),
        "{kinds:?}"
    );
    assert!(events["items"][0]["ip"]
        .as_str()
        .is_some_and(|ip| ip == "127.0.0.1"));
}
both_engines!(manage_users, operators_see_disable_and_log_out_users);

#[tokio::test]
async fn user_endpoints_refuse_bad_ids_and_missing_tokens() {
    let app = spawn_app(Engine::Sqlite).await;
    let a = app.tenant("tenant-a", json!({})).await;
    let fake = "00000000-0000-4000-8000-000000000000";
    for path in [
        format!("/manage/v1/tenants/{fake}/users"),
        "/manage/v1/tenants/not-a-uuid/users".to_owned(),
        format!("/manage/v1/tenants/{fake}/events"),
    ] {
        assert_problem(
            app.admin(Method::GET, &path).send().await.expect("sent"),
            404,
            "tenant-not-found",
        )
        .await;
    }
    for path in [
        format!("/manage/v1/tenants/{}/users/{fake}", a.id),
        format!("/manage/v1/tenants/{}/users/nope", a.id),
    ] {
        assert_problem(
            app.admin(Method::GET, &path).send().await.expect("sent"),
            404,
            "not-found",
        )
        .await;
    }
    let no_token = app
        .client
        .get(app.url(&format!("/manage/v1/tenants/{}/users", a.id)))
        .send()
        .await
        .expect("sent");
    assert_problem(no_token, 401, "unauthorized").await;
    let bad_limit = app
        .admin(
            Method::GET,
            &format!("/manage/v1/tenants/{}/events?limit=0", a.id),
        )
        .send()
        .await
        .expect("sent");
    assert_problem(bad_limit, 422, "invalid-input").await;
}
