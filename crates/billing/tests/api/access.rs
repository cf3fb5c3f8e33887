//! Who may reach the billing API, as a matrix: every tenant route against
//! every kind of caller. A tenant owner sees and changes only their own
//! tenant; end-user and foreign tokens get nothing.
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::helpers::{
    claims, platform_key, spawn_billing, tenant_key, TestBilling, OWNER_A, TENANT_A, TENANT_B,
};

fn routes(tenant: &str) -> Vec<(Method, String, Option<Value>)> {
    let t = |p: &str| format!("/v1/tenants/{tenant}{p}");
    vec![
        (Method::GET, t("/entitlements"), None),
        (Method::GET, t("/subscription"), None),
        (Method::GET, t("/usage"), None),
        (Method::GET, t("/account"), None),
        (
            Method::PUT,
            t("/account"),
            Some(json!({"owner_email": "intruder@example.com"})),
        ),
        (Method::GET, t("/invoices"), None),
        (Method::PUT, t("/plan"), Some(json!({"plan": "enterprise"}))),
        (
            Method::POST,
            t("/checkout"),
            Some(
                json!({"plan": "pro", "success_url": "https://a.example/ok", "cancel_url": "https://a.example/no"}),
            ),
        ),
        (
            Method::POST,
            t("/portal"),
            Some(json!({"return_url": "https://a.example/billing"})),
        ),
    ]
}

async fn statuses(app: &TestBilling, tenant: &str, token: &str) -> Vec<u16> {
    let mut out = Vec::new();
    for (method, path, body) in routes(tenant) {
        out.push(app.call(method, &path, token, body).await.status().as_u16());
    }
    out
}

async fn tenant_routes_matrix(engine: Engine) {
    let app = spawn_billing(engine).await;
    app.set_owner(TENANT_A, OWNER_A).await;
    let now = app.now();
    let unauthorized = vec![401; 9];

    // Tokens that are not platform tokens for billing.
    let mut wrong_audience = claims(&app.issuer, "svc", "billing:admin");
    wrong_audience.insert("aud".into(), json!("connect-people-api"));
    let mut expired = claims(&app.issuer, "svc", "billing:admin");
    expired.insert("exp".into(), json!(now - 120));
    let end_user = tenant_key().sign(&claims(&app.other_issuer, "user-1", "billing:admin"));
    let forged = tenant_key().sign(&claims(&app.issuer, "svc", "billing:admin"));
    for (name, token) in [
        ("garbage", "not-a-jwt".to_owned()),
        ("wrong audience", platform_key().sign(&wrong_audience)),
        ("expired", platform_key().sign(&expired)),
        ("another tenant's token", end_user),
        ("signed by a key the platform never published", forged),
    ] {
        assert_eq!(
            statuses(&app, TENANT_A, &token).await,
            unauthorized,
            "{name}"
        );
    }
    for (method, path, body) in routes(TENANT_A) {
        let mut request = app.client.request(method, app.url(&path));
        if let Some(body) = body {
            request = request.json(&body);
        }
        assert_eq!(
            request.send().await.unwrap().status(),
            401,
            "no token: {path}"
        );
    }

    // Owner of B, an owner token without a tenant, a service token: 403 on A's manage routes.
    let owner_b = app.owner_token(TENANT_B);
    assert_eq!(
        statuses(&app, TENANT_A, &owner_b).await,
        vec![403; 9],
        "owner of B on A"
    );
    let unbound = platform_key().sign(&claims(&app.issuer, "owner", "billing:manage"));
    assert_eq!(
        statuses(&app, TENANT_A, &unbound).await,
        vec![403; 9],
        "owner token with no tenant"
    );
    let service = app.service_token();
    let s = statuses(&app, TENANT_A, &service).await;
    assert_eq!(s[0], 200, "a service reads entitlements");
    assert_eq!(s[1..].to_vec(), vec![403; 8], "but nothing else");

    // Owner of A on A: reads, sets the contact; not the plan (operators); checkout offline → 409.
    let owner_a = app.owner_token(TENANT_A);
    assert_eq!(
        statuses(&app, TENANT_A, &owner_a).await,
        vec![200, 200, 200, 200, 200, 200, 403, 409, 409]
    );
    // Operators: everything of every tenant.
    assert_eq!(
        statuses(&app, TENANT_B, &app.admin_token()).await,
        vec![200, 200, 200, 200, 200, 200, 200, 409, 409]
    );

    // Nothing the refused callers sent was applied.
    let account = app
        .get_json(
            &format!("/v1/tenants/{TENANT_A}/account"),
            &app.admin_token(),
        )
        .await;
    assert_eq!(
        account["owner_email"], "intruder@example.com",
        "set by A's owner itself above"
    );
    assert_eq!(app.entitlements(TENANT_A).await["plan"], "free");

    // Usage reports need billing:usage.
    let report = json!({"events": [{"tenant_id": TENANT_A, "user_id": "u", "at": now}]});
    for token in [owner_a.clone(), app.token("billing:entitlements")] {
        let resp = app
            .call(Method::POST, "/v1/usage", &token, Some(report.clone()))
            .await;
        assert_eq!(resp.status(), 403);
    }
    assert_eq!(app.entitlements(TENANT_A).await["mau_used"], 0);

    // Malformed tenant ids are 400, before anything else.
    for bad in [
        "platform",
        "6f1c2a1e0b7d4c559d3e2f1a7b9c0d11",
        "6f1c2a1e-0b7d-4c55-9d3e-2f1a7b9c0d1g",
    ] {
        let resp = app
            .call(
                Method::GET,
                &format!("/v1/tenants/{bad}/entitlements"),
                &app.admin_token(),
                None,
            )
            .await;
        assert_eq!(resp.status(), 422, "{bad}");
    }
}
both_engines!(isolation_matrix, tenant_routes_matrix);

#[tokio::test]
async fn owner_changes_stay_in_their_tenant() {
    let app = spawn_billing(Engine::Sqlite).await;
    app.set_owner(TENANT_B, "owner-b@example.com").await;
    let owner_a = app.owner_token(TENANT_A);
    let put = app
        .call(
            Method::PUT,
            &format!("/v1/tenants/{TENANT_B}/account"),
            &owner_a,
            Some(json!({"owner_email": "attacker@example.com"})),
        )
        .await;
    assert_eq!(put.status(), 403);
    let b = app
        .get_json(
            &format!("/v1/tenants/{TENANT_B}/account"),
            &app.admin_token(),
        )
        .await;
    assert_eq!(b["owner_email"], "owner-b@example.com");
    let long = "x".repeat(300) + "@example.com";
    for bad in ["not an email", "a@", long.as_str()] {
        let put = app
            .call(
                Method::PUT,
                &format!("/v1/tenants/{TENANT_A}/account"),
                &owner_a,
                Some(json!({ "owner_email": bad })),
            )
            .await;
        assert_eq!(put.status(), 422, "{bad}");
    }
    let a = app
        .get_json(&format!("/v1/tenants/{TENANT_A}/account"), &owner_a)
        .await;
    assert_eq!(a["owner_email"], Value::Null);
}
