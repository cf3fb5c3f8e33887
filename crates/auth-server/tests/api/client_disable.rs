//! Disabling a client through the management API ends what it holds: its
//! grants are revoked, its refresh tokens refused, its access tokens inactive
//! at introspection and refused at userinfo.
use reqwest::Method;
use serde_json::json;
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::helpers::{spawn_app, TestApp, PASSWORD};
use crate::oidc::{code_flow, create_client, introspect, token, TestClient};

async fn userinfo_status(app: &TestApp, access: &str) -> u16 {
    app.client
        .get(app.url("/t/acme/userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .expect("sent")
        .status()
        .as_u16()
}

async fn live_grants(app: &TestApp, client: &TestClient) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM oauth_grants WHERE client_id = $1 AND revoked_at IS NULL",
    )
    .bind(&client.id)
    .fetch_one(&app.database.pool)
    .await
    .expect("count")
}

async fn disabling_a_client_ends_its_tokens(engine: Engine) {
    let app = spawn_app(engine).await;
    let tenant = app.tenant("acme", json!({})).await;
    let tenant_id = tenant.id.to_string();
    let web = app.web();
    app.signup_verified(&web, "acme", "alice@example.com", PASSWORD)
        .await;
    let client = create_client(&app, &tenant_id, json!({"first_party": true})).await;
    // A resource server of the tenant allowed to introspect every token
    // (refresh tokens have no audience, so only this privilege shows them).
    let api = create_client(&app, &tenant_id, json!({"privileges": ["introspect:any"]})).await;
    let tokens = code_flow(&app, &web, "acme", &client, "alice@example.com", PASSWORD).await;
    let access = tokens["access_token"].as_str().expect("at");
    let refresh = tokens["refresh_token"].as_str().expect("rt");
    assert_eq!(introspect(&app, "acme", &api, access).await["active"], true);
    assert_eq!(
        introspect(&app, "acme", &api, refresh).await["active"],
        true
    );
    assert_eq!(userinfo_status(&app, access).await, 200);
    assert_eq!(live_grants(&app, &client).await, 1);

    let disabled = app
        .admin(
            Method::POST,
            &format!(
                "/manage/v1/tenants/{tenant_id}/clients/{}/disable",
                client.id
            ),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(disabled.status().as_u16(), 200);

    assert_eq!(
        live_grants(&app, &client).await,
        0,
        "its grants are revoked"
    );
    let (status, body) = token(
        &app,
        "acme",
        &client,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    assert_eq!(
        introspect(&app, "acme", &api, access).await["active"],
        false
    );
    assert_eq!(
        introspect(&app, "acme", &api, refresh).await["active"],
        false
    );
    assert_eq!(userinfo_status(&app, access).await, 401);
    // Nor does the client authenticate for a new token of its own.
    let (status, body) = token(
        &app,
        "acme",
        &client,
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client")),
        "{body}"
    );
}

both_engines!(
    disabling_a_client_revokes_its_grants_and_deactivates_its_tokens,
    disabling_a_client_ends_its_tokens
);
