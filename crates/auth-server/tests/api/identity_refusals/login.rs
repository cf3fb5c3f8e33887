//! Login refusals: the same answer for a wrong password and an unknown
//! email, lockout and unlock by mail, old failures forgotten, parallel
//! guesses held to the limit, and an unverified email.
use std::sync::Arc;

use serde_json::json;
use service_kit::both_engines;
use service_kit::clock::{Clock, ManualClock, SharedClock, SystemClock};
use service_kit::db::Engine;

use crate::helpers::{spawn_app, spawn_app_with_clock, PASSWORD};
use crate::web::{link_path, token_of};

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    let app = spawn_app(Engine::Sqlite).await;
    app.tenant("acme", json!({})).await;
    let web = app.web();
    app.signup_verified(&web, "acme", "alice@example.com", PASSWORD)
        .await;
    let wrong = app
        .login(&web, "acme", "alice@example.com", "not the password")
        .await;
    let unknown = app
        .login(&web, "acme", "nobody@example.com", "not the password")
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(unknown.status, 401);
    assert!(wrong.contains("The email address or the password is not right."));
    let strip = |body: &str, email: &str| body.replace(email, "EMAIL");
    assert_eq!(
        strip(&wrong.body, "alice@example.com"),
        strip(&unknown.body, "nobody@example.com")
    );
    let malformed = app.login(&web, "acme", "not an email", "x").await;
    assert_eq!(malformed.status, 401);
}

async fn lockout_then_unlock_by_mail(engine: Engine) {
    let app = spawn_app(engine).await;
    let tenant = app.tenant("acme", json!({})).await;
    let web = app.web();
    app.signup_verified(&web, "acme", "alice@example.com", PASSWORD)
        .await;
    for _ in 0..5 {
        assert_eq!(
            app.login(&web, "acme", "alice@example.com", "wrong guess!")
                .await
                .status,
            401
        );
    }
    let locked = app.login(&web, "acme", "alice@example.com", PASSWORD).await;
    assert_eq!(locked.status, 429, "even the right password waits");
    assert!(locked.headers.contains_key("retry-after"));
    assert!(locked.contains("Too many attempts"));
    // An unknown email locks the same way: no difference to observe.
    for _ in 0..5 {
        app.login(&web, "acme", "ghost@example.com", "wrong guess!")
            .await;
    }
    assert_eq!(
        app.login(&web, "acme", "ghost@example.com", "wrong guess!")
            .await
            .status,
        429
    );

    let mail = app.mail_to("alice@example.com").await;
    assert!(
        mail.subject.clone().unwrap_or_default().contains("locked"),
        "{:?}",
        mail.subject
    );
    let link = link_path(&mail);
    assert!(web.get(&link).await.contains("Unlock"));
    let unlocked = web
        .post("/t/acme/unlock", &[("token", &token_of(&link))])
        .await;
    assert!(unlocked.contains("is unlocked"), "{}", unlocked.body);
    assert_eq!(
        app.login(&web, "acme", "alice@example.com", PASSWORD)
            .await
            .status,
        303
    );
    let events = app.audit_kinds(&tenant).await;
    assert!(events.contains(&("lockout".into(), "locked".into())));
    assert!(events.contains(&("unlock".into(), "success".into())));
}
both_engines!(lockout_and_unlock, lockout_then_unlock_by_mail);

async fn old_failures_are_forgotten(engine: Engine) {
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let app = spawn_app_with_clock(engine, &[], clock.clone() as SharedClock).await;
    app.tenant("acme", json!({})).await;
    let web = app.web();
    app.signup_verified(&web, "acme", "alice@example.com", PASSWORD)
        .await;
    let guess = || app.login(&web, "acme", "alice@example.com", "wrong guess!");
    for _ in 0..4 {
        assert_eq!(guess().await.status, 401);
    }
    // An account's failures are forgotten once 12 hours old: four more are again
    // one short of the lock, and the right password gets in.
    clock.advance(12 * 3600 + 1);
    for _ in 0..4 {
        assert_eq!(guess().await.status, 401, "the earlier four are forgotten");
    }
    let login = app.login(&web, "acme", "alice@example.com", PASSWORD).await;
    assert_eq!(login.status, 303, "{}", login.body);
}
both_engines!(
    failures_older_than_the_reset_time_are_forgotten,
    old_failures_are_forgotten
);

/// Parallel wrong passwords cannot get more checks than the threshold.
#[tokio::test]
async fn parallel_attempts_cannot_slip_past_the_limit() {
    let app = spawn_app(Engine::Postgres).await;
    let tenant = app.tenant("acme", json!({})).await;
    let web = app.web();
    app.signup_verified(&web, "acme", "alice@example.com", PASSWORD)
        .await;
    web.get("/t/acme/login").await;
    let attempts = (0..20).map(|_| {
        web.post(
            "/t/acme/login",
            &[("email", "alice@example.com"), ("password", "wrong guess!")],
        )
    });
    let pages = futures_util::future::join_all(attempts).await;
    let checked = pages.iter().filter(|p| p.status == 401).count();
    let refused = pages.iter().filter(|p| p.status == 429).count();
    assert_eq!(checked + refused, 20);
    assert!(checked <= 5, "{checked} password checks got through");
    let failures = app
        .audit_kinds(&tenant)
        .await
        .into_iter()
        .filter(|(k, o)| k == "login" && o == "failure")
        .count();
    assert!(failures <= 5, "{failures}");
    assert_eq!(
        app.login(&web, "acme", "alice@example.com", PASSWORD)
            .await
            .status,
        429
    );
}

#[tokio::test]
async fn unverified_email_cannot_log_in_and_gets_a_new_link() {
    let app = spawn_app(Engine::Sqlite).await;
    let tenant = app.tenant("acme", json!({})).await;
    let web = app.web();
    web.get("/t/acme/signup").await;
    web.post(
        "/t/acme/signup",
        &[("email", "fay@example.com"), ("password", PASSWORD)],
    )
    .await;
    let first = app.mail_to("fay@example.com").await;
    let page = app.login(&web, "acme", "fay@example.com", PASSWORD).await;
    assert_eq!(page.status, 403);
    assert!(page.contains("confirm your email address first"));
    let second = app.mail_to("fay@example.com").await;
    assert_ne!(link_path(&first), link_path(&second));
    assert_eq!(
        web.get(&link_path(&first)).await.status,
        410,
        "the older link is void"
    );

    // Each new link brings a new code with five new tries, so they come from
    // the address's mail budget (three an hour): whoever signed up with
    // someone else's address cannot log in again and again for more tries.
    for _ in 0..2 {
        app.login(&web, "acme", "fay@example.com", PASSWORD).await;
        app.mail_to("fay@example.com").await;
    }
    let past = app.login(&web, "acme", "fay@example.com", PASSWORD).await;
    assert_eq!(past.status, 403);
    assert!(past.contains("confirm your email address first"));
    let audit = auth_server::store::audit::AuditStore::new(app.database.pool.clone());
    let events = audit.recent(tenant.id, 50).await.expect("audit");
    assert!(
        events
            .iter()
            .any(|e| e.detail == "email not verified; mail limit reached"),
        "{events:?}"
    );
    let mails = app
        .smtp
        .messages()
        .iter()
        .filter(|m| m.is_for("fay@example.com"))
        .count();
    assert_eq!(mails, 4, "the signup's and three more");
    let last = app.smtp.messages().last().map(link_path);
    assert_eq!(
        web.get(&last.expect("a mail")).await.status,
        200,
        "the last link still works"
    );
}
