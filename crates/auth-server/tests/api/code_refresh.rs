//! The first refresh token of a code exchange is stored in the statement
//! that redeems the code, when the code says the exchange gives one (decided
//! at the authorization). A refused exchange leaves no refresh token behind;
//! a hint gone stale (the client's settings changed between the authorization
//! and the exchange) never gives a token the client may not have, nor
//! withholds one it may.
use reqwest::Method;
use serde_json::json;
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::helpers::{spawn_app, TestApp, PASSWORD};
use crate::oidc::{
    acme_code, authorize, authorize_path, create_client, exchange_acme_code, param, pkce, token,
};

const EMAIL: &str = "alice@example.com";

async fn refresh_rows(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM refresh_tokens")
        .fetch_one(&app.database.pool)
        .await
        .expect("count")
}

async fn first_refresh_token(engine: Engine) {
    let app = spawn_app(engine).await;
    let tenant = app.tenant("acme", json!({})).await;
    let web = app.web();
    app.signup_verified(&web, "acme", EMAIL, PASSWORD).await;
    let client = create_client(&app, &tenant.id.to_string(), json!({"first_party": true})).await;

    // A wrong verifier: refused, and no refresh token stays stored.
    let (code, _) = acme_code(&web, &client, EMAIL).await;
    let (status, body) = exchange_acme_code(&app, &client, &(code, pkce().0)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    assert_eq!(refresh_rows(&app).await, 0);

    // The right one: a refresh token that works.
    let (code, verifier) = acme_code(&web, &client, EMAIL).await;
    let (status, body) = exchange_acme_code(&app, &client, &(code, verifier)).await;
    assert_eq!(status, 200, "{body}");
    let rt = body["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_owned();
    assert_eq!(refresh_rows(&app).await, 1);
    let (status, body) = token(
        &app,
        "acme",
        &client,
        &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // The client loses refresh tokens after the authorization: none given,
    // none stored.
    let before = refresh_rows(&app).await;
    let (code, verifier) = acme_code(&web, &client, EMAIL).await;
    let path = format!("/manage/v1/tenants/{}/clients/{}", tenant.id, client.id);
    let patched = app
        .admin(Method::PATCH, &path)
        .json(&json!({"grant_types": ["authorization_code"]}))
        .send()
        .await
        .expect("sent");
    assert_eq!(patched.status(), 200);
    let (status, body) = exchange_acme_code(&app, &client, &(code, verifier)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert_eq!(refresh_rows(&app).await, before);

    // A third-party client without offline_access gets none; made
    // first-party after the authorization, it gets one at the exchange.
    let third = create_client(&app, &tenant.id.to_string(), json!({"first_party": false})).await;
    let (verifier, challenge) = pkce();
    let cb = authorize(
        &web,
        &authorize_path("acme", &third, &challenge, &[]),
        EMAIL,
        PASSWORD,
    )
    .await;
    let code = param(&cb, "code").expect("code (consent given by the helper)");
    let path = format!("/manage/v1/tenants/{}/clients/{}", tenant.id, third.id);
    let patched = app
        .admin(Method::PATCH, &path)
        .json(&json!({"first_party": true}))
        .send()
        .await
        .expect("sent");
    assert_eq!(patched.status(), 200);
    let (status, body) = exchange_acme_code(&app, &third, &(code, verifier)).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["refresh_token"].is_string(),
        "the rule decides: {body}"
    );
}

both_engines!(
    the_first_refresh_token_is_stored_with_the_redemption_and_only_when_due,
    first_refresh_token
);
