//! What applications got through a login session ends with the session, on
//! every path that ends one (the account page, "end other sessions", the
//! operator API, the per-user session cap) — and only with it: a handle of
//! someone else's session ends and revokes nothing. A code is refused once
//! its session has ended, even if the grant it belongs to escaped the
//! revocation (stored a moment after a logout revoked the session's grants).
use auth_server::domain::tenant::TenantId;
use auth_server::domain::user::UserId;
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::helpers::{spawn_app, spawn_app_with, TestApp, PASSWORD};
use crate::oidc::{
    acme_code, claims, code_flow, create_client, exchange_acme_code, token, TestClient,
};
use crate::web::Web;

const ALICE: &str = "alice@example.com";

/// A refresh with `tokens`' refresh token: the status and the OAuth error, if any.
async fn refresh(app: &TestApp, client: &TestClient, tokens: &Value) -> (u16, Option<String>) {
    let (status, body) = token(
        app,
        "acme",
        client,
        &[
            ("grant_type", "refresh_token"),
            (
                "refresh_token",
                tokens["refresh_token"].as_str().expect("refresh token"),
            ),
        ],
    )
    .await;
    (status, body["error"].as_str().map(str::to_owned))
}

fn refused() -> (u16, Option<String>) {
    (400, Some("invalid_grant".to_owned()))
}

/// The session the grant behind `tokens` was made from.
async fn session_of(app: &TestApp, tokens: &Value) -> String {
    let grant = claims(tokens["access_token"].as_str().expect("access token"))["gid"]
        .as_str()
        .expect("gid")
        .to_owned();
    sqlx::query_scalar("SELECT session_handle FROM oauth_grants WHERE id = $1")
        .bind(grant)
        .fetch_one(&app.database.pool)
        .await
        .expect("the grant's session")
}

/// Sessions are ordered by creation second: moves the existing ones back.
async fn age_sessions(app: &TestApp) {
    sqlx::query("UPDATE sessions SET created_at = created_at - 100")
        .execute(&app.database.pool)
        .await
        .expect("age");
}

async fn setup(app: &TestApp) -> (String, TestClient) {
    let tenant = app.tenant("acme", json!({})).await;
    let tenant_id = tenant.id.to_string();
    let client = create_client(app, &tenant_id, json!({"first_party": true})).await;
    (tenant_id, client)
}

async fn another_users_handle_ends_nothing(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_, client) = setup(&app).await;
    let alice = app.web();
    app.signup_verified(&alice, "acme", ALICE, PASSWORD).await;
    let tokens = code_flow(&app, &alice, "acme", &client, ALICE, PASSWORD).await;
    let alices_session = session_of(&app, &tokens).await;

    let mallory = app.web();
    app.signup_verified(&mallory, "acme", "mallory@example.com", PASSWORD)
        .await;
    app.login(&mallory, "acme", "mallory@example.com", PASSWORD)
        .await;
    let ended = mallory
        .post(
            &format!("/t/acme/account/sessions/{alices_session}/end"),
            &[],
        )
        .await;
    assert_eq!(ended.location.as_deref(), Some("/t/acme/account"));

    assert_eq!(
        alice.get("/t/acme/account").await.status,
        200,
        "Alice's session is still valid"
    );
    let (status, error) = refresh(&app, &client, &tokens).await;
    assert_eq!(
        (status, error),
        (200, None),
        "Alice's refresh token still works"
    );
}

