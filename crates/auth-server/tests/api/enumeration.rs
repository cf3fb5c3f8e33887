//! Signup and forgot-password tell nobody whether an address has an account:
//! not by the answer, not by when it comes, and they cannot be used to flood
//! an address with mail or to spend a tenant's signup budget for nothing.
use std::time::Duration;

use auth_server::domain::display_name::DisplayName;
use auth_server::domain::email::Email;
use auth_server::domain::tenant::Tenant;
use auth_server::domain::user::{UserMetadata, Username};
use auth_server::store::users::{NewUser, UserStore};
use auth_server::{Application, AuthConfig};
use serde_json::json;
use service_kit::both_engines;
use service_kit::config::Env;
use service_kit::db::{self, Engine};

use crate::helpers::{spawn_app, spawn_app_with, TestApp, PASSWORD};
use crate::web::{link_path, token_of, Page, Web};

const CHECK_EMAIL: &str = "Check your email";

/// A page with `email` (plain or in a query) written as `EMAIL`, to compare
/// two answers.
fn without(page: &Page, email: &str) -> String {
    page.body
        .replace(email, "EMAIL")
        .replace(&email.replace('@', "%40"), "EMAIL")
}

async fn signup(web: &Web, slug: &str, fields: &[(&str, &str)]) -> Page {
    web.get(&format!("/t/{slug}/signup")).await;
    web.post(&format!("/t/{slug}/signup"), fields).await
}

async fn forgot(web: &Web, slug: &str, email: &str) -> Page {
    web.get(&format!("/t/{slug}/forgot-password")).await;
    web.post(&format!("/t/{slug}/forgot-password"), &[("email", email)])
        .await
}

/// Mails to `to` received so far.
fn mails_to(app: &TestApp, to: &str) -> usize {
    app.smtp.messages().iter().filter(|m| m.is_for(to)).count()
}

