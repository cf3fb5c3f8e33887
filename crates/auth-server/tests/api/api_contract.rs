//! What the management API's document promises about bodies: an object
//! where an object is expected, whole numbers as integers, names taken
//! exactly; refusals change nothing.
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::helpers::{assert_problem, spawn_app};
use crate::oidc::create_client;

async fn tenant_view(app: &crate::helpers::TestApp, id: &str) -> Value {
    app.admin(Method::GET, &format!("/manage/v1/tenants/{id}"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json")
}

async fn bodies_must_be_objects(engine: Engine) {
    let app = spawn_app(engine).await;
    let tenant = app.tenant("acme", json!({})).await;
    let id = tenant.id.to_string();
    let before = tenant_view(&app, &id).await;
    // serde would read a struct from an array: `[null, null]` was a valid update.
    for body in [
        json!([null, null]),
        json!(["Renamed", {}]),
        json!(null),
        json!("x"),
    ] {
        let resp = app
            .admin(Method::PATCH, &format!("/manage/v1/tenants/{id}"))
            .json(&body)
            .send()
            .await
            .expect("sent");
        assert_problem(resp, 400, "bad-request").await;
    }
    let resp = app.create_tenant(&json!(["beta", "Beta"])).await;
    assert_problem(resp, 400, "bad-request").await;
    assert_eq!(tenant_view(&app, &id).await, before, "nothing changed");
    assert_eq!(app.tenant_count().await, 1, "nothing created");
}
both_engines!(
    non_object_bodies_are_400_and_change_nothing,
    bodies_must_be_objects
);

async fn whole_numbers_and_exact_names(engine: Engine) {
    let app = spawn_app(engine).await;
    let tenant = app.tenant("acme", json!({})).await;
    let id = tenant.id.to_string();
    let client = create_client(&app, &id, json!({})).await;
    // 21.0 is an integer to JSON Schema, so to the API too.
    let resp = app
        .admin(
            Method::POST,
            &format!(
                "/manage/v1/tenants/{id}/clients/{}/rotate-secret",
                client.id
            ),
        )
        .json(&json!({"overlap_secs": 21.0}))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status().as_u16(), 200);
    let fractional = app
        .admin(
            Method::POST,
            &format!(
                "/manage/v1/tenants/{id}/clients/{}/rotate-secret",
                client.id
            ),
        )
        .json(&json!({"overlap_secs": 21.5}))
        .send()
        .await
        .expect("sent");
    assert_problem(fractional, 400, "bad-request").await;

    // Names are taken as sent: the document's pattern refuses surrounding
    // whitespace, so the server does too instead of trimming it.
    let before = tenant_view(&app, &id).await;
    for name in [" Acme", "Acme\u{3000}", "A\u{7}cme"] {
        let resp = app
            .admin(Method::PATCH, &format!("/manage/v1/tenants/{id}"))
            .json(&json!({ "display_name": name }))
            .send()
            .await
            .expect("sent");
        assert_problem(resp, 422, "invalid-input").await;
    }
    assert_eq!(tenant_view(&app, &id).await, before, "nothing changed");
}
both_engines!(
    whole_numbers_are_integers_and_names_are_exact,
    whole_numbers_and_exact_names
);