async fn ending_other_sessions_revokes_their_tokens(engine: Engine) {
    let app = spawn_app(engine).await;
    let (tenant_id, client) = setup(&app).await;
    let laptop = app.web();
    app.signup_verified(&laptop, "acme", ALICE, PASSWORD).await;
    let on_laptop = code_flow(&app, &laptop, "acme", &client, ALICE, PASSWORD).await;
    let phone = app.web();
    let on_phone = code_flow(&app, &phone, "acme", &client, ALICE, PASSWORD).await;
    assert_ne!(
        session_of(&app, &on_laptop).await,
        session_of(&app, &on_phone).await
    );

    let done = laptop
        .post("/t/acme/account/sessions/end-others", &[])
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    let ended = auth_server::store::audit::AuditStore::new(app.database.pool.clone())
        .recent(
            auth_server::domain::tenant::TenantId::parse(&tenant_id).expect("id"),
            50,
        )
        .await
        .expect("audit")
        .into_iter()
        .find(|e| e.kind == "session_end")
        .expect("a session_end event");
    assert_eq!(ended.detail, "1 other sessions");

    assert_eq!(refresh(&app, &client, &on_phone).await, refused());
    assert_eq!(
        refresh(&app, &client, &on_laptop).await,
        (200, None),
        "the current session's tokens stay valid"
    );
}

async fn operator_ending_sessions_revokes_their_tokens(engine: Engine) {
    let app = spawn_app(engine).await;
    let (tenant_id, client) = setup(&app).await;
    let web = app.web();
    app.signup_verified(&web, "acme", ALICE, PASSWORD).await;
    let tokens = code_flow(&app, &web, "acme", &client, ALICE, PASSWORD).await;
    let user_id = claims(tokens["access_token"].as_str().expect("at"))["sub"]
        .as_str()
        .expect("sub")
        .to_owned();

    let ended: Value = app
        .admin(
            Method::DELETE,
            &format!("/manage/v1/tenants/{tenant_id}/users/{user_id}/sessions"),
        )
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert!(ended["ended"].as_u64().is_some_and(|n| n >= 1), "{ended}");

    assert_eq!(refresh(&app, &client, &tokens).await, refused());
}

async fn the_session_cap_revokes_the_ended_sessions_tokens(engine: Engine) {
    let app = spawn_app_with(engine, &[("AUTH_MAX_SESSIONS_PER_USER", "1")]).await;
    let (_, client) = setup(&app).await;
    let first = app.web();
    app.signup_verified(&first, "acme", ALICE, PASSWORD).await;
    let on_first = code_flow(&app, &first, "acme", &client, ALICE, PASSWORD).await;
    age_sessions(&app).await;

    let second: Web = app.web();
    let on_second = code_flow(&app, &second, "acme", &client, ALICE, PASSWORD).await;
    assert_eq!(
        first.get("/t/acme/account").await.location.as_deref(),
        Some("/t/acme/login"),
        "the oldest session ended"
    );

    assert_eq!(refresh(&app, &client, &on_first).await, refused());
    assert_eq!(refresh(&app, &client, &on_second).await, (200, None));
}

/// A privilege change gives the session a new id, not a new identity: what
/// an application got before TOTP enrolment still ends with the logout.
async fn a_reissued_session_keeps_its_grants(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_, client) = setup(&app).await;
    let web = app.web();
    app.signup_verified(&web, "acme", ALICE, PASSWORD).await;
    let tokens = code_flow(&app, &web, "acme", &client, ALICE, PASSWORD).await;
    let before = web.cookie("ca_session_acme").expect("session cookie");

    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    web.enrol_totp("acme", PASSWORD, now).await;
    assert_ne!(
        web.cookie("ca_session_acme").as_deref(),
        Some(before.as_str()),
        "enrolment re-issues the session"
    );

    let out = web.post("/t/acme/logout", &[]).await;
    assert!(out.contains("You are logged out"), "{}", out.body);
    assert_eq!(refresh(&app, &client, &tokens).await, refused());
}

