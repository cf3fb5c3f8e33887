//! Sessions: one tenant's is refused at another, users end their own,
//! idle ones expire, and a new login beyond the cap ends the oldest.
use serde_json::json;
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::helpers::{spawn_app, spawn_app_with, PASSWORD};

async fn a_session_of_tenant_a_is_refused_at_tenant_b(engine: Engine) {
    let app = spawn_app(engine).await;
    app.tenant("tenant-a", json!({})).await;
    app.tenant("tenant-b", json!({})).await;
    let web = app.web();
    app.signup_verified(&web, "tenant-a", "alice@example.com", PASSWORD)
        .await;
    assert_eq!(
        app.login(&web, "tenant-a", "alice@example.com", PASSWORD)
            .await
            .status,
        303
    );
    let secret = web.cookie("ca_session_tenant-a").expect("session of A");
    assert_eq!(web.get("/t/tenant-a/account").await.status, 200);
    // The same secret under B's cookie name: B does not know it.
    web.set_cookie("ca_session_tenant-b", &secret);
    let at_b = web.get("/t/tenant-b/account").await;
    assert_eq!(
        (at_b.status, at_b.location.as_deref()),
        (303, Some("/t/tenant-b/login"))
    );
    let logout_b = web.post("/t/tenant-b/logout", &[]).await;
    assert_eq!(logout_b.status, 200);
    assert_eq!(
        web.get("/t/tenant-a/account").await.status,
        200,
        "B's logout cannot end A's session"
    );
}
both_engines!(
    cross_tenant_session,
    a_session_of_tenant_a_is_refused_at_tenant_b
);

#[tokio::test]
async fn users_list_and_end_their_own_sessions() {
    let app = spawn_app(Engine::Sqlite).await;
    let tenant = app.tenant("acme", json!({})).await;
    let laptop = app.web();
    let phone = app.web();
    app.signup_verified(&laptop, "acme", "alice@example.com", PASSWORD)
        .await;
    app.login(&laptop, "acme", "alice@example.com", PASSWORD)
        .await;
    app.login(&phone, "acme", "alice@example.com", PASSWORD)
        .await;
    let account = laptop.get("/t/acme/account").await;
    let handles: Vec<String> = account
        .body
        .split("/account/sessions/")
        .skip(1)
        .filter_map(|s| s.split("/end").next().map(str::to_owned))
        .filter(|h| h != "end-others")
        .collect();
    assert_eq!(
        handles.len(),
        1,
        "the other session can be ended: {}",
        account.body
    );
    let ended = laptop
        .post(&format!("/t/acme/account/sessions/{}/end", handles[0]), &[])
        .await;
    assert_eq!(ended.location.as_deref(), Some("/t/acme/account"));
    assert_eq!(
        phone.get("/t/acme/account").await.location.as_deref(),
        Some("/t/acme/login")
    );
    assert_eq!(laptop.get("/t/acme/account").await.status, 200);
    assert!(app
        .audit_kinds(&tenant)
        .await
        .contains(&("session_end".into(), "success".into())));
}

#[tokio::test]
async fn idle_sessions_expire() {
    let app = spawn_app(Engine::Sqlite).await;
    app.tenant("acme", json!({})).await;
    let web = app.web();
    app.signup_verified(&web, "acme", "alice@example.com", PASSWORD)
        .await;
    app.login(&web, "acme", "alice@example.com", PASSWORD).await;
    sqlx::query("UPDATE sessions SET last_seen_at = last_seen_at - 3600")
        .execute(&app.database.pool)
        .await
        .expect("age the session");
    assert_eq!(
        web.get("/t/acme/account").await.location.as_deref(),
        Some("/t/acme/login")
    );
}

#[tokio::test]
async fn a_new_login_ends_the_oldest_session_beyond_the_cap() {
    let app = spawn_app_with(Engine::Sqlite, &[("AUTH_MAX_SESSIONS_PER_USER", "2")]).await;
    app.tenant("acme", json!({})).await;
    let first = app.web();
    app.signup_verified(&first, "acme", "alice@example.com", PASSWORD)
        .await;
    app.login(&first, "acme", "alice@example.com", PASSWORD)
        .await;
    // Sessions are ordered by creation second: keep them apart.
    sqlx::query("UPDATE sessions SET created_at = created_at - 100")
        .execute(&app.database.pool)
        .await
        .expect("age");
    let second = app.web();
    app.login(&second, "acme", "alice@example.com", PASSWORD)
        .await;
    sqlx::query("UPDATE sessions SET created_at = created_at - 10 WHERE created_at > (SELECT MIN(created_at) FROM sessions)")
        .execute(&app.database.pool)
        .await
        .expect("age");
    let third = app.web();
    app.login(&third, "acme", "alice@example.com", PASSWORD)
        .await;
    assert_eq!(
        first.get("/t/acme/account").await.location.as_deref(),
        Some("/t/acme/login"),
        "the oldest ended"
    );
    assert_eq!(second.get("/t/acme/account").await.status, 200);
    assert_eq!(third.get("/t/acme/account").await.status, 200);
}
