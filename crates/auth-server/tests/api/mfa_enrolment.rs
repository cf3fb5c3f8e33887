//! Enrolling a second factor: the current password before any seed, checked
//! under the account's lockout, and nothing stored when it is refused.
use std::sync::Arc;

use auth_server::identity::mfa::ENROLMENT_TTL_SECS;
use serde_json::json;
use service_kit::both_engines;
use service_kit::clock::{Clock, ManualClock, SharedClock, SystemClock};
use service_kit::db::Engine;
use sqlx::Row;

use crate::helpers::{spawn_app, spawn_app_with_clock, PASSWORD};
use crate::web::totp_code_at;

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

/// A seed shown for enrolment is good for ten minutes: confirmed at ten
/// minutes the attempt has expired (410) and MFA stays off; a new attempt
/// confirmed a second before its ten minutes turns MFA on.
async fn an_enrolment_lasts_ten_minutes(engine: Engine) {
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let app = spawn_app_with_clock(engine, &[], clock.clone() as SharedClock).await;
    app.tenant("acme", json!({})).await;
    let web = app.web();
    let email = "carol@example.com";
    app.signup_verified(&web, "acme", email, PASSWORD).await;
    app.login(&web, "acme", email, PASSWORD).await;
    let seed_of = |page: &crate::web::Page| {
        page.between("<code class=\"secret\">", "</code>")
            .expect("manual key")
    };

    let late = seed_of(
        &web.post("/t/acme/mfa/enroll/key", &[("password", PASSWORD)])
            .await,
    );
    clock.advance(ENROLMENT_TTL_SECS);
    let answer = web
        .post(
            "/t/acme/mfa/enroll",
            &[("code", &totp_code_at(&late, clock.now()))],
        )
        .await;
    assert_eq!(answer.status, 410, "{}", answer.body);
    assert!(answer.contains("expired"), "{}", answer.body);

    let in_time = seed_of(
        &web.post("/t/acme/mfa/enroll/key", &[("password", PASSWORD)])
            .await,
    );
    clock.advance(ENROLMENT_TTL_SECS - 1);
    let answer = web
        .post(
            "/t/acme/mfa/enroll",
            &[("code", &totp_code_at(&in_time, clock.now()))],
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(
        answer.contains("<li><code>"),
        "the recovery codes are shown"
    );
}
both_engines!(
    an_enrolment_seed_is_good_for_ten_minutes,
    an_enrolment_lasts_ten_minutes
);

/// A sealed seed belongs to its account: copied into another account's row
/// (someone with write access to the database), it does not open there, so
/// the copier's authenticator does not pass the other account's second step.
async fn a_seed_copied_to_another_account_does_not_open(engine: Engine) {
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let app = spawn_app_with_clock(engine, &[], clock.clone() as SharedClock).await;
    let tenant = app.tenant("acme", json!({})).await;
    let mut keys = Vec::new();
    for email in ["mallory@example.com", "victim@example.com"] {
        let web = app.web();
        app.signup_verified(&web, "acme", email, PASSWORD).await;
        app.login(&web, "acme", email, PASSWORD).await;
        let shown = web
            .post("/t/acme/mfa/enroll/key", &[("password", PASSWORD)])
            .await;
        let key = shown
            .between("<code class=\"secret\">", "</code>")
            .expect("manual key");
        let done = web
            .post(
                "/t/acme/mfa/enroll",
                &[("code", &totp_code_at(&key, clock.now()))],
            )
            .await;
        assert_eq!(done.status, 200, "{}", done.body);
        keys.push(key);
    }
    sqlx::query(
        "UPDATE users SET totp_secret = (SELECT totp_secret FROM users WHERE email = $1) \
         WHERE email = $2",
    )
    .bind("mallory@example.com")
    .bind("victim@example.com")
    .execute(&app.database.pool)
    .await
    .expect("copied");
    // The next step, so neither enrolment's code is reused.
    clock.advance(30);
    let web = app.web();
    let first = app
        .login(&web, "acme", "victim@example.com", PASSWORD)
        .await;
    assert_eq!(first.location.as_deref(), Some("/t/acme/mfa"));
    let answer = web
        .post(
            "/t/acme/mfa",
            &[("code", &totp_code_at(&keys[0], clock.now()))],
        )
        .await;
    assert_ne!(answer.status, 303, "{}", answer.body);
    assert!(answer.status >= 400, "{}", answer.body);
    let logins = app
        .audit_kinds(&tenant)
        .await
        .into_iter()
        .filter(|(kind, outcome)| kind == "login" && outcome == "success")
        .count();
    assert_eq!(logins, 2, "only the two logins before the enrolments");
}
both_engines!(
    a_sealed_seed_opens_only_for_its_account,
    a_seed_copied_to_another_account_does_not_open
);
