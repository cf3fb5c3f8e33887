//! `/manage/v1/tenants/{id}/keys`: the signing keys as the console shows
//! them, a rotation (refused while the next key is too young to sign, with
//! `Retry-After`), and a revocation that takes the key out of the key set.
use std::sync::Arc;

use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::clock::{Clock, ManualClock, SharedClock, SystemClock};
use service_kit::db::Engine;

use crate::helpers::{assert_problem, spawn_app_with_clock, TestApp};

async fn keys(app: &TestApp, tenant: &str) -> Vec<Value> {
    let list: Value = app
        .admin_json(&format!("/manage/v1/tenants/{tenant}/keys"))
        .await;
    list["items"].as_array().expect("items").clone()
}

fn of<'a>(keys: &'a [Value], alg: &str, state: &str) -> Option<&'a Value> {
    keys.iter().find(|k| k["alg"] == alg && k["state"] == state)
}

async fn operators_list_rotate_and_revoke_keys(engine: Engine) {
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let app = spawn_app_with_clock(engine, &[], clock.clone() as SharedClock).await;
    let created: Value = app
        .create_tenant(&json!({ "slug": "acme", "display_name": "Acme" }))
        .await
        .json()
        .await
        .expect("json");
    let tenant = created["id"].as_str().expect("id").to_owned();
    let before = keys(&app, &tenant).await;
    let active = of(&before, "ES256", "active").expect("an active ES256 key")["kid"].clone();
    let next = of(&before, "ES256", "next").expect("a next ES256 key")["kid"].clone();

    // Too soon: the next key was just published.
    let rotate = |alg: &str| {
        app.admin(
            Method::POST,
            &format!("/manage/v1/tenants/{tenant}/keys/rotate"),
        )
        .json(&json!({ "alg": alg }))
    };
    let resp = rotate("ES256").send().await.expect("sent");
    assert!(resp.headers().get("retry-after").is_some());
    assert_problem(resp, 409, "key-too-young").await;
    assert_eq!(keys(&app, &tenant).await, before, "nothing rotated");
    let resp = rotate("HS256").send().await.expect("sent");
    assert_eq!(resp.status(), 400);

    // A day later the next key signs and the active one retires. (Tenant
    // rows are stamped by the same injected clock.)
    clock.advance(24 * 3600);
    let updated: Value = app
        .admin(Method::PATCH, &format!("/manage/v1/tenants/{tenant}"))
        .json(&json!({ "display_name": "Acme Inc" }))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let at = time::OffsetDateTime::from_unix_timestamp(clock.now())
        .expect("time")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("rfc3339");
    assert_eq!(updated["updated_at"], at.as_str());
    assert_ne!(updated["updated_at"], updated["created_at"]);
    let resp = rotate("ES256").send().await.expect("sent");
    assert_eq!(resp.status(), 200);
    let rotated: Value = resp.json().await.expect("json");
    assert_eq!(rotated["active"], next);
    assert_eq!(rotated["retired"], active);
    let after = keys(&app, &tenant).await;
    assert_eq!(of(&after, "ES256", "active").expect("active")["kid"], next);

    // Revoking the retired key takes it out of the key set.
    let path = format!(
        "/manage/v1/tenants/{tenant}/keys/{}/revoke",
        active.as_str().expect("kid")
    );
    let resp = app.admin(Method::POST, &path).send().await.expect("sent");
    assert_eq!(resp.status(), 204);
    let jwks: Value = app
        .client
        .get(app.url("/t/acme/jwks.json"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert!(!jwks.to_string().contains(active.as_str().expect("kid")));
    let unknown = format!("/manage/v1/tenants/{tenant}/keys/nope/revoke");
    let resp = app
        .admin(Method::POST, &unknown)
        .send()
        .await
        .expect("sent");
    assert_problem(resp, 404, "not-found").await;
    let resp = app
        .client
        .get(app.url(&format!("/manage/v1/tenants/{tenant}/keys")))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 401);
}

both_engines!(
    operators_list_rotate_and_revoke_signing_keys,
    operators_list_rotate_and_revoke_keys
);
