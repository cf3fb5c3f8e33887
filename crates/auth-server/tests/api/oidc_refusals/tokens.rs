//! The token endpoint's refusals (RFC 6749 errors, PKCE), tokens worthless
//! at another tenant, refresh tokens revoked by logout and password reset,
//! and CORS for registered origins only.
use serde_json::{json, Value};

use super::{logged_in_app, tokens_for};
use crate::helpers::PASSWORD;
use crate::oidc::{
    authorize, authorize_path, basic, create_client, param, pkce, token, TestClient, REDIRECT,
};

#[tokio::test]
async fn token_endpoint_refusals() {
    let (app, client, web, tenant) = logged_in_app().await;
    let (verifier, challenge) = pkce();
    let cb = authorize(
        &web,
        &authorize_path("acme", &client, &challenge, &[]),
        "alice@example.com",
        PASSWORD,
    )
    .await;
    let code = param(&cb, "code").expect("code");
    let wrong_secret = TestClient {
        id: client.id.clone(),
        secret: Some("nope".into()),
    };
    let resp = app
        .client
        .post(app.url("/t/acme/token"))
        .header("authorization", basic(&wrong_secret))
        .form(&[("grant_type", "authorization_code"), ("code", &code)])
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status().as_u16(), 401);
    assert!(resp.headers()["www-authenticate"]
        .to_str()
        .expect("ascii")
        .starts_with("Basic"));
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["error"], "invalid_client");
    for (form, expected) in [
        (
            vec![
                ("grant_type", "password"),
                ("username", "a"),
                ("password", "b"),
            ],
            "unsupported_grant_type",
        ),
        (vec![("grant_type", "implicit")], "unsupported_grant_type"),
        (vec![], "invalid_request"),
        (
            vec![
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", "https://app.example/other"),
                ("code_verifier", verifier.as_str()),
            ],
            "invalid_grant",
        ),
    ] {
        let (status, body) = token(&app, "acme", &client, &form).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some(expected)),
            "{form:?}"
        );
    }
    // The redirect_uri mismatch used the code up: a fresh one for the PKCE checks.
    let cb = authorize(
        &web,
        &authorize_path("acme", &client, &challenge, &[]),
        "alice@example.com",
        PASSWORD,
    )
    .await;
    let (status, body) = token(
        &app,
        "acme",
        &client,
        &[
            ("grant_type", "authorization_code"),
            ("code", &param(&cb, "code").expect("code")),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &pkce().0),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "wrong verifier"
    );
    // PKCE downgrade: a verifier for a request that had none (possible only
    // for a confidential client opted out of PKCE).
    let legacy = create_client(
        &app,
        &tenant.id.to_string(),
        json!({"first_party": true, "require_pkce": false}),
    )
    .await;
    let mut q = authorize_path("acme", &legacy, "x", &[]);
    q = q.replace("&code_challenge=x&code_challenge_method=S256", "");
    let cb = authorize(&web, &q, "alice@example.com", PASSWORD).await;
    let (status, body) = token(
        &app,
        "acme",
        &legacy,
        &[
            ("grant_type", "authorization_code"),
            ("code", &param(&cb, "code").expect("code")),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "downgrade refused"
    );
    // A client of another tenant does not exist here.
    let other = app.tenant("other", json!({})).await;
    let foreign = create_client(&app, &other.id.to_string(), json!({})).await;
    let (status, body) = token(
        &app,
        "acme",
        &foreign,
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let _ = tenant;
}

#[tokio::test]
async fn tokens_of_one_tenant_are_worthless_at_another() {
    let (app, client, web, _) = logged_in_app().await;
    let tokens = tokens_for(&app, &web, &client).await;
    let access = tokens["access_token"].as_str().expect("at");
    let other = app.tenant("other", json!({})).await;
    let other_client = create_client(&app, &other.id.to_string(), json!({})).await;
    let at_b = app
        .client
        .get(app.url("/t/other/userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .expect("sent");
    assert_eq!(at_b.status().as_u16(), 401);
    assert_eq!(
        crate::oidc::introspect(&app, "other", &other_client, access).await["active"],
        false
    );
    let (status, _) = token(
        &app,
        "other",
        &other_client,
        &[
            ("grant_type", "refresh_token"),
            (
                "refresh_token",
                tokens["refresh_token"].as_str().expect("rt"),
            ),
        ],
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn logout_and_password_reset_revoke_refresh_tokens() {
    let (app, client, web, _) = logged_in_app().await;
    let tokens = tokens_for(&app, &web, &client).await;
    web.post("/t/acme/logout", &[]).await;
    let (status, _) = token(
        &app,
        "acme",
        &client,
        &[
            ("grant_type", "refresh_token"),
            (
                "refresh_token",
                tokens["refresh_token"].as_str().expect("rt"),
            ),
        ],
    )
    .await;
    assert_eq!(status, 400, "logout ends the grants of the session");
    let tokens = tokens_for(&app, &web, &client).await;
    let other = app.web();
    other.get("/t/acme/forgot-password").await;
    other
        .post("/t/acme/forgot-password", &[("email", "alice@example.com")])
        .await;
    let link = crate::web::link_path(&app.mail_to("alice@example.com").await);
    assert!(link.contains("/reset-password?"), "{link}");
    other.get(&link).await;
    other
        .post(
            "/t/acme/reset-password",
            &[
                ("token", &crate::web::token_of(&link)),
                ("password", "another long passphrase 9"),
            ],
        )
        .await;
    let (status, _) = token(
        &app,
        "acme",
        &client,
        &[
            ("grant_type", "refresh_token"),
            (
                "refresh_token",
                tokens["refresh_token"].as_str().expect("rt"),
            ),
        ],
    )
    .await;
    assert_eq!(status, 400, "password reset revokes refresh tokens");
}

#[tokio::test]
async fn cors_answers_registered_origins_only() {
    let (app, client, _, _) = logged_in_app().await;
    let pre = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/t/acme/token"))
        .header("origin", "https://app.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .expect("sent");
    assert_eq!(
        pre.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    let evil = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/t/acme/token"))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .expect("sent");
    assert!(evil.headers().get("access-control-allow-origin").is_none());
    let jwks = app
        .client
        .get(app.url("/t/acme/jwks.json"))
        .header("origin", "https://anyone.example")
        .send()
        .await
        .expect("sent");
    assert_eq!(jwks.headers()["access-control-allow-origin"], "*");
    let authz = app
        .client
        .get(app.url(&authorize_path("acme", &client, &pkce().1, &[])))
        .header("origin", "https://app.example")
        .send()
        .await
        .expect("sent");
    assert!(
        authz.headers().get("access-control-allow-origin").is_none(),
        "never CORS on authorize"
    );
}
