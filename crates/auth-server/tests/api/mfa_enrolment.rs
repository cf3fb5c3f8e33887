//! Enrolling a second factor: the current password before any seed, checked
//! under the account's lockout, and nothing stored when it is refused.
use serde_json::json;
use service_kit::both_engines;
use service_kit::db::Engine;
use sqlx::Row;

use crate::helpers::{spawn_app, PASSWORD};

async fn pending_seed(app: &crate::helpers::TestApp, email: &str) -> Option<String> {
    sqlx::query("SELECT totp_secret FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&app.database.pool)
        .await
        .expect("user row")
        .try_get::<Option<String>, _>("totp_secret")
        .expect("column")
}

async fn wrong_enrolment_passwords_lock_the_account(engine: Engine) {
    let app = spawn_app(engine).await;
    let tenant = app.tenant("acme", json!({})).await;
    let web = app.web();
    let email = "alice@example.com";
    app.signup_verified(&web, "acme", email, PASSWORD).await;
    assert_eq!(app.login(&web, "acme", email, PASSWORD).await.status, 303);

    for _ in 0..5 {
        let wrong = web
            .post("/t/acme/mfa/enroll/key", &[("password", "wrong guess!")])
            .await;
        assert_eq!(wrong.status, 401, "{}", wrong.body);
        assert!(!wrong.contains("class=\"secret\""), "{}", wrong.body);
    }
    let locked = web
        .post("/t/acme/mfa/enroll/key", &[("password", PASSWORD)])
        .await;
    assert_eq!(
        locked.status, 429,
        "the account is locked like after logins"
    );
    assert!(locked.headers.contains_key("retry-after"));
    assert!(!locked.contains("class=\"secret\""), "{}", locked.body);
    assert_eq!(pending_seed(&app, email).await, None, "no seed was made");

    // The same counter as the login form: a fresh browser waits too, and the
    // owner is mailed the unlock link.
    let other = app.web();
    assert_eq!(app.login(&other, "acme", email, PASSWORD).await.status, 429);
    let mail = app.mail_to(email).await;
    assert!(
        mail.subject.clone().unwrap_or_default().contains("locked"),
        "{:?}",
        mail.subject
    );
    let events = app.audit_kinds(&tenant).await;
    assert!(events.contains(&("mfa_enrolled".into(), "failure".into())));
    assert!(events.contains(&("lockout".into(), "locked".into())));
}
both_engines!(
    enrolment_passwords_count_on_the_account_lockout,
    wrong_enrolment_passwords_lock_the_account
);

async fn a_seed_is_shown_only_after_the_password(engine: Engine) {
    let app = spawn_app(engine).await;
    app.tenant("acme", json!({})).await;
    let web = app.web();
    let email = "bob@example.com";
    app.signup_verified(&web, "acme", email, PASSWORD).await;
    app.login(&web, "acme", email, PASSWORD).await;

    let page = web.get("/t/acme/mfa/enroll").await;
    assert_eq!(page.status, 200);
    assert!(page.contains("current password"), "{}", page.body);
    assert_eq!(pending_seed(&app, email).await, None, "GET makes no seed");
    // A code before any seed was shown: the attempt has to start again.
    let early = web.post("/t/acme/mfa/enroll", &[("code", "123456")]).await;
    assert_eq!(early.status, 410, "{}", early.body);
    assert!(early.contains("expired"), "{}", early.body);
    // Without a session nothing is shown either.
    let stranger = app.web();
    stranger.get("/t/acme/login").await;
    let anonymous = stranger
        .post("/t/acme/mfa/enroll/key", &[("password", PASSWORD)])
        .await;
    assert_eq!(anonymous.location.as_deref(), Some("/t/acme/login"));
    assert!(!anonymous.contains("class=\"secret\""));
}
both_engines!(
    no_seed_before_the_current_password,
    a_seed_is_shown_only_after_the_password
);
