//! `POST …/clients/{client_id}/enable` and `…/users/{user_id}/enable`: a
//! disabled client gets tokens again and a disabled user logs in again;
//! what disabling revoked stays revoked; unknown ids and other tenants' are
//! 404 and change nothing.
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::helpers::{spawn_app, TestApp, PASSWORD};

async fn post(app: &TestApp, path: &str) -> (u16, Value) {
    let resp = app.admin(Method::POST, path).send().await.expect("sent");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn token_status(app: &TestApp, id: &str, secret: &str) -> u16 {
    app.client
        .post(app.url("/t/acme/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("sent")
        .status()
        .as_u16()
}

async fn enable_after_disable(engine: Engine) {
    let app = spawn_app(engine).await;
    let acme = app.tenant("acme", json!({})).await;
    let other = app.tenant("other", json!({})).await;
    let created: Value = app
        .admin(Method::POST, &format!("/manage/v1/tenants/{}/clients", acme.id))
        .json(&json!({ "name": "Backend", "kind": "confidential", "grant_types": ["client_credentials"] }))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let id = created["client_id"].as_str().expect("id").to_owned();
    let secret = created["client_secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let client = format!("/manage/v1/tenants/{}/clients/{id}", acme.id);

    let (status, body) = post(&app, &format!("{client}/disable")).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("disabled")));
    assert_eq!(token_status(&app, &id, &secret).await, 401);
    let (status, _) = post(
        &app,
        &format!("/manage/v1/tenants/{}/clients/{id}/enable", other.id),
    )
    .await;
    assert_eq!(status, 404, "another tenant's client");
    assert_eq!(
        token_status(&app, &id, &secret).await,
        401,
        "still disabled"
    );
    let (status, body) = post(&app, &format!("{client}/enable")).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("active")));
    assert_eq!(token_status(&app, &id, &secret).await, 200);
    let (status, _) = post(&app, &format!("{client}/enable")).await;
    assert_eq!(status, 200, "enabling an enabled client changes nothing");

    // A user: disabled, refused at login; enabled, in again.
    let web = app.web();
    app.signup_verified(&web, "acme", "ann@acme.example", PASSWORD)
        .await;
    let list: Value = app
        .admin(
            Method::GET,
            &format!("/manage/v1/tenants/{}/users", acme.id),
        )
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let user = list["items"][0]["id"].as_str().expect("user id").to_owned();
    let path = format!("/manage/v1/tenants/{}/users/{user}", acme.id);
    assert_eq!(post(&app, &format!("{path}/disable")).await.0, 200);
    assert_ne!(
        app.login(&app.web(), "acme", "ann@acme.example", PASSWORD)
            .await
            .status,
        303
    );
    let (status, _) = post(
        &app,
        &format!("/manage/v1/tenants/{}/users/{user}/enable", other.id),
    )
    .await;
    assert_eq!(status, 404, "another tenant's user");
    let (status, body) = post(&app, &format!("{path}/enable")).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("active")),
        "{body}"
    );
    assert_eq!(
        app.login(&app.web(), "acme", "ann@acme.example", PASSWORD)
            .await
            .status,
        303
    );
    // Without the operator token: 401, nothing enabled.
    let resp = app
        .client
        .post(app.url(&format!("{client}/enable")))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 401);
}

both_engines!(
    disabled_clients_and_users_are_enabled_again,
    enable_after_disable
);
