//! The authorize endpoint's refusals: no redirect to an unregistered URI,
//! errors sent back to the client with `state` and `iss`, the limits on
//! `state` and `nonce`, `prompt`, consent, and a tenant requiring MFA.
use serde_json::json;
use service_kit::db::Engine;

use super::logged_in_app;
use crate::helpers::{spawn_app, PASSWORD};
use crate::oidc::{authorize_path, create_client, param, pkce};

#[tokio::test]
async fn authorize_never_redirects_to_an_unregistered_uri() {
    let (app, client, web, tenant) = logged_in_app().await;
    let (_, challenge) = pkce();
    let evil = authorize_path("acme", &client, &challenge, &[])
        .replace("app.example%2Fcallback", "evil.example%2Fcallback");
    let page = web.get(&evil).await;
    assert_eq!(page.status, 400);
    assert!(page.location.is_none() && page.contains("not registered"));
    let near = authorize_path("acme", &client, &challenge, &[]).replace("callback", "callback%2F");
    assert_eq!(web.get(&near).await.status, 400, "exact match only");
    let unknown = web.get("/t/acme/authorize?response_type=code&client_id=cli_nobody&redirect_uri=https%3A%2F%2Fapp.example%2Fcallback").await;
    assert_eq!(unknown.status, 400);
    // The client of another tenant is unknown here.
    let other = app.tenant("other", json!({})).await;
    let foreign = create_client(&app, &other.id.to_string(), json!({})).await;
    assert_eq!(
        web.get(&authorize_path("acme", &foreign, &challenge, &[]))
            .await
            .status,
        400
    );
    let _ = tenant;
}

#[tokio::test]
async fn authorize_errors_go_back_to_the_client_with_state_and_iss() {
    let (app, client, web, tenant) = logged_in_app().await;
    let public = create_client(
        &app,
        &tenant.id.to_string(),
        json!({"kind": "public", "grant_types": ["authorization_code"]}),
    )
    .await;
    let cases: Vec<(String, &str)> = vec![
        (
            authorize_path("acme", &client, "x", &[])
                .replace("code_challenge=x", "code_challenge=tooshort"),
            "invalid_request",
        ),
        (
            authorize_path("acme", &client, &pkce().1, &[]).replace("S256", "plain"),
            "invalid_request",
        ),
        (
            authorize_path("acme", &client, &pkce().1, &[])
                .replace("response_type=code", "response_type=token"),
            "unsupported_response_type",
        ),
        (
            authorize_path("acme", &client, &pkce().1, &[])
                .replace("scope=openid+profile+email", "scope=openid+admin"),
            "invalid_scope",
        ),
        (
            authorize_path("acme", &client, &pkce().1, &[("request", "eyJ")]),
            "request_not_supported",
        ),
        (
            authorize_path("acme", &public, &pkce().1, &[])
                .replace("&code_challenge=", "&x=")
                .replace("&code_challenge_method=S256", ""),
            "invalid_request",
        ),
    ];
    for (path, expected) in cases {
        let page = web.get(&path).await;
        assert_eq!(page.status, 303, "{path}: {}", page.body);
        let cb = crate::oidc::callback_params(page.location.as_deref().expect("location"));
        assert_eq!(param(&cb, "error").as_deref(), Some(expected), "{path}");
        assert_eq!(param(&cb, "state").as_deref(), Some("st-123"));
        assert!(param(&cb, "iss").is_some_and(|i| i.ends_with("/t/acme")));
        assert!(param(&cb, "code").is_none());
    }
}

/// `state` may be 2,048 characters and `nonce` 512: at the limit the request
/// gets its code, one more is `invalid_request`; the answer comes in the
/// query, the only `response_mode` there is; `prompt=select_account` is
/// understood (there is one account per browser), `prompt=none` with
/// `login` or `consent` is a contradiction.
#[tokio::test]
async fn authorize_limits_state_and_nonce_and_answers_in_the_query_only() {
    let (_app, client, web, _) = logged_in_app().await;
    let with = |state: &str, nonce: &str, extra: &[(&str, &str)]| {
        authorize_path("acme", &client, &pkce().1, extra)
            .replace("state=st-123", &format!("state={state}"))
            .replace("nonce=n-456", &format!("nonce={nonce}"))
    };
    let long = |n: usize| "a".repeat(n);
    let cases: Vec<(String, Option<&str>)> = vec![
        (with(&long(2048), "n", &[]), None),
        (with(&long(2049), "n", &[]), Some("invalid_request")),
        (with("s", &long(512), &[]), None),
        (with("s", &long(513), &[]), Some("invalid_request")),
        (with("s", "n", &[("response_mode", "query")]), None),
        (
            with("s", "n", &[("response_mode", "fragment")]),
            Some("invalid_request"),
        ),
        (with("s", "n", &[("prompt", "select_account")]), None),
        (
            with("s", "n", &[("prompt", "none login")]),
            Some("invalid_request"),
        ),
        (
            with("s", "n", &[("prompt", "none consent")]),
            Some("invalid_request"),
        ),
    ];
    for (path, error) in cases {
        let page = web.get(&path).await;
        assert_eq!(page.status, 303, "{path}: {}", page.body);
        let cb = crate::oidc::callback_params(page.location.as_deref().expect("location"));
        assert_eq!(param(&cb, "error").as_deref(), error, "{path}");
        assert_eq!(param(&cb, "code").is_some(), error.is_none(), "{path}");
    }
}

