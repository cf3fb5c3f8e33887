//! What the webhook API refuses: endpoints inside the server's network,
//! and bad input, which changes nothing.
use reqwest::Method;
use serde_json::json;
use service_kit::both_engines;
use service_kit::db::Engine;

use super::{add, attempts, base, call, delivery_when};
use crate::helpers::{assert_problem, spawn_app_with};
use crate::webhook_receiver::Receiver;

async fn endpoints_inside_the_network_are_refused(engine: Engine) {
    let receiver = Receiver::start().await;
    let app = spawn_app_with(engine, &[]).await;
    let acme = app.tenant("acme", json!({})).await;
    for url in [
        format!("http://hooks.acme.example:{}/", receiver.port),
        format!("https://127.0.0.1:{}/", receiver.port),
        "https://169.254.169.254/latest/meta-data".to_owned(),
        "https://[::1]/".to_owned(),
    ] {
        let resp = app
            .admin(Method::POST, &base(&acme))
            .json(&json!({"url": url, "events": ["user.created"]}))
            .send()
            .await
            .expect("sent");
        assert_problem(resp, 422, "invalid-input").await;
    }
    // A name is checked when it is resolved: localhost has no public address.
    let (hook, _) = add(
        &app,
        &acme,
        &format!("https://localhost:{}/hooks", receiver.port),
        &["user.created"],
    )
    .await;
    let hook_id = hook["id"].as_str().expect("id").to_owned();
    let (_, test) = call(
        &app,
        Method::POST,
        &format!("{}/{hook_id}/test", base(&acme)),
        None,
    )
    .await;
    let id = test["delivery_id"].as_str().expect("id").to_owned();
    let tried = delivery_when(&app, &acme, &hook_id, &id, |d| attempts(d) == 1).await;
    let error = tried["last_error"].as_str().unwrap_or_default();
    assert!(error.contains("no public address"), "{tried}");
    assert!(tried["last_status"].is_null());
    assert!(receiver.received().is_empty());
}

both_engines!(ssrf, endpoints_inside_the_network_are_refused);

async fn bad_input_is_refused_and_changes_nothing(engine: Engine) {
    let app = spawn_app_with(engine, &[("AUTH_WEBHOOKS", "off")]).await;
    let acme = app.tenant("acme", json!({})).await;
    let beta = app.tenant("beta", json!({})).await;
    let url = "https://hooks.acme.example/in";
    for (body, status, code) in [
        (json!({"url": url, "events": []}), 422, "invalid-input"),
        (
            json!({"url": url, "events": ["user.*"]}),
            422,
            "invalid-input",
        ),
        (
            json!({"url": "ftp://hooks.acme.example/", "events": ["user.created"]}),
            422,
            "invalid-input",
        ),
        (
            json!({"url": url, "events": ["user.created"], "description": "x".repeat(201)}),
            422,
            "invalid-input",
        ),
        (
            json!({"url": url, "events": ["user.created"], "secret": "mine"}),
            400,
            "bad-request",
        ),
        (json!({"url": url}), 400, "bad-request"),
        (json!([]), 400, "bad-request"),
    ] {
        let resp = app
            .admin(Method::POST, &base(&acme))
            .json(&body)
            .send()
            .await
            .expect("sent");
        assert_problem(resp, status, code).await;
    }
    let (_, list) = call(&app, Method::GET, &base(&acme), None).await;
    assert_eq!(list["items"], json!([]), "nothing was created");

    let (hook, _) = add(&app, &acme, url, &["user.created"]).await;
    let hook_id = hook["id"].as_str().expect("id").to_owned();
    let path = format!("{}/{hook_id}", base(&acme));
    let resp = app
        .admin(Method::PATCH, &path)
        .json(&json!({"events": ["login.failed", "nope"]}))
        .send()
        .await
        .expect("sent");
    assert_problem(resp, 422, "invalid-input").await;
    let (_, after) = call(&app, Method::GET, &path, None).await;
    assert_eq!(after["events"], json!(["user.created"]), "unchanged");

    // Another tenant's path does not reach it; neither does a delivery of
    // another endpoint, nor a page cursor that is not one.
    for method in [Method::GET, Method::PATCH, Method::DELETE] {
        let resp = app
            .admin(method, &format!("{}/{hook_id}", base(&beta)))
            .json(&json!({}))
            .send()
            .await
            .expect("sent");
        assert_problem(resp, 404, "not-found").await;
    }
    let (_, test) = call(&app, Method::POST, &format!("{path}/test"), None).await;
    let delivery = test["delivery_id"].as_str().expect("id").to_owned();
    let (other, _) = add(
        &app,
        &acme,
        "https://crm.acme.example/in",
        &["login.failed"],
    )
    .await;
    let other_id = other["id"].as_str().expect("id");
    let resp = app
        .admin(
            Method::GET,
            &format!("{}/{other_id}/deliveries/{delivery}", base(&acme)),
        )
        .send()
        .await
        .expect("sent");
    assert_problem(resp, 404, "not-found").await;
    let resp = app
        .admin(Method::GET, &format!("{path}/deliveries?after=zzz"))
        .send()
        .await
        .expect("sent");
    assert_problem(resp, 422, "invalid-input").await;

    // At most 20 endpoints.
    for n in 2..20 {
        add(
            &app,
            &acme,
            &format!("https://h{n}.acme.example/"),
            &["user.created"],
        )
        .await;
    }
    let resp = app
        .admin(Method::POST, &base(&acme))
        .json(&json!({"url": url, "events": ["user.created"]}))
        .send()
        .await
        .expect("sent");
    assert_problem(resp, 422, "invalid-input").await;
    let (_, list) = call(&app, Method::GET, &base(&acme), None).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(20));

    // Deleted with its deliveries.
    let (status, _) = call(&app, Method::DELETE, &path, None).await;
    assert_eq!(status, 204);
    let resp = app
        .admin(Method::GET, &format!("{path}/deliveries/{delivery}"))
        .send()
        .await
        .expect("sent");
    assert_problem(resp, 404, "not-found").await;
}

both_engines!(refusals, bad_input_is_refused_and_changes_nothing);
