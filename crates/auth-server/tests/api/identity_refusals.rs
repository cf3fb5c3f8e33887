//! Every refusal of the hosted pages: a clear 4xx, a plain message, and
//! nothing changed.
use serde_json::json;
use service_kit::both_engines;
use service_kit::db::Engine;

use std::sync::Arc;

use service_kit::clock::{Clock, ManualClock, SharedClock, SystemClock};

use crate::helpers::{spawn_app, spawn_app_with, spawn_app_with_clock, PASSWORD};
use crate::web::{link_path, token_of, totp_code};

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
async fn form_submissions_are_rate_limited_per_ip() {
    let app = spawn_app_with(Engine::Sqlite, &[("AUTH_FORM_RATE_PER_MINUTE", "3")]).await;
    app.tenant("acme", json!({})).await;
    let web = app.web();
    web.get("/t/acme/login").await;
    for _ in 0..3 {
        assert_eq!(
            app.login(&web, "acme", "x@example.com", "whatever pass")
                .await
                .status,
            401
        );
    }
    let limited = web
        .post(
            "/t/acme/login",
            &[("email", "x@example.com"), ("password", "whatever pass")],
        )
        .await;
    assert_eq!(limited.status, 429);
    let retry: u64 = limited.headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry));
}

#[tokio::test]
async fn signups_are_rate_limited_per_tenant() {
    let app = spawn_app_with(Engine::Sqlite, &[("AUTH_SIGNUP_RATE_PER_MINUTE", "1")]).await;
    app.tenant("acme", json!({})).await;
    app.tenant("other", json!({})).await;
    let web = app.web();
    web.get("/t/acme/signup").await;
    let first = web
        .post(
            "/t/acme/signup",
            &[("email", "a@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(first.status, 200);
    let second = web
        .post(
            "/t/acme/signup",
            &[("email", "b@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(second.status, 429);
    let elsewhere = web
        .post(
            "/t/other/signup",
            &[("email", "b@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(elsewhere.status, 200, "another tenant has its own budget");
}

#[tokio::test]
async fn a_saturated_hashing_pool_answers_503_with_retry_after() {
    let app = spawn_app_with(
        Engine::Sqlite,
        &[("AUTH_PASSWORD_WORKERS", "1"), ("AUTH_PASSWORD_QUEUE", "1")],
    )
    .await;
    app.tenant("acme", json!({})).await;
    let web = app.web();
    web.get("/t/acme/login").await;
    let burst = (0..24).map(|i| {
        let email = format!("user{i}@example.com");
        let web = &web;
        async move {
            web.post(
                "/t/acme/login",
                &[("email", email.as_str()), ("password", "some password")],
            )
            .await
        }
    });
    let pages = futures_util::future::join_all(burst).await;
    let busy: Vec<_> = pages.iter().filter(|p| p.status == 503).collect();
    assert!(
        !busy.is_empty(),
        "statuses: {:?}",
        pages.iter().map(|p| p.status).collect::<Vec<_>>()
    );
    assert!(busy.iter().all(|p| p.headers.contains_key("retry-after")));
    assert!(pages.iter().all(|p| matches!(p.status, 401 | 503)));
    // Refused for load, not for a wrong password: only the attempts whose
    // password was checked count against the address.
    let checked = pages.iter().filter(|p| p.status == 401).count() as i64;
    let counted: i64 =
        sqlx::query_scalar("SELECT failures FROM login_failures WHERE subject = 'ip:127.0.0.1'")
            .fetch_one(&app.database.pool)
            .await
            .expect("ip counter");
    assert_eq!(counted, checked, "busy answers are not failures");
}

#[tokio::test]
async fn unknown_and_disabled_tenants_have_no_pages() {
    let app = spawn_app(Engine::Sqlite).await;
    let t = app.tenant("acme", json!({})).await;
    let web = app.web();
    assert_eq!(web.get("/t/nobody/login").await.status, 404);
    auth_server::store::tenants::TenantStore::new(app.database.pool.clone())
        .disable(t.id)
        .await
        .expect("disabled");
    assert_eq!(web.get("/t/acme/login").await.status, 404);
    assert_eq!(web.get("/t/acme/signup").await.status, 404);
}

#[tokio::test]
async fn pages_speak_french_when_asked() {
    let app = spawn_app(Engine::Sqlite).await;
    app.tenant("acme", json!({"brand_color": "#aa0000"})).await;
    let mut web = app.web();
    web.accept_language = Some("fr-FR,fr;q=0.9,en;q=0.5".into());
    let page = web.get("/t/acme/login").await;
    assert!(
        page.contains("lang=\"fr\"") && page.contains("Se connecter"),
        "{}",
        page.body
    );
    web.accept_language = None;
    let switched = web.get("/t/acme/login?lang=en").await;
    assert!(switched.contains("Log in"));
    assert_eq!(web.cookie("ca_lang").as_deref(), Some("en"));
    let theme = web.get("/t/acme/theme.css").await;
    assert!(theme.contains("--brand: #aa0000"));
    let csp = page.headers["content-security-policy"]
        .to_str()
        .expect("ascii");
    assert!(csp.contains("form-action 'self'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(page.headers["cache-control"], "no-store");
}

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
async fn unverified_email_cannot_log_in_and_gets_a_new_link() {
    let app = spawn_app(Engine::Sqlite).await;
    app.tenant("acme", json!({})).await;
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
}

#[tokio::test]
async fn tenants_may_require_mfa() {
    let app = spawn_app(Engine::Sqlite).await;
    app.tenant("strict", json!({"require_mfa": true})).await;
    let web = app.web();
    app.signup_verified(&web, "strict", "gus@example.com", PASSWORD)
        .await;
    let login = app.login(&web, "strict", "gus@example.com", PASSWORD).await;
    assert_eq!(login.location.as_deref(), Some("/t/strict/mfa/enroll"));
    assert_eq!(
        web.get("/t/strict/account").await.location.as_deref(),
        Some("/t/strict/mfa/enroll")
    );
    assert!(web
        .get("/t/strict/mfa/enroll")
        .await
        .contains("asks every account"));

    // Once a second factor is enrolled, the tenant lets the account in,
    // then and at every later login that passes it.
    let keyed = web
        .post("/t/strict/mfa/enroll/key", &[("password", PASSWORD)])
        .await;
    let key = keyed
        .between("<code class=\"secret\">", "</code>")
        .expect("manual key");
    let done = web
        .post("/t/strict/mfa/enroll", &[("code", &totp_code(&key, 0))])
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(web.get("/t/strict/account").await.status, 200);
    let later = app.web();
    let login = app
        .login(&later, "strict", "gus@example.com", PASSWORD)
        .await;
    assert_eq!(login.location.as_deref(), Some("/t/strict/mfa"));
    let passed = later
        .post("/t/strict/mfa", &[("code", &totp_code(&key, 1))])
        .await;
    assert_eq!(passed.status, 303, "{}", passed.body);
    assert_eq!(later.get("/t/strict/account").await.status, 200);
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
