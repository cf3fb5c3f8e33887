//! Team invitations through the management API: a tenant's API credential
//! with `manage:team` (or the operator) invites by email, lists and
//! withdraws; the invited person joins with the link as from a console
//! invitation. Other scopes, other tenants and bad input change nothing.
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::api_credentials::{credential, owner_of, token, MANAGE};
use crate::dashboard_pages::platform_user;
use crate::helpers::{spawn_app, TestApp};
use crate::web::link_path;

const OWNER: &str = "founder@acme.example";

async fn call(
    app: &TestApp,
    bearer: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = app
        .client
        .request(method, app.url(path))
        .bearer_auth(bearer);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.expect("sent");
    let status = resp.status().as_u16();
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, body)
}

async fn pending(app: &TestApp, tenant: &str) -> Value {
    app.admin_json(&format!("/manage/v1/tenants/{tenant}/invitations"))
        .await["items"]
        .clone()
}

async fn invitations_by_api(engine: Engine) {
    let app = spawn_app(engine).await;
    let acme = app.tenant("acme", json!({})).await.id.to_string();
    let globex = app.tenant("globex", json!({})).await.id.to_string();
    let owner = owner_of(&app, &acme, OWNER).await;
    let team = token(
        &app,
        &credential(&owner, "acme", &["manage:team"]).await,
        Some(MANAGE),
    )
    .await;
    let reader = token(
        &app,
        &credential(&owner, "acme", &["manage:read", "manage:users"]).await,
        Some(MANAGE),
    )
    .await;
    let path = format!("/manage/v1/tenants/{acme}/invitations");

    // Refusals first: nothing is sent or kept.
    for (bearer, body, status) in [
        (&reader, json!({"email": "cto@acme.example"}), 403),
        (&team, json!({"email": "not an address"}), 422),
        (
            &team,
            json!({"email": "cto@acme.example", "role": "god"}),
            400,
        ),
        (
            &team,
            json!({"email": "cto@acme.example", "language": "de"}),
            400,
        ),
        (&team, json!({"email": "cto@acme.example", "extra": 1}), 400),
        (&team, json!({"email": OWNER}), 422),
    ] {
        let (got, answer) = call(&app, bearer, Method::POST, &path, Some(body.clone())).await;
        assert_eq!(got, status, "{body}: {answer}");
    }
    let (got, _) = call(
        &app,
        &team,
        Method::POST,
        &format!("/manage/v1/tenants/{globex}/invitations"),
        Some(json!({"email": "cto@acme.example"})),
    )
    .await;
    assert_eq!(got, 403, "another tenant's credential");
    assert_eq!(pending(&app, &acme).await, json!([]));

    // The credential invites, in French; the mail carries the link.
    let (got, view) = call(
        &app,
        &team,
        Method::POST,
        &path,
        Some(json!({"email": "cto@acme.example", "role": "viewer", "language": "fr"})),
    )
    .await;
    assert_eq!(got, 201, "{view}");
    assert_eq!(view["email"], "cto@acme.example");
    assert_eq!(view["role"], "viewer");
    assert!(view["expires_at"].as_str().is_some());
    let mail = app.mail_to("cto@acme.example").await;
    let text = mail.text.clone().unwrap_or_default();
    assert!(text.contains("Tenant acme"), "the team invites: {text}");
    let link = link_path(&mail);
    assert!(link.starts_with("/dashboard/invite?token="), "{link}");
    let (got, list) = call(&app, &team, Method::GET, &path, None).await;
    assert_eq!(got, 200);
    assert_eq!(list["items"][0]["email"], "cto@acme.example");
    let (got, _) = call(&app, &reader, Method::GET, &path, None).await;
    assert_eq!(got, 403, "listing needs manage:team too");

    // The invited person joins with the link, as the role invited.
    let cto = platform_user(&app, "cto@acme.example").await;
    let page = cto.get(&link).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let token_value = link.trim_start_matches("/dashboard/invite?token=");
    let joined = cto
        .post("/dashboard/invite", &[("token", token_value)])
        .await;
    assert!(joined.status < 400, "{}", joined.body);
    let members = app
        .admin_json(&format!("/manage/v1/tenants/{acme}/owners"))
        .await;
    assert!(
        members["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|m| m["email"] == "cto@acme.example" && m["role"] == "viewer"),
        "{members}"
    );
    assert_eq!(
        pending(&app, &acme).await,
        json!([]),
        "accepted: no longer pending"
    );

    // Withdrawn by the operator: the link no longer works.
    let resp = app
        .admin(Method::POST, &path)
        .json(&json!({"email": "cfo@acme.example"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 201);
    let link = link_path(&app.mail_to("cfo@acme.example").await);
    let (got, _) = call(
        &app,
        &team,
        Method::DELETE,
        &format!("{path}/cfo%40acme.example"),
        None,
    )
    .await;
    assert_eq!(got, 204);
    let (got, _) = call(
        &app,
        &team,
        Method::DELETE,
        &format!("{path}/cfo%40acme.example"),
        None,
    )
    .await;
    assert_eq!(got, 404);
    let (got, _) = call(
        &app,
        &team,
        Method::DELETE,
        &format!("{path}/not-an-address"),
        None,
    )
    .await;
    assert_eq!(got, 404, "no invitation can be to a non-address");
    let cfo = platform_user(&app, "cfo@acme.example").await;
    let token_value = link.trim_start_matches("/dashboard/invite?token=");
    let refused = cfo
        .post("/dashboard/invite", &[("token", token_value)])
        .await;
    assert!(refused.status >= 400, "{}", refused.body);

    // The platform tenant has no team.
    let platform = app.admin_json("/manage/v1/tenants/by-slug/platform").await;
    let resp = app
        .admin(
            Method::POST,
            &format!(
                "/manage/v1/tenants/{}/invitations",
                platform["id"].as_str().expect("id")
            ),
        )
        .json(&json!({"email": "x@acme.example"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 409);
}

both_engines!(
    team_invitations_by_api_credential_and_operator,
    invitations_by_api
);
