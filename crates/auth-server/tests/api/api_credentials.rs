//! A tenant's API credentials: created by its owner in the console (the
//! secret shown once), exchanged for a `platform` access token for the
//! management API, and honoured for that tenant only, within their scopes.
//! The access matrix: operator, credentials of A (read-only; every scope),
//! a credential of B, a token for another audience, a forged token and
//! nobody × every management operation, with nothing written on refusals.
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::db::Engine;

use crate::dashboard_pages::platform_user;
use crate::helpers::{spawn_app, spawn_app_with, TestApp, PASSWORD};
use crate::web::Web;

pub(crate) const MANAGE: &str = "connectauth-manage";

/// `email` made an owner of tenant `id` by the operator.
pub(crate) async fn owner_of(app: &TestApp, id: &str, email: &str) -> Web {
    let web = platform_user(app, email).await;
    let resp = app
        .admin(Method::POST, &format!("/manage/v1/tenants/{id}/owners"))
        .json(&json!({ "email": email }))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 201);
    web
}

/// A credential created in the console: (client id, secret).
pub(crate) async fn credential(owner: &Web, slug: &str, scopes: &[&str]) -> (String, String) {
    let path = format!("/dashboard/t/{slug}/api-credentials");
    owner.get(&path).await;
    let mut fields = vec![("name", "Automation")];
    for s in scopes {
        fields.push((s, "on"));
    }
    let page = owner.post(&path, &fields).await;
    assert_eq!(page.status, 201, "{}", page.body);
    let id = page
        .between("<code id=\"client-id\">", "</code>")
        .expect("client id");
    let secret = page
        .between("<code id=\"client-secret\">", "</code>")
        .expect("secret");
    (id, secret)
}

/// A platform access token of `client` for `resource` (`None`: the default).
pub(crate) async fn token(
    app: &TestApp,
    (id, secret): &(String, String),
    resource: Option<&str>,
) -> String {
    let mut form = vec![("grant_type", "client_credentials")];
    if let Some(r) = resource {
        form.push(("resource", r));
    }
    let resp = app
        .client
        .post(app.url("/t/platform/token"))
        .basic_auth(id, Some(secret))
        .form(&form)
        .send()
        .await
        .expect("sent");
    let body: Value = resp.json().await.expect("json");
    body["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token: {body}"))
        .to_owned()
}

async fn call(
    app: &TestApp,
    bearer: Option<&str>,
    method: &Method,
    path: &str,
    body: &Value,
) -> u16 {
    let mut req = app.client.request(method.clone(), app.url(path));
    if let Some(b) = bearer {
        req = req.bearer_auth(b);
    }
    if !body.is_null() {
        req = req.json(body);
    }
    req.send().await.expect("sent").status().as_u16()
}

async fn snapshot(app: &TestApp, tenant: &str) -> Value {
    let mut all = serde_json::Map::new();
    for part in ["", "/clients", "/users", "/owners", "/webhooks"] {
        let v: Value = app
            .admin_json(&format!("/manage/v1/tenants/{tenant}{part}"))
            .await;
        all.insert(part.to_owned(), v);
    }
    let tenants: Value = app.admin_json("/manage/v1/tenants").await;
    all.insert("tenants".into(), tenants);
    Value::Object(all)
}