/// A second login in the same browser continues the user's session: the
/// logout that follows still ends what the first login gave.
async fn a_second_login_continues_the_session(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_, client) = setup(&app).await;
    let web = app.web();
    app.signup_verified(&web, "acme", ALICE, PASSWORD).await;
    let tokens = code_flow(&app, &web, "acme", &client, ALICE, PASSWORD).await;
    let handle = session_of(&app, &tokens).await;
    assert_eq!(app.login(&web, "acme", ALICE, PASSWORD).await.status, 303);
    let out = web.post("/t/acme/logout", &[]).await;
    assert!(out.contains("You are logged out"), "{}", out.body);
    assert_eq!(refresh(&app, &client, &tokens).await, refused());
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE handle = $1")
        .bind(handle)
        .fetch_one(&app.database.pool)
        .await
        .expect("count");
    assert_eq!(left, 0);
}

/// Another user signing in on the same browser ends the first user's
/// session there, and with it what applications got through it.
async fn another_users_login_ends_the_session(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_, client) = setup(&app).await;
    let web = app.web();
    app.signup_verified(&web, "acme", ALICE, PASSWORD).await;
    let alices = code_flow(&app, &web, "acme", &client, ALICE, PASSWORD).await;
    let bob = "bob@example.com";
    app.signup_verified(&app.web(), "acme", bob, PASSWORD).await;
    assert_eq!(app.login(&web, "acme", bob, PASSWORD).await.status, 303);
    assert!(web.signed_in_at("acme").await, "Bob is signed in");
    assert_eq!(refresh(&app, &client, &alices).await, refused());
}

/// The race of a logout and an authorization: the logout has deleted the
/// session and revoked its grants; the authorization, which read the session
/// just before, stores its grant and code just after. The code gives
/// nothing.
async fn a_code_of_an_ended_session_gives_nothing(engine: Engine) {
    let app = spawn_app(engine).await;
    let (tenant_id, client) = setup(&app).await;
    let alice = app.web();
    app.signup_verified(&alice, "acme", ALICE, PASSWORD).await;
    let code = acme_code(&alice, &client, ALICE).await;
    // What the logout did before the grant was stored: the session is gone,
    // the grant (stored after the revocation) is not revoked.
    let user: String = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(ALICE)
        .fetch_one(&app.database.pool)
        .await
        .expect("alice");
    auth_server::store::sessions::SessionStore::new(app.database.pool.clone())
        .delete_all_for_user(
            TenantId::parse(&tenant_id).expect("tenant id"),
            UserId::parse(&user).expect("user id"),
        )
        .await
        .expect("ended");

    let (status, body) = exchange_acme_code(&app, &client, &code).await;
    assert_eq!(
        (
            status,
            body["error"].as_str(),
            body["error_description"].as_str()
        ),
        (
            400,
            Some("invalid_grant"),
            Some("the sign-in that made the code has ended")
        ),
        "{body}"
    );
    assert!(body.get("refresh_token").is_none());
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM refresh_tokens")
        .fetch_one(&app.database.pool)
        .await
        .expect("count");
    assert_eq!(stored, 0, "the first refresh token went with the refusal");
}

both_engines!(
    a_code_whose_session_ended_gives_nothing,
    a_code_of_an_ended_session_gives_nothing
);
both_engines!(
    a_second_login_in_the_same_browser_keeps_the_grants_tied_to_the_session,
    a_second_login_continues_the_session
);
both_engines!(
    another_users_login_in_the_same_browser_revokes_the_first_users_grants,
    another_users_login_ends_the_session
);
both_engines!(
    logging_out_after_mfa_enrolment_revokes_what_the_login_gave,
    a_reissued_session_keeps_its_grants
);
both_engines!(
    a_handle_of_another_users_session_ends_and_revokes_nothing,
    another_users_handle_ends_nothing
);
both_engines!(
    ending_other_sessions_revokes_their_refresh_tokens,
    ending_other_sessions_revokes_their_tokens
);
both_engines!(
    the_operator_ending_sessions_revokes_their_refresh_tokens,
    operator_ending_sessions_revokes_their_tokens
);
both_engines!(
    the_session_cap_revokes_the_refresh_tokens_of_the_sessions_it_ends,
    the_session_cap_revokes_the_ended_sessions_tokens
);
