//! `/manage/v1/tenants/{id}/owners`: operators name which platform users own
//! a tenant; other tenants' owners are untouched; removing an owner closes
//! the dashboard to them at once.
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::helpers::{assert_problem, spawn_app, TestApp, PASSWORD};

async fn owners(app: &TestApp, tenant: &str) -> Vec<Value> {
    let list: Value = app
        .admin(Method::GET, &format!("/manage/v1/tenants/{tenant}/owners"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    list["items"].as_array().expect("items").clone()
}

async fn add(app: &TestApp, tenant: &str, email: &str) -> reqwest::Response {
    app.admin(Method::POST, &format!("/manage/v1/tenants/{tenant}/owners"))
        .json(&json!({ "email": email }))
        .send()
        .await
        .expect("sent")
}

async fn operators_add_list_and_remove_owners(engine: Engine) {
    let app = spawn_app(engine).await;
    let acme = app.tenant("acme", json!({})).await.id.to_string();
    let beta = app.tenant("beta", json!({})).await.id.to_string();
    let web = app.web();
    app.signup_verified(&web, "platform", "founder@acme.example", PASSWORD)
        .await;
    // A user of another tenant with the same address is not a platform user.
    app.signup_verified(&app.web(), "beta", "someone@beta.example", PASSWORD)
        .await;

    let created = add(&app, &acme, "Founder@Acme.example").await;
    assert_eq!(created.status(), 201);
    let owner: Value = created.json().await.expect("json");
    assert_eq!(owner["email"], "founder@acme.example");
    let user_id = owner["user_id"].as_str().expect("user_id").to_owned();
    let again = add(&app, &acme, "founder@acme.example").await;
    assert_eq!(again.status(), 200, "adding twice changes nothing");
    let listed = owners(&app, &acme).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["user_id"], user_id.as_str());
    assert!(listed[0]["created_at"].is_string());
    assert!(
        owners(&app, &beta).await.is_empty(),
        "beta's owners untouched"
    );

    // Clear refusals.
    let unknown = assert_problem(
        add(&app, &acme, "nobody@acme.example").await,
        409,
        "owner-not-signed-up",
    )
    .await;
    assert!(
        unknown["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("/t/platform/signup"),
        "{unknown}"
    );
    assert_problem(
        add(&app, &acme, "someone@beta.example").await,
        409,
        "owner-not-signed-up",
    )
    .await;
    assert_problem(add(&app, &acme, "not an email").await, 422, "invalid-input").await;
    let missing = "0b0f6c52-8f0e-4d5c-9a47-2f3d3c1e9a10";
    assert_problem(
        add(&app, missing, "founder@acme.example").await,
        404,
        "tenant-not-found",
    )
    .await;
    assert_problem(
        add(&app, "nope", "founder@acme.example").await,
        404,
        "tenant-not-found",
    )
    .await;
    let platform = auth_server::store::tenants::TenantStore::new(app.database.pool.clone())
        .get_by_slug("platform")
        .await
        .expect("platform");
    assert_problem(
        add(&app, &platform.id.to_string(), "founder@acme.example").await,
        409,
        "tenant-reserved",
    )
    .await;
    let wrong_field = app
        .admin(Method::POST, &format!("/manage/v1/tenants/{acme}/owners"))
        .json(&json!({ "user": "founder@acme.example" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(wrong_field.status().as_u16() / 100, 4);
    let anonymous = app
        .client
        .get(app.url(&format!("/manage/v1/tenants/{acme}/owners")))
        .send()
        .await
        .expect("sent");
    assert_problem(anonymous, 401, "unauthorized").await;

    // Removing from another tenant does nothing to acme's.
    let cross = app
        .admin(
            Method::DELETE,
            &format!("/manage/v1/tenants/{beta}/owners/{user_id}"),
        )
        .send()
        .await
        .expect("sent");
    assert_problem(cross, 404, "not-found").await;
    assert_eq!(owners(&app, &acme).await.len(), 1);

    // The only owner stays: a tenant keeps an owner.
    let last = app
        .admin(
            Method::DELETE,
            &format!("/manage/v1/tenants/{acme}/owners/{user_id}"),
        )
        .send()
        .await
        .expect("sent");
    assert_problem(last, 409, "last-owner").await;
    assert_eq!(owners(&app, &acme).await.len(), 1);
    let demoted = app
        .admin(
            Method::PATCH,
            &format!("/manage/v1/tenants/{acme}/owners/{user_id}"),
        )
        .json(&json!({ "role": "admin" }))
        .send()
        .await
        .expect("sent");
    assert_problem(demoted, 409, "last-owner").await;
    // With a second owner (added as a viewer, then made an owner), the first can go.
    app.signup_verified(&app.web(), "platform", "cofounder@acme.example", PASSWORD)
        .await;
    let added = app
        .admin(Method::POST, &format!("/manage/v1/tenants/{acme}/owners"))
        .json(&json!({ "email": "cofounder@acme.example", "role": "viewer" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(added.status(), 201);
    let cofounder: Value = added.json().await.expect("json");
    assert_eq!(cofounder["role"], "viewer");
    let cofounder_id = cofounder["user_id"].as_str().expect("id").to_owned();
    let promoted = app
        .admin(
            Method::PATCH,
            &format!("/manage/v1/tenants/{acme}/owners/{cofounder_id}"),
        )
        .json(&json!({ "role": "owner" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(promoted.status(), 200);
    let promoted: Value = promoted.json().await.expect("json");
    assert_eq!(promoted["role"], "owner");
    for bad in [
        json!({ "role": "root" }),
        json!({ "role": "owner", "x": 1 }),
    ] {
        let resp = app
            .admin(
                Method::PATCH,
                &format!("/manage/v1/tenants/{acme}/owners/{cofounder_id}"),
            )
            .json(&bad)
            .send()
            .await
            .expect("sent");
        assert_eq!(resp.status().as_u16() / 100, 4, "{bad}");
    }
    let removed = app
        .admin(
            Method::DELETE,
            &format!("/manage/v1/tenants/{acme}/owners/{user_id}"),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(removed.status(), 204);
    let left = owners(&app, &acme).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["email"], "cofounder@acme.example");
    let twice = app
        .admin(
            Method::DELETE,
            &format!("/manage/v1/tenants/{acme}/owners/{user_id}"),
        )
        .send()
        .await
        .expect("sent");
    assert_problem(twice, 404, "not-found").await;
    let bad_id = app
        .admin(
            Method::DELETE,
            &format!("/manage/v1/tenants/{acme}/owners/not-a-uuid"),
        )
        .send()
        .await
        .expect("sent");
    assert_problem(bad_id, 404, "not-found").await;
}
both_engines!(
    dashboard_owner_management,
    operators_add_list_and_remove_owners
);