#[tokio::test]
async fn management_api_access_matrix() {
    // Nothing is sent to the webhook endpoint: the snapshots compare it.
    let app = spawn_app_with(Engine::Sqlite, &[("AUTH_WEBHOOKS", "off")]).await;
    let a = app.tenant("acme", json!({})).await.id.to_string();
    let b = app.tenant("beta", json!({})).await.id.to_string();
    let owner_a = owner_of(&app, &a, "owner@acme.example").await;
    let owner_b = owner_of(&app, &b, "owner@beta.example").await;
    app.signup_verified(&app.web(), "acme", "enduser@acme.example", PASSWORD)
        .await;
    let users: Value = app
        .admin_json(&format!("/manage/v1/tenants/{a}/users"))
        .await;
    let user = users["items"][0]["id"].as_str().expect("user").to_owned();
    let client: Value = app
        .admin(Method::POST, &format!("/manage/v1/tenants/{a}/clients"))
        .json(&json!({ "name": "Acme M2M", "grant_types": ["client_credentials"] }))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let client = client["client_id"].as_str().expect("client").to_owned();
    let owners: Value = app
        .admin_json(&format!("/manage/v1/tenants/{a}/owners"))
        .await;
    let owner_id = owners["items"][0]["user_id"]
        .as_str()
        .expect("owner")
        .to_owned();

    let provider: Value = app
        .admin(
            Method::POST,
            &format!("/manage/v1/tenants/{a}/upstream-providers"),
        )
        .json(&json!({"preset": "google", "client_id": "g", "client_secret": "s"}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let provider = provider["id"].as_str().expect("provider").to_owned();
    // A webhook endpoint of A with one delivery (a test event).
    let webhook: Value = app
        .admin(Method::POST, &format!("/manage/v1/tenants/{a}/webhooks"))
        .json(&json!({"url": "https://hooks.acme.example/in", "events": ["user.created"]}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let webhook = webhook["id"].as_str().expect("webhook").to_owned();
    let test: Value = app
        .admin(
            Method::POST,
            &format!("/manage/v1/tenants/{a}/webhooks/{webhook}/test"),
        )
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let delivery = test["delivery_id"].as_str().expect("delivery").to_owned();
    let read_a = credential(&owner_a, "acme", &["manage:read"]).await;
    let all_a = credential(
        &owner_a,
        "acme",
        &["manage:read", "manage:write", "manage:users", "manage:team"],
    )
    .await;
    let all_b = credential(
        &owner_b,
        "beta",
        &["manage:read", "manage:write", "manage:users"],
    )
    .await;
    let read_a_token = token(&app, &read_a, Some(MANAGE)).await;
    let all_a_token = token(&app, &all_a, Some(MANAGE)).await;
    let all_b_token = token(&app, &all_b, Some(MANAGE)).await;
    // The same credential's token for another audience is not for this API.
    let other_audience = token(&app, &all_a, None).await;

    let t = format!("/manage/v1/tenants/{a}");
    // (method, path, body, what it needs: "op" operator only, or a scope).
    let ops: Vec<(Method, String, Value, &str)> = vec![
        (Method::GET, "/manage/v1/tenants".into(), Value::Null, "op"),
        (
            Method::GET,
            "/manage/v1/reports/operator".into(),
            Value::Null,
            "op",
        ),
        (
            Method::POST,
            "/manage/v1/tenants".into(),
            json!({"slug": "zeta", "display_name": "Zeta"}),
            "op",
        ),
        (
            Method::GET,
            "/manage/v1/tenants/by-slug/acme".into(),
            Value::Null,
            "op",
        ),
        (Method::GET, t.clone(), Value::Null, "read"),
        (
            Method::PATCH,
            t.clone(),
            json!({"display_name": "Tenant acme"}),
            "write",
        ),
        (Method::PATCH, format!("{t}/settings"), json!({}), "write"),
        (Method::POST, format!("{t}/disable"), Value::Null, "op"),
        (Method::GET, format!("{t}/users"), Value::Null, "users"),
        (
            Method::POST,
            format!("{t}/users/import"),
            json!({"users": [{"email": "imported@acme.example"}]}),
            "users!",
        ),
        (
            Method::GET,
            format!("{t}/users/{user}"),
            Value::Null,
            "users",
        ),
        (
            Method::GET,
            format!("{t}/users/{user}/export"),
            Value::Null,
            "users",
        ),
        (
            Method::POST,
            format!("{t}/users/{user}/disable"),
            Value::Null,
            "users!",
        ),
        (
            Method::POST,
            format!("{t}/users/{user}/enable"),
            Value::Null,
            "users",
        ),
        (
            Method::POST,
            format!("{t}/users/{user}/reset-mfa"),
            Value::Null,
            "users!",
        ),
        (
            Method::POST,
            format!("{t}/users/{user}/resend-verification"),
            Value::Null,
            "users!",
        ),
        (
            Method::DELETE,
            format!("{t}/users/{user}/sessions"),
            Value::Null,
            "users",
        ),
        (
            Method::DELETE,
            format!("{t}/users/{user}"),
            Value::Null,
            "users!",
        ),
        (Method::GET, format!("{t}/events"), Value::Null, "read"),
        (Method::GET, format!("{t}/keys"), Value::Null, "read"),
        (
            Method::POST,
            format!("{t}/keys/rotate"),
            json!({"alg": "ES256"}),
            "write!",
        ),
        (
            Method::POST,
            format!("{t}/keys/nokid/revoke"),
            Value::Null,
            "write!",
        ),
        (
            Method::POST,
            format!("{t}/keys/nokid/compromised"),
            json!({"reason": "leaked"}),
            "write!",
        ),
        (
            Method::POST,
            format!("{t}/clients"),
            json!({"name": "X", "grant_types": ["client_credentials"]}),
            "write!",
        ),
        (Method::GET, format!("{t}/clients"), Value::Null, "read"),
        (
            Method::GET,
            format!("{t}/clients/{client}"),
            Value::Null,
            "read",
        ),
        (
            Method::PATCH,
            format!("{t}/clients/{client}"),
            json!({"name": "Acme M2M"}),
            "write",
        ),
        (
            Method::POST,
            format!("{t}/clients/{client}/rotate-secret"),
            json!({}),
            "write!",
        ),
        (
            Method::POST,
            format!("{t}/clients/{client}/secret-compromised"),
            json!({"reason": "leaked"}),
            "write!",
        ),
        (
            Method::POST,
            format!("{t}/clients/{client}/disable"),
            Value::Null,
            "write!",
        ),
        (
            Method::POST,
            format!("{t}/clients/{client}/enable"),
            Value::Null,
            "write",
        ),
        (
            Method::POST,
            format!("{t}/owners"),
            json!({"email": "owner@beta.example"}),
            "op",
        ),
        (Method::GET, format!("{t}/owners"), Value::Null, "team"),
        (
            Method::PATCH,
            format!("{t}/owners/{owner_id}"),
            json!({"role": "owner"}),
            "team",
        ),
        (
            Method::DELETE,
            format!("{t}/owners/{owner_id}"),
            Value::Null,
            "team!",
        ),
        (
            Method::POST,
            format!("{t}/upstream-providers"),
            json!({"slug": "sso", "display_name": "SSO", "issuer": "https://sso.acme.example",
                   "client_id": "c", "client_secret": "s"}),
            "write",
        ),
        (
            Method::GET,
            format!("{t}/upstream-providers"),
            Value::Null,
            "read",
        ),
        (
            Method::GET,
            format!("{t}/upstream-providers/{provider}"),
            Value::Null,
            "read",
        ),
        (
            Method::PATCH,
            format!("{t}/upstream-providers/{provider}"),
            json!({"enabled": true}),
            "write",
        ),
        (
            Method::DELETE,
            format!("{t}/upstream-providers/{provider}"),
            Value::Null,
            "write!",
        ),
        (Method::GET, format!("{t}/webhooks"), Value::Null, "read"),
        (
            Method::POST,
            format!("{t}/webhooks"),
            json!({"url": "https://crm.acme.example/in", "events": ["login.failed"]}),
            "write",
        ),
        (
            Method::GET,
            format!("{t}/webhooks/{webhook}"),
            Value::Null,
            "read",
        ),
        (
            Method::PATCH,
            format!("{t}/webhooks/{webhook}"),
            json!({"description": "CRM"}),
            "write",
        ),
        (
            Method::POST,
            format!("{t}/webhooks/{webhook}/rotate-secret"),
            Value::Null,
            "write!",
        ),
        (
            Method::POST,
            format!("{t}/webhooks/{webhook}/test"),
            Value::Null,
            "write",
        ),
        (
            Method::GET,
            format!("{t}/webhooks/{webhook}/deliveries"),
            Value::Null,
            "read",
        ),
        (
            Method::GET,
            format!("{t}/webhooks/{webhook}/deliveries/{delivery}"),
            Value::Null,
            "read",
        ),
        (
            Method::POST,
            format!("{t}/webhooks/{webhook}/deliveries/{delivery}/redeliver"),
            Value::Null,
            "write",
        ),
        (
            Method::DELETE,
            format!("{t}/webhooks/{webhook}"),
            Value::Null,
            "write!",
        ),
        (Method::GET, format!("{t}/blocks"), Value::Null, "read"),
        (
            Method::POST,
            format!("{t}/blocks"),
            json!({"network": "203.0.113.0/24", "minutes": 5, "reason": "matrix"}),
            "write",
        ),
        (
            Method::DELETE,
            format!("{t}/blocks/00000000-0000-4000-8000-000000000000"),
            Value::Null,
            "write!",
        ),
    ];

    // Refusals first, and nothing they touch changes.
    let before = snapshot(&app, &a).await;
    for (method, path, body, needs) in &ops {
        let needs = needs.trim_end_matches('!');
        for (who, bearer) in [
            ("anonymous", None),
            ("forged", Some("eyJhbGciOiJub25lIn0.e30.")),
            ("wrong audience", Some(other_audience.as_str())),
        ] {
            assert_eq!(
                call(&app, bearer, method, path, body).await,
                401,
                "{who} {method} {path}"
            );
        }
        assert_eq!(
            call(&app, Some(&all_b_token), method, path, body).await,
            403,
            "B {method} {path}"
        );
        if needs != "read" {
            assert_eq!(
                call(&app, Some(&read_a_token), method, path, body).await,
                403,
                "read-only A {method} {path}"
            );
        }
        if needs == "op" {
            assert_eq!(
                call(&app, Some(&all_a_token), method, path, body).await,
                403,
                "A {method} {path}"
            );
        }
    }
    assert_eq!(snapshot(&app, &a).await, before, "refusals wrote nothing");

    // What each may do, it does (destructive operations, marked `!`, are
    // left out: the management tests cover them).
    for (method, path, body, needs) in &ops {
        if needs.ends_with('!') || *needs == "op" {
            continue;
        }
        let status = call(&app, Some(&all_a_token), method, path, body).await;
        assert!((200..300).contains(&status), "A {method} {path}: {status}");
        if *needs == "read" {
            let status = call(&app, Some(&read_a_token), method, path, body).await;
            assert!(
                (200..300).contains(&status),
                "read-only A {method} {path}: {status}"
            );
        }
    }
    for (method, path, body, needs) in &ops {
        if *needs != "op" || *method != Method::GET {
            continue;
        }
        let status = call(&app, Some("unused"), method, path, body).await;
        assert_eq!(status, 401);
        let resp = app.admin(method.clone(), path).send().await.expect("sent");
        assert!(resp.status().is_success(), "operator {method} {path}");
    }

    // Revoked in the console: its tokens stop working at once.
    let page = owner_a.get("/dashboard/t/acme/api-credentials").await;
    assert!(page.contains(&all_a.0));
    let page = owner_a
        .post(
            "/dashboard/t/acme/api-credentials/revoke",
            &[("client_id", &all_a.0), ("confirm", "on")],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(
        call(&app, Some(&all_a_token), &Method::GET, &t, &Value::Null).await,
        401
    );
    // Another tenant's owner cannot revoke A's credential.
    let page = owner_b
        .post(
            "/dashboard/t/beta/api-credentials/revoke",
            &[("client_id", &read_a.0), ("confirm", "on")],
        )
        .await;
    assert_eq!(page.status, 404);
    assert_eq!(
        call(&app, Some(&read_a_token), &Method::GET, &t, &Value::Null).await,
        200
    );
}

#[tokio::test]
async fn only_owners_manage_credentials_and_a_credential_needs_a_scope() {
    let app = spawn_app(Engine::Sqlite).await;
    let a = app.tenant("acme", json!({})).await.id.to_string();
    let owner = owner_of(&app, &a, "owner@acme.example").await;
    let admin = platform_user(&app, "admin@acme.example").await;
    let resp = app
        .admin(Method::POST, &format!("/manage/v1/tenants/{a}/owners"))
        .json(&json!({ "email": "admin@acme.example", "role": "admin" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 201);
    let path = "/dashboard/t/acme/api-credentials";
    assert_eq!(admin.get(path).await.status, 403);
    assert_eq!(
        admin
            .post(path, &[("name", "X"), ("manage:read", "on")])
            .await
            .status,
        403
    );
    owner.get(path).await;
    let page = owner.post(path, &[("name", "No scope")]).await;
    assert_eq!(page.status, 422);
    assert!(page.contains("at least one scope"), "{}", page.body);
    let page = owner
        .post(path, &[("name", ""), ("manage:read", "on")])
        .await;
    assert_eq!(page.status, 422);
    assert!(owner.get(path).await.contains("No API credential yet"));
}
