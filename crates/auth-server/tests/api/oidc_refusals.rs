//! What the OIDC provider refuses, and how (RFC 6749 errors, no open
//! redirects, tenant isolation, key rotation and revocation).
use std::sync::Arc;

use auth_server::domain::signing_alg::SigningAlg;
use serde_json::{json, Value};
use service_kit::clock::SystemClock;
use service_kit::db::Engine;

use crate::helpers::{spawn_app, within_the_cache_bound, TestApp, PASSWORD};
use crate::oidc::{
    authorize, authorize_path, basic, create_client, header, param, pkce, token, TestClient,
    REDIRECT,
};

async fn logged_in_app() -> (
    TestApp,
    TestClient,
    crate::web::Web,
    auth_server::domain::tenant::Tenant,
) {
    let app = spawn_app(Engine::Sqlite).await;
    let tenant = app.tenant("acme", json!({})).await;
    let web = app.web();
    app.signup_verified(&web, "acme", "alice@example.com", PASSWORD)
        .await;
    app.login(&web, "acme", "alice@example.com", PASSWORD).await;
    let client = create_client(&app, &tenant.id.to_string(), json!({"first_party": true})).await;
    (app, client, web, tenant)
}

async fn tokens_for(app: &TestApp, web: &crate::web::Web, client: &TestClient) -> Value {
    crate::oidc::code_flow(app, web, "acme", client, "alice@example.com", PASSWORD).await
}

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
async fn rotation_keeps_old_tokens_valid_and_revocation_kills_them() {
    let (app, client, web, tenant) = logged_in_app().await;
    let tokens = tokens_for(&app, &web, &client).await;
    let before = tokens["access_token"].as_str().expect("at").to_owned();
    let kid = header(&before)["kid"].as_str().expect("kid").to_owned();
    // Operate on the keys as `connectauth keys …` would, beside the running server.
    // The next key must have been published longer than a JWKS cache lives:
    // age the keys by a day instead of waiting.
    sqlx::query("UPDATE signing_keys SET created_at = created_at - 86400")
        .execute(&app.database.pool)
        .await
        .expect("age");
    let keys = app.key_service(Arc::new(SystemClock));
    keys.rotate(tenant.id, SigningAlg::ES256)
        .await
        .expect("rotated");
    let jwks: Value = app
        .client
        .get(app.url("/t/acme/jwks.json"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert!(
        jwks["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .any(|k| k["kid"] == kid.as_str()),
        "the retired key stays published"
    );
    let still = app
        .client
        .get(app.url("/t/acme/userinfo"))
        .bearer_auth(&before)
        .send()
        .await
        .expect("sent");
    assert_eq!(
        still.status().as_u16(),
        200,
        "a token signed before rotation still verifies"
    );
    // The rotation happened beside the server: it signs with the new key
    // within the cache bound.
    let after = std::cell::RefCell::new(String::new());
    assert!(
        within_the_cache_bound(|| async {
            let token = tokens_for(&app, &web, &client).await["access_token"]
                .as_str()
                .expect("at")
                .to_owned();
            let rotated = header(&token)["kid"].as_str() != Some(kid.as_str());
            *after.borrow_mut() = token;
            rotated
        })
        .await,
        "new tokens use the new key"
    );
    let after = after.into_inner();

    keys.revoke(tenant.id, &kid).await.expect("revoked");
    let published = || async {
        let jwks: Value = app
            .client
            .get(app.url("/t/acme/jwks.json"))
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("json");
        jwks["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .any(|k| k["kid"] == kid.as_str())
    };
    assert!(
        within_the_cache_bound(|| async { !published().await }).await,
        "a revoked key leaves JWKS within the cache bound"
    );
    let refused = app
        .client
        .get(app.url("/t/acme/userinfo"))
        .bearer_auth(&before)
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status().as_u16(), 401, "its tokens are refused");
    assert_eq!(
        app.client
            .get(app.url("/t/acme/userinfo"))
            .bearer_auth(&after)
            .send()
            .await
            .expect("sent")
            .status()
            .as_u16(),
        200
    );
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

/// Gets `client` an ID token, checks it is signed with `alg`, and answers
/// the key of the tenant's JWKS that signed it.
async fn id_token_key(
    app: &TestApp,
    web: &crate::web::Web,
    client: &TestClient,
    alg: &str,
) -> Value {
    let tokens = tokens_for(app, web, client).await;
    let id_token = tokens["id_token"].as_str().expect("id token");
    assert_eq!(header(id_token)["alg"], alg);
    let jwks: Value = app
        .client
        .get(app.url("/t/acme/jwks.json"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .find(|k| k["kid"] == header(id_token)["kid"])
        .cloned()
        .expect("the signing key is published")
}

/// ES256 is the default of a new client; one that asks for RS256 (a relying
/// party that knows only the algorithm every provider must offer) gets it,
/// signed by an RSA key the JWKS publishes.
#[tokio::test]
async fn rs256_id_tokens_for_a_client_that_asks() {
    let (app, _, web, tenant) = logged_in_app().await;
    let client = create_client(
        &app,
        &tenant.id.to_string(),
        json!({"first_party": true, "id_token_alg": "RS256"}),
    )
    .await;
    let key = id_token_key(&app, &web, &client, "RS256").await;
    assert_eq!(key["kty"], "RSA");
    let default = create_client(&app, &tenant.id.to_string(), json!({"first_party": true})).await;
    let tokens = tokens_for(&app, &web, &default).await;
    let id_token = tokens["id_token"].as_str().expect("id token");
    assert_eq!(header(id_token)["alg"], "ES256");
}

#[tokio::test]
async fn eddsa_id_tokens_and_prompt_login_and_max_age() {
    let (app, _, web, tenant) = logged_in_app().await;
    let client = create_client(
        &app,
        &tenant.id.to_string(),
        json!({"first_party": true, "id_token_alg": "EdDSA"}),
    )
    .await;
    let key = id_token_key(&app, &web, &client, "EdDSA").await;
    assert_eq!(key["crv"], "Ed25519");
    // prompt=login asks for the password again even with a session.
    let login_again = web
        .get(&authorize_path(
            "acme",
            &client,
            &pkce().1,
            &[("prompt", "login")],
        ))
        .await;
    assert!(
        login_again
            .location
            .as_deref()
            .is_some_and(|l| l.starts_with("/t/acme/login?")),
        "{:?}",
        login_again.location
    );
    // max_age=0 after a login long ago does too; a fresh login satisfies it.
    sqlx::query("UPDATE sessions SET auth_time = auth_time - 3600")
        .execute(&app.database.pool)
        .await
        .expect("age");
    let stale = web
        .get(&authorize_path(
            "acme",
            &client,
            &pkce().1,
            &[("max_age", "60")],
        ))
        .await;
    assert!(stale
        .location
        .as_deref()
        .is_some_and(|l| l.starts_with("/t/acme/login?")));
    let cb = authorize(
        &web,
        &authorize_path("acme", &client, &pkce().1, &[("max_age", "60")]),
        "alice@example.com",
        PASSWORD,
    )
    .await;
    assert!(param(&cb, "code").is_some());
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
