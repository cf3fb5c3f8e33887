//! Signup and form refusals: a taken email looks like success, one email
//! per tenant, void links, CSRF, weak passwords and oversized forms.
use serde_json::json;
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::helpers::{spawn_app, PASSWORD};
use crate::web::{link_path, token_of};

#[tokio::test]
async fn signup_with_a_taken_email_looks_like_success_and_mails_the_owner() {
    let app = spawn_app(Engine::Sqlite).await;
    let tenant = app.tenant("acme", json!({})).await;
    let web = app.web();
    app.signup_verified(&web, "acme", "alice@example.com", PASSWORD)
        .await;
    web.get("/t/acme/signup").await;
    let again = web
        .post(
            "/t/acme/signup",
            &[
                ("email", "ALICE@example.com"),
                ("password", "another long passphrase"),
            ],
        )
        .await;
    assert_eq!(again.status, 200);
    assert!(again.contains("Check your email"));
    let mail = app.mail_to("ALICE@example.com").await;
    assert!(
        mail.subject.unwrap_or_default().contains("already have"),
        "the owner is told"
    );
    assert_eq!(app.user_count(&tenant).await, 1);
}

#[tokio::test]
async fn the_same_email_in_two_tenants_is_two_users() {
    let app = spawn_app(Engine::Sqlite).await;
    let a = app.tenant("tenant-a", json!({})).await;
    let b = app.tenant("tenant-b", json!({})).await;
    let web = app.web();
    app.signup_verified(&web, "tenant-a", "alice@example.com", PASSWORD)
        .await;
    app.signup_verified(
        &web,
        "tenant-b",
        "alice@example.com",
        "a different passphrase",
    )
    .await;
    assert_eq!((app.user_count(&a).await, app.user_count(&b).await), (1, 1));
    assert_eq!(
        app.login(&web, "tenant-b", "alice@example.com", PASSWORD)
            .await
            .status,
        401,
        "A's password is not B's"
    );
}

#[tokio::test]
async fn expired_reused_and_forged_links_give_clear_pages() {
    let app = spawn_app(Engine::Sqlite).await;
    app.tenant("acme", json!({})).await;
    let web = app.web();
    web.get("/t/acme/signup").await;
    web.post(
        "/t/acme/signup",
        &[("email", "bob@example.com"), ("password", PASSWORD)],
    )
    .await;
    let link = link_path(&app.mail_to("bob@example.com").await);
    let token = token_of(&link);
    assert_eq!(
        web.post("/t/acme/verify-email", &[("token", &token)])
            .await
            .status,
        200
    );
    let reused = web.post("/t/acme/verify-email", &[("token", &token)]).await;
    assert_eq!(reused.status, 410);
    assert!(reused.contains("already used"));
    assert!(
        web.get(&link).await.contains("already used"),
        "GET says so too"
    );
    let forged = web.get("/t/acme/verify-email?token=forged").await;
    assert_eq!(forged.status, 410);
    assert!(forged.contains("not valid"));

    web.get("/t/acme/forgot-password").await;
    web.post("/t/acme/forgot-password", &[("email", "bob@example.com")])
        .await;
    let reset_link = link_path(&app.mail_to("bob@example.com").await);
    sqlx::query("UPDATE one_time_tokens SET expires_at = 0 WHERE purpose = 'reset_password'")
        .execute(&app.database.pool)
        .await
        .expect("expire");
    let expired = web.get(&reset_link).await;
    assert_eq!(expired.status, 410);
    assert!(expired.contains("has expired"));
    let post = web
        .post(
            "/t/acme/reset-password",
            &[
                ("token", &token_of(&reset_link)),
                ("password", "a new long passphrase"),
            ],
        )
        .await;
    assert_eq!(post.status, 410);
    assert_eq!(
        app.login(&web, "acme", "bob@example.com", PASSWORD)
            .await
            .status,
        303,
        "password unchanged"
    );
}

async fn csrf_missing_or_wrong_is_403_and_nothing_changes(engine: Engine) {
    let app = spawn_app(engine).await;
    let tenant = app.tenant("acme", json!({})).await;
    let web = app.web();
    web.get("/t/acme/signup").await;
    let fields = [("email", "carol@example.com"), ("password", PASSWORD)];
    let missing = web.post_raw("/t/acme/signup", &fields).await;
    assert_eq!(missing.status, 403);
    assert!(missing.contains("This form has expired or was sent from another site"));
    let mut wrong = vec![("csrf", "x".repeat(43))];
    wrong.extend(fields.iter().map(|(k, v)| (*k, v.to_string())));
    let wrong: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(web.post_raw("/t/acme/signup", &wrong).await.status, 403);
    // A token without its cookie (another site's form) fails too.
    let csrf = web.cookie("ca_csrf").expect("csrf cookie");
    web.remove_cookie("ca_csrf");
    let mut no_cookie = vec![("csrf", csrf.as_str())];
    no_cookie.extend_from_slice(&fields);
    assert_eq!(web.post_raw("/t/acme/signup", &no_cookie).await.status, 403);
    assert_eq!(app.user_count(&tenant).await, 0);
    assert!(app.smtp.messages().is_empty(), "no mail sent");
}
both_engines!(
    csrf_is_enforced,
    csrf_missing_or_wrong_is_403_and_nothing_changes
);

#[tokio::test]
async fn weak_breached_and_oversized_passwords_are_refused() {
    let app = spawn_app(Engine::Sqlite).await;
    let tenant = app.tenant("acme", json!({})).await;
    let web = app.web();
    web.get("/t/acme/signup").await;
    let long = "x".repeat(257);
    for (password, message) in [
        ("short", "at least 10 characters"),
        ("1234567890", "most common ones"),
        ("iloveyou123", "most common ones"),
        (long.as_str(), "at most 256 characters"),
        ("dave2026!!", "must not be built from"),
        ("connectauth!!", "must not be built from"),
    ] {
        let page = web
            .post(
                "/t/acme/signup",
                &[("email", "dave@example.com"), ("password", password)],
            )
            .await;
        assert_eq!(page.status, 422, "{password}");
        assert!(page.contains(message), "{password}: {}", page.body);
        assert!(
            page.contains("value=\"dave@example.com\""),
            "the email is kept in the form"
        );
    }
    for (email, message) in [
        ("not-an-email", "valid email address"),
        ("", "valid email address"),
    ] {
        let page = web
            .post(
                "/t/acme/signup",
                &[("email", email), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(page.status, 422);
        assert!(page.contains(message));
    }
    assert_eq!(app.user_count(&tenant).await, 0);
}

#[tokio::test]
async fn an_oversized_form_is_413_and_nothing_written() {
    let app = spawn_app(Engine::Sqlite).await;
    let tenant = app.tenant("acme", json!({})).await;
    let web = app.web();
    web.get("/t/acme/signup").await;
    let huge = "y".repeat(80 * 1024);
    let page = web
        .post(
            "/t/acme/signup",
            &[("email", "erin@example.com"), ("password", &huge)],
        )
        .await;
    assert_eq!(page.status, 413);
    assert_eq!(app.user_count(&tenant).await, 0);
}