/// Waits (at most 10 s) until the audit trail holds an event of `kind` whose
/// detail is `detail`: the work after the answer is done by then.
async fn wait_for_event(app: &TestApp, tenant: &Tenant, kind: &str, detail: &str) {
    let audit = auth_server::store::audit::AuditStore::new(app.database.pool.clone());
    for _ in 0..200 {
        let events = audit.recent(tenant.id, 500).await.expect("audit");
        if events.iter().any(|e| e.kind == kind && e.detail == detail) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no `{kind}` event with detail `{detail}` within 10 s");
}

/// A username is taken; whether the email is registered or not, the signup
/// answers the same (the form has no username: one sent anyway is ignored).
#[tokio::test]
async fn a_taken_username_does_not_tell_registered_emails_apart() {
    let app = spawn_app(Engine::Postgres).await;
    let tenant = app.tenant("acme", json!({})).await;
    UserStore::new(app.database.pool.clone())
        .create(
            NewUser {
                tenant_id: tenant.id,
                email: Email::parse("alice@example.com").expect("email"),
                username: Some(Username::parse("alice").expect("username")),
                display_name: DisplayName::parse("Alice").expect("name"),
                password_hash: Some("$argon2id$unused".into()),
                metadata: UserMetadata::default(),
            },
            1,
        )
        .await
        .expect("alice");
    let web = app.web();
    let registered = signup(
        &web,
        "acme",
        &[
            ("email", "alice@example.com"),
            ("password", PASSWORD),
            ("username", "alice"),
        ],
    )
    .await;
    let unregistered = signup(
        &web,
        "acme",
        &[
            ("email", "newcomer@example.com"),
            ("password", PASSWORD),
            ("username", "alice"),
        ],
    )
    .await;
    assert_eq!(registered.status, 200, "{}", registered.body);
    assert_eq!(unregistered.status, 200, "{}", unregistered.body);
    assert!(unregistered.contains(CHECK_EMAIL), "{}", unregistered.body);
    assert_eq!(
        without(&registered, "alice@example.com"),
        without(&unregistered, "newcomer@example.com")
    );
    let told = app.mail_to("alice@example.com").await;
    assert!(told.subject.unwrap_or_default().contains("already have"));
    // The newcomer's account exists, without the username.
    let link = link_path(&app.mail_to("newcomer@example.com").await);
    assert!(web.get(&link).await.contains("Confirm my address"));
    let newcomer = UserStore::new(app.database.pool.clone())
        .find_by_email(
            tenant.id,
            &Email::parse("newcomer@example.com").expect("email"),
        )
        .await
        .expect("read")
        .expect("the newcomer's account");
    assert_eq!(newcomer.username, None);
    assert_eq!(app.user_count(&tenant).await, 2);
}

/// The answer does not wait for anything done for the address: with the
/// tables that work writes locked, known and unknown addresses are answered
/// alike, and the links and mails follow once the lock is gone.
#[tokio::test]
async fn the_answer_comes_before_the_work_for_the_address() {
    let app = spawn_app(Engine::Postgres).await;
    app.tenant("acme", json!({})).await;
    let web = app.web();
    app.signup_verified(&web, "acme", "alice@example.com", PASSWORD)
        .await;
    let mut lock = app.database.pool.begin().await.expect("begin");
    sqlx::query("LOCK TABLE users, one_time_tokens, mail_budget, audit_events IN EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .expect("lock");

    let stranger = app.web();
    let bound = Duration::from_secs(10);
    let known_reset = tokio::time::timeout(bound, forgot(&stranger, "acme", "alice@example.com"))
        .await
        .expect("the answer for a known address waits for nothing");
    let unknown_reset = tokio::time::timeout(bound, forgot(&stranger, "acme", "ghost@example.com"))
        .await
        .expect("the answer for an unknown address waits for nothing");
    let fields = |email: &'static str| [("email", email), ("password", PASSWORD)];
    let known_signup = tokio::time::timeout(
        bound,
        signup(&stranger, "acme", &fields("alice@example.com")),
    )
    .await
    .expect("a taken email's signup waits for nothing");
    let new_signup = tokio::time::timeout(
        bound,
        signup(&stranger, "acme", &fields("newcomer@example.com")),
    )
    .await
    .expect("a new email's signup waits for nothing");
    assert_eq!((known_reset.status, unknown_reset.status), (200, 200));
    assert_eq!(known_reset.body, unknown_reset.body);
    assert_eq!((known_signup.status, new_signup.status), (200, 200));
    assert_eq!(
        without(&known_signup, "alice@example.com"),
        without(&new_signup, "newcomer@example.com")
    );

    lock.rollback().await.expect("unlock");
    let mut subjects = vec![
        app.mail_to("alice@example.com").await.subject,
        app.mail_to("alice@example.com").await.subject,
    ];
    subjects.sort();
    assert!(
        subjects[0]
            .as_deref()
            .unwrap_or_default()
            .contains("Choose a new password")
            && subjects[1]
                .as_deref()
                .unwrap_or_default()
                .contains("already have"),
        "{subjects:?}"
    );
    let verify = link_path(&app.mail_to("newcomer@example.com").await);
    assert!(stranger.get(&verify).await.contains("Confirm my address"));
}

/// Reset links and "already registered" mails share a budget of three per
/// address an hour; past it, the answer is the same and no mail leaves.
async fn stranger_mails_stop_at_three_an_hour(engine: Engine) {
    let app = spawn_app(engine).await;
    let tenant = app.tenant("acme", json!({})).await;
    let web = app.web();
    app.signup_verified(&web, "acme", "bob@example.com", PASSWORD)
        .await;
    let stranger = app.web();
    let first = forgot(&stranger, "acme", "bob@example.com").await;
    app.mail_to("bob@example.com").await;
    let taken = [("email", "bob@example.com"), ("password", PASSWORD)];
    let first_signup = signup(&stranger, "acme", &taken).await;
    app.mail_to("bob@example.com").await;
    forgot(&stranger, "acme", "bob@example.com").await;
    app.mail_to("bob@example.com").await;
    assert_eq!(mails_to(&app, "bob@example.com"), 4, "verification + 3");

    let fourth = forgot(&stranger, "acme", "bob@example.com").await;
    assert_eq!(
        (fourth.status, fourth.body.as_str()),
        (first.status, first.body.as_str())
    );
    wait_for_event(
        &app,
        &tenant,
        "password_reset_request",
        "mail limit reached",
    )
    .await;
    let fifth = signup(&stranger, "acme", &taken).await;
    assert_eq!(
        (fifth.status, fifth.body.as_str()),
        (first_signup.status, first_signup.body.as_str())
    );
    wait_for_event(
        &app,
        &tenant,
        "signup",
        "email already registered; mail limit reached",
    )
    .await;
    assert_eq!(
        mails_to(&app, "bob@example.com"),
        4,
        "no mail past the three"
    );

    // Another address has its own budget.
    app.signup_verified(&web, "acme", "carol@example.com", PASSWORD)
        .await;
    forgot(&stranger, "acme", "carol@example.com").await;
    assert!(app
        .mail_to("carol@example.com")
        .await
        .subject
        .unwrap_or_default()
        .contains("Choose a new password"));
}
both_engines!(stranger_mail_budget, stranger_mails_stop_at_three_an_hour);

/// Another server on the same database: the same address, the same budget.
async fn second_instance(app: &TestApp) -> String {
    let smtp = app.smtp.url();
    let env = Env::from_pairs([
        ("AUTH_BIND", "127.0.0.1:0"),
        ("AUTH_DATABASE_URL", app.db.url.as_str()),
        ("AUTH_ADMIN_TOKEN", app.admin_token.as_str()),
        ("AUTH_MASTER_KEYS", app.master_keys.as_str()),
        ("SMTP_URL", smtp.as_str()),
        ("MAIL_FROM", "Test <no-reply@connectauth.test>"),
        ("AUTH_FORM_RATE_PER_MINUTE", "100000"),
        ("AUTH_SIGNUP_RATE_PER_MINUTE", "100000"),
    ]);
    let config = AuthConfig::from_env(&env).expect("config");
    let database = db::connect(&config.database_url, config.pool)
        .await
        .expect("connect");
    let server = Application::build_with_db(config, database).expect("build");
    let address = format!("http://127.0.0.1:{}", server.running().port());
    tokio::spawn(server.run_until_stopped());
    address
}

async fn the_mail_budget_is_shared_by_every_instance(engine: Engine) {
    let app = spawn_app(engine).await;
    let tenant = app.tenant("acme", json!({})).await;
    app.signup_verified(&app.web(), "acme", "bob@example.com", PASSWORD)
        .await;
    let one = app.web();
    let two = Web::new(&second_instance(&app).await);
    for web in [&one, &two, &one] {
        forgot(web, "acme", "bob@example.com").await;
        app.mail_to("bob@example.com").await;
    }
    forgot(&two, "acme", "bob@example.com").await;
    wait_for_event(
        &app,
        &tenant,
        "password_reset_request",
        "mail limit reached",
    )
    .await;
    assert_eq!(mails_to(&app, "bob@example.com"), 4, "verification + 3");
}
both_engines!(
    shared_mail_budget,
    the_mail_budget_is_shared_by_every_instance
);

/// Asking again leaves the first link working; using one voids the others.
async fn an_earlier_reset_link_still_works_after_a_second_request(engine: Engine) {
    let app = spawn_app(engine).await;
    app.tenant("acme", json!({})).await;
    let web = app.web();
    app.signup_verified(&web, "acme", "bob@example.com", PASSWORD)
        .await;
    forgot(&web, "acme", "bob@example.com").await;
    let first = link_path(&app.mail_to("bob@example.com").await);
    forgot(&web, "acme", "bob@example.com").await;
    let second = link_path(&app.mail_to("bob@example.com").await);
    assert_ne!(first, second);
    assert_eq!(web.get(&first).await.status, 200, "the first still works");
    let reset = web
        .post(
            "/t/acme/reset-password",
            &[
                ("token", &token_of(&first)),
                ("password", "a brand new passphrase 2026"),
            ],
        )
        .await;
    assert!(reset.contains("Your password is changed"), "{}", reset.body);
    let stale = web.get(&second).await;
    assert_eq!(stale.status, 410, "used one, voided the other");
    assert!(stale.contains("already used"), "{}", stale.body);
    assert_eq!(
        app.login(
            &web,
            "acme",
            "bob@example.com",
            "a brand new passphrase 2026"
        )
        .await
        .status,
        303
    );
}
both_engines!(
    earlier_reset_link,
    an_earlier_reset_link_still_works_after_a_second_request
);

/// Only a well-formed signup spends the tenant's signup budget.
#[tokio::test]
async fn malformed_signups_do_not_spend_the_tenant_budget() {
    let app = spawn_app_with(Engine::Sqlite, &[("AUTH_SIGNUP_RATE_PER_MINUTE", "1")]).await;
    let tenant = app.tenant("acme", json!({})).await;
    let web = app.web();
    let long_name = "n".repeat(101);
    for fields in [
        [("email", "not an email"), ("display_name", "Ann")],
        [("email", ""), ("display_name", "Ann")],
        [("email", "@example.com"), ("display_name", "Ann")],
        [
            ("email", "ann@example.com"),
            ("display_name", long_name.as_str()),
        ],
        [("email", "ann@example.com"), ("display_name", "bell\u{7}")],
    ] {
        let mut all = vec![("password", PASSWORD)];
        all.extend_from_slice(&fields);
        let refused = signup(&web, "acme", &all).await;
        assert_eq!(refused.status, 422, "{fields:?}: {}", refused.body);
    }
    let fields = |email: &'static str| [("email", email), ("password", PASSWORD)];
    let first = signup(&web, "acme", &fields("ann@example.com")).await;
    assert_eq!(first.status, 200, "{}", first.body);
    app.mail_to("ann@example.com").await;
    let over = signup(&web, "acme", &fields("ben@example.com")).await;
    assert_eq!(over.status, 429, "the budget itself still holds");
    assert_eq!(app.user_count(&tenant).await, 1);
}
