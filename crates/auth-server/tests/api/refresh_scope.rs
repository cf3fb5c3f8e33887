//! What a refresh gives (RFC 6749 §6): the new refresh token keeps the scope
//! of the grant however narrow the access token asked for, a client gets no
//! more than it may ask for today, and a refresh token comes only with
//! `offline_access` or to a first-party client.
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::helpers::{spawn_app, TestApp, PASSWORD};
use crate::oidc::{code_flow, code_flow_with_scope, create_client, token, TestClient};

const ALICE: &str = "alice@example.com";
const FULL: &str = "openid profile email api:read";

/// A refresh, asking for `scope` if given: the status and the body.
async fn refresh(
    app: &TestApp,
    client: &TestClient,
    refresh_token: &Value,
    scope: Option<&str>,
) -> (u16, Value) {
    let mut form = vec![
        ("grant_type", "refresh_token"),
        (
            "refresh_token",
            refresh_token.as_str().expect("a refresh token"),
        ),
    ];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    token(app, "acme", client, &form).await
}

async fn setup(engine: Engine, client: Value) -> (TestApp, String, TestClient) {
    let app = spawn_app(engine).await;
    let tenant = app.tenant("acme", json!({})).await;
    let tenant_id = tenant.id.to_string();
    let client = create_client(&app, &tenant_id, client).await;
    (app, tenant_id, client)
}

async fn narrowing_keeps_the_grants_scope(engine: Engine) {
    let (app, _, client) = setup(engine, json!({"first_party": true})).await;
    let web = app.web();
    app.signup_verified(&web, "acme", ALICE, PASSWORD).await;
    let tokens = code_flow_with_scope(&app, &web, "acme", &client, ALICE, PASSWORD, FULL).await;
    assert_eq!(tokens["scope"], FULL);

    let (status, narrow) = refresh(&app, &client, &tokens["refresh_token"], Some("openid")).await;
    assert_eq!(status, 200, "{narrow}");
    assert_eq!(narrow["scope"], "openid", "the access token is narrowed");

    // Asking beyond the grant is refused, and leaves the token usable.
    let (status, wider) = refresh(
        &app,
        &client,
        &narrow["refresh_token"],
        Some("openid offline_access"),
    )
    .await;
    assert_eq!(
        (status, wider["error"].as_str()),
        (400, Some("invalid_scope"))
    );
    let (status, again) = refresh(&app, &client, &narrow["refresh_token"], None).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        again["scope"], FULL,
        "the rotated refresh token kept the grant's scope"
    );
    let (status, back) = refresh(
        &app,
        &client,
        &again["refresh_token"],
        Some("openid api:read"),
    )
    .await;
    assert_eq!(
        (status, back["scope"].as_str()),
        (200, Some("openid api:read"))
    );
}

async fn reduced_client_scopes_cut_the_refresh(engine: Engine) {
    let (app, tenant_id, client) = setup(engine, json!({"first_party": true})).await;
    let web = app.web();
    app.signup_verified(&web, "acme", ALICE, PASSWORD).await;
    let tokens = code_flow_with_scope(&app, &web, "acme", &client, ALICE, PASSWORD, FULL).await;
    let patched = app
        .admin(
            Method::PATCH,
            &format!("/manage/v1/tenants/{tenant_id}/clients/{}", client.id),
        )
        .json(&json!({"scopes": ["openid", "profile", "offline_access"]}))
        .send()
        .await
        .expect("sent");
    assert_eq!(patched.status().as_u16(), 200);

    let (status, removed) = refresh(
        &app,
        &client,
        &tokens["refresh_token"],
        Some("openid api:read"),
    )
    .await;
    assert_eq!(
        (status, removed["error"].as_str()),
        (400, Some("invalid_scope")),
        "a scope the client may no longer ask for"
    );
    let (status, cut) = refresh(&app, &client, &tokens["refresh_token"], None).await;
    assert_eq!(status, 200, "{cut}");
    assert_eq!(cut["scope"], "openid profile", "only the intersection");
    // The cut is the grant's now: given its scopes back, the client still
    // refreshes only what was left.
    let widened = app
        .admin(
            Method::PATCH,
            &format!("/manage/v1/tenants/{tenant_id}/clients/{}", client.id),
        )
        .json(&json!({"scopes": ["openid", "profile", "email", "api:read", "offline_access"]}))
        .send()
        .await
        .expect("sent");
    assert_eq!(widened.status().as_u16(), 200);
    let (status, next) = refresh(&app, &client, &cut["refresh_token"], None).await;
    assert_eq!(
        (status, next["scope"].as_str()),
        (200, Some("openid profile"))
    );
}

async fn refresh_tokens_need_offline_access_or_a_first_party_client(engine: Engine) {
    let (app, tenant_id, third_party) = setup(engine, json!({})).await;
    let first_party = create_client(&app, &tenant_id, json!({"first_party": true})).await;
    let web = app.web();
    app.signup_verified(&web, "acme", ALICE, PASSWORD).await;

    let online = code_flow(&app, &web, "acme", &third_party, ALICE, PASSWORD).await;
    assert!(online["access_token"].is_string());
    assert!(
        online.get("refresh_token").is_none(),
        "a third-party client without offline_access: {online}"
    );
    let offline = code_flow_with_scope(
        &app,
        &web,
        "acme",
        &third_party,
        ALICE,
        PASSWORD,
        "openid offline_access",
    )
    .await;
    assert!(offline["refresh_token"].is_string(), "{offline}");
    let own = code_flow(&app, &web, "acme", &first_party, ALICE, PASSWORD).await;
    assert!(
        own["refresh_token"].is_string(),
        "a first-party client: {own}"
    );

    // Without offline_access among its scopes, the third-party client may no
    // longer refresh what it got with it.
    let patched = app
        .admin(
            Method::PATCH,
            &format!("/manage/v1/tenants/{tenant_id}/clients/{}", third_party.id),
        )
        .json(&json!({"scopes": ["openid", "profile", "email"]}))
        .send()
        .await
        .expect("sent");
    assert_eq!(patched.status().as_u16(), 200);
    let (status, body) = refresh(&app, &third_party, &offline["refresh_token"], None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

both_engines!(
    a_rotated_refresh_token_keeps_the_grants_scope,
    narrowing_keeps_the_grants_scope
);
both_engines!(
    a_client_whose_scopes_were_reduced_gets_only_the_intersection,
    reduced_client_scopes_cut_the_refresh
);
both_engines!(
    refresh_tokens_come_with_offline_access_or_to_first_party_clients,
    refresh_tokens_need_offline_access_or_a_first_party_client
);