#[tokio::test]
async fn prompt_none_without_a_session_is_login_required() {
    let app = spawn_app(Engine::Sqlite).await;
    let tenant = app.tenant("acme", json!({})).await;
    let client = create_client(&app, &tenant.id.to_string(), json!({})).await;
    let web = app.web();
    let page = web
        .get(&authorize_path(
            "acme",
            &client,
            &pkce().1,
            &[("prompt", "none")],
        ))
        .await;
    let cb = crate::oidc::callback_params(page.location.as_deref().expect("location"));
    assert_eq!(param(&cb, "error").as_deref(), Some("login_required"));
    // Without prompt=none the user is sent to log in, and the way back is kept.
    let page = web
        .get(&authorize_path(
            "acme",
            &client,
            &pkce().1,
            &[("login_hint", "bob@example.com")],
        ))
        .await;
    let location = page.location.expect("to login");
    assert!(
        location.starts_with("/t/acme/login?return_to=%2Ft%2Facme%2Fauthorize%3F"),
        "{location}"
    );
    assert!(
        web.get(&location)
            .await
            .contains("value=\"bob@example.com\""),
        "login_hint fills the email"
    );
}

#[tokio::test]
async fn third_party_clients_need_consent_and_a_denial_says_access_denied() {
    let (app, _, web, tenant) = logged_in_app().await;
    let third = create_client(&app, &tenant.id.to_string(), json!({"name": "Other App"})).await;
    let page = web
        .get(&authorize_path("acme", &third, &pkce().1, &[]))
        .await;
    assert!(
        page.contains("Other App") && page.contains("name=\"authz\""),
        "{}",
        page.body
    );
    let none = web
        .get(&authorize_path(
            "acme",
            &third,
            &pkce().1,
            &[("prompt", "none")],
        ))
        .await;
    let cb = crate::oidc::callback_params(none.location.as_deref().expect("location"));
    assert_eq!(param(&cb, "error").as_deref(), Some("consent_required"));
    let authz = page
        .between("name=\"authz\" value=\"", "\"")
        .expect("authz")
        .replace("&amp;", "&");
    let denied = web
        .post(
            "/t/acme/authorize/consent",
            &[("authz", &authz), ("decision", "deny")],
        )
        .await;
    let cb = crate::oidc::callback_params(denied.location.as_deref().expect("location"));
    assert_eq!(param(&cb, "error").as_deref(), Some("access_denied"));
    let forged = web
        .post_raw(
            "/t/acme/authorize/consent",
            &[("authz", &authz), ("decision", "allow")],
        )
        .await;
    assert_eq!(forged.status, 403, "consent needs the CSRF token");
}

#[tokio::test]
async fn a_tenant_requiring_mfa_issues_no_code_before_enrolment() {
    let app = spawn_app(Engine::Sqlite).await;
    let tenant = app.tenant("strict", json!({"require_mfa": true})).await;
    let web = app.web();
    app.signup_verified(&web, "strict", "gus@example.com", PASSWORD)
        .await;
    app.login(&web, "strict", "gus@example.com", PASSWORD).await;
    let client = create_client(&app, &tenant.id.to_string(), json!({"first_party": true})).await;
    let page = web
        .get(&authorize_path("strict", &client, &pkce().1, &[]))
        .await;
    // Enrolment first, and the request waits for it (return_to).
    let enroll = page.location.as_deref().unwrap_or_default();
    assert!(
        enroll.starts_with("/t/strict/mfa/enroll?return_to=%2Ft%2Fstrict%2Fauthorize%3F"),
        "{enroll}"
    );
    let none = web
        .get(&authorize_path(
            "strict",
            &client,
            &pkce().1,
            &[("prompt", "none")],
        ))
        .await;
    let cb = crate::oidc::callback_params(none.location.as_deref().expect("location"));
    assert_eq!(param(&cb, "error").as_deref(), Some("login_required"));
    assert!(param(&cb, "code").is_none());
}
