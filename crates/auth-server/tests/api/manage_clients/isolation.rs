//! Clients are isolated per tenant: another tenant's path, an unknown
//! tenant or client, and a call without the admin token all miss.
use auth_server::domain::client::verify_secret;
use reqwest::Method;
use serde_json::json;
use service_kit::both_engines;
use service_kit::db::Engine;

use super::{clients_path, create, json_of, now, send, stored, web_app};
use crate::helpers::{assert_problem, spawn_app};

async fn isolation(engine: Engine) {
    let app = spawn_app(engine).await;
    let a = app.tenant("tenant-a", json!({})).await;
    let b = app.tenant("tenant-b", json!({})).await;
    let created = create(&app, &a, web_app()).await;
    let id = created["client_id"].as_str().expect("id").to_owned();
    let secret = created["client_secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let under_b = format!("{}/{id}", clients_path(&b));
    let calls = [
        (Method::GET, under_b.clone(), None),
        (
            Method::PATCH,
            under_b.clone(),
            Some(json!({"name": "stolen"})),
        ),
        (
            Method::POST,
            format!("{under_b}/rotate-secret"),
            Some(json!({})),
        ),
        (Method::POST, format!("{under_b}/disable"), None),
    ];
    for (method, path, body) in calls {
        let resp = send(&app, method.clone(), &path, body.as_ref()).await;
        assert_problem(resp, 404, "client-not-found").await;
    }
    let listed = json_of(send(&app, Method::GET, &clients_path(&b), None).await, 200).await;
    assert_eq!(listed["items"], json!([]));
    let kept = stored(&app, &a, &id).await;
    assert!(!kept.is_disabled());
    assert_eq!(kept.settings.name().as_ref(), "Web app");
    assert!(verify_secret(&kept, &secret, now()), "A's client untouched");

    let fake_tenant = "00000000-0000-4000-8000-000000000000";
    for path in [
        format!("/manage/v1/tenants/{fake_tenant}/clients"),
        format!("/manage/v1/tenants/{fake_tenant}/clients/{id}"),
        format!("/manage/v1/tenants/not-a-uuid/clients/{id}"),
    ] {
        assert_problem(
            send(&app, Method::GET, &path, None).await,
            404,
            "tenant-not-found",
        )
        .await;
    }
    for bad_id in [
        "cli_AAAAAAAAAAAAAAAAAAAAAA",
        "nope",
        "00000000-0000-4000-8000-000000000000",
    ] {
        let path = format!("{}/{bad_id}", clients_path(&a));
        assert_problem(
            send(&app, Method::GET, &path, None).await,
            404,
            "client-not-found",
        )
        .await;
    }
    let no_token = app
        .client
        .get(app.url(&clients_path(&a)))
        .send()
        .await
        .expect("sent");
    assert_problem(no_token, 401, "unauthorized").await;
    let no_token = app
        .client
        .post(app.url(&format!("{}/{id}/rotate-secret", clients_path(&a))))
        .json(&json!({}))
        .send()
        .await
        .expect("sent");
    assert_problem(no_token, 401, "unauthorized").await;
}
both_engines!(clients_are_isolated_per_tenant, isolation);
