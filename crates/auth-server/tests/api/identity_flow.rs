//! The whole journey of an end user, over HTTP with a real SMTP listener:
//! sign up → mail → verify → log in → MFA enrol → log out → log in with TOTP
//! → reset password by mail → log in with a recovery code, used once.
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::helpers::{spawn_app, TestApp, PASSWORD};
use crate::web::{link_path, token_of, totp_code};

/// The outcomes of the tenant's `login` events, sorted, and the user's
/// `last_login_at`, through the management API.
async fn logins(app: &TestApp, tenant: &str) -> (Vec<String>, Option<String>) {
    let get = |path: String| async move {
        app.admin(reqwest::Method::GET, &path)
            .send()
            .await
            .expect("sent")
            .json::<Value>()
            .await
            .expect("json")
    };
    let events = get(format!("/manage/v1/tenants/{tenant}/events")).await;
    let mut outcomes: Vec<String> = events["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["kind"] == "login")
        .map(|e| e["outcome"].as_str().expect("outcome").to_owned())
        .collect();
    outcomes.sort();
    let users = get(format!("/manage/v1/tenants/{tenant}/users")).await;
    let last = users["items"][0]["last_login_at"]
        .as_str()
        .map(str::to_owned);
    (outcomes, last)
}

async fn journey(engine: Engine) {
    let app = spawn_app(engine).await;
    let tenant = app.tenant("acme", json!({})).await;
    let web = app.web();
    let email = "alice@example.com";

    app.signup_verified(&web, "acme", email, PASSWORD).await;
    let tenant_id = tenant.id.to_string();

    let login = app.login(&web, "acme", email, PASSWORD).await;
    assert_eq!(
        (login.status, login.location.as_deref()),
        (303, Some("/t/acme/account"))
    );
    let (outcomes, first_login_at) = logins(&app, &tenant_id).await;
    assert_eq!(outcomes, ["success"]);
    assert!(first_login_at.is_some(), "a finished login is recorded");
    let account = web.get("/t/acme/account").await;
    assert_eq!(account.status, 200);
    assert!(
        account.contains(email) && account.contains("This device"),
        "{}",
        account.body
    );

    // Enrol TOTP: no seed before the current password.
    let enroll = web.get("/t/acme/mfa/enroll").await;
    assert_eq!(enroll.status, 200);
    assert!(
        !enroll.contains("data:image/svg+xml") && !enroll.contains("class=\"secret\""),
        "a session alone shows no seed: {}",
        enroll.body
    );
    let wrong = web
        .post("/t/acme/mfa/enroll/key", &[("password", "not my password")])
        .await;
    assert_eq!(wrong.status, 401, "the current password is required");
    assert!(!wrong.contains("class=\"secret\""), "{}", wrong.body);
    let seed_of = |page: &crate::web::Page| {
        page.between("<code class=\"secret\">", "</code>")
            .expect("manual key")
    };
    let first = web
        .post("/t/acme/mfa/enroll/key", &[("password", PASSWORD)])
        .await;
    assert!(
        first.contains("data:image/svg+xml;base64,"),
        "{}",
        first.body
    );
    let first_key = seed_of(&first);
    let typo = web.post("/t/acme/mfa/enroll", &[("code", "000000")]).await;
    assert_eq!(typo.status, 401);
    assert!(
        !typo.contains("class=\"secret\""),
        "a wrong code does not show the seed again"
    );
    // Each attempt gets its own seed; the earlier one is void.
    let second = web
        .post("/t/acme/mfa/enroll/key", &[("password", PASSWORD)])
        .await;
    let key = seed_of(&second);
    assert_ne!(key, first_key, "a new seed per attempt");
    let stale = web
        .post("/t/acme/mfa/enroll", &[("code", &totp_code(&first_key, 0))])
        .await;
    assert_eq!(stale.status, 401, "the first attempt's seed is void");
    // Kept: the replay below must send this very code, even when the
    // test crosses into the next 30 s step.
    let enrolment_code = totp_code(&key, 0);
    let before_enrolment = web.cookie("ca_session_acme").expect("session cookie");
    let codes_page = web
        .post("/t/acme/mfa/enroll", &[("code", &enrolment_code)])
        .await;
    assert_eq!(codes_page.status, 200, "{}", codes_page.body);
    let codes: Vec<String> = codes_page
        .body
        .split("<li><code>")
        .skip(1)
        .filter_map(|s| s.split("</code>").next().map(str::to_owned))
        .collect();
    assert_eq!(codes.len(), 10);
    assert!(
        web.get("/t/acme/account").await.status == 200,
        "the re-issued session works"
    );
    let reissued = web.cookie("ca_session_acme").expect("session cookie");
    assert_ne!(
        reissued, before_enrolment,
        "enrolment re-issues the session"
    );
    web.set_cookie("ca_session_acme", &before_enrolment);
    assert_eq!(
        web.get("/t/acme/account").await.location.as_deref(),
        Some("/t/acme/login"),
        "the session from before the enrolment ended"
    );
    web.set_cookie("ca_session_acme", &reissued);

    // Log out: the session ends on the server too.
    let old_session = web.cookie("ca_session_acme").expect("session cookie");
    let out = web.post("/t/acme/logout", &[]).await;
    assert!(out.contains("You are logged out"));
    assert!(web.cookie("ca_session_acme").is_none());
    web.set_cookie("ca_session_acme", &old_session);
    assert_eq!(
        web.get("/t/acme/account").await.location.as_deref(),
        Some("/t/acme/login"),
        "old cookie is dead"
    );
    web.remove_cookie("ca_session_acme");

    // Log in again: the password leads to the second step, not the account.
    let login = app.login(&web, "acme", email, PASSWORD).await;
    assert_eq!(login.location.as_deref(), Some("/t/acme/mfa"));
    let (outcomes, _) = logins(&app, &tenant_id).await;
    assert!(
        outcomes.contains(&"mfa_required".to_owned()),
        "the password step alone is not a login: {outcomes:?}"
    );
    assert_eq!(
        web.get("/t/acme/account").await.location.as_deref(),
        Some("/t/acme/login"),
        "half-logged-in is not logged in"
    );
    let pending = web.cookie("ca_session_acme").expect("pending session");
    // The code used at enrolment is spent; the next step's code works once.
    let replay = web.post("/t/acme/mfa", &[("code", &enrolment_code)]).await;
    assert_eq!(replay.status, 401, "a used code is refused");
    let ok = web
        .post("/t/acme/mfa", &[("code", &totp_code(&key, 1))])
        .await;
    assert_eq!(
        ok.location.as_deref(),
        Some("/t/acme/account"),
        "{}",
        ok.body
    );
    assert_ne!(
        web.cookie("ca_session_acme").as_deref(),
        Some(pending.as_str()),
        "new session id after MFA"
    );
    let promoted = web.cookie("ca_session_acme").expect("session cookie");
    web.set_cookie("ca_session_acme", &pending);
    assert_eq!(
        web.get("/t/acme/mfa").await.location.as_deref(),
        Some("/t/acme/login"),
        "the half-done session ended with its second step"
    );
    web.set_cookie("ca_session_acme", &promoted);
    assert!(
        web.get("/t/acme/account").await.contains("On"),
        "MFA shows as on"
    );

    // Forgot password → mail → reset: every session ends.
    let other = app.web();
    other.get("/t/acme/forgot-password").await;
    let asked = other
        .post("/t/acme/forgot-password", &[("email", email)])
        .await;
    assert!(asked.contains("If an account uses this address"));
    let mail = app.mail_to(email).await;
    let link = link_path(&mail);
    assert!(other.get(&link).await.contains("name=\"password\""));
    let reset = other
        .post(
            "/t/acme/reset-password",
            &[
                ("token", &token_of(&link)),
                ("password", "a brand new passphrase 2026"),
            ],
        )
        .await;
    assert!(reset.contains("Your password is changed"), "{}", reset.body);
    assert_eq!(
        web.get("/t/acme/account").await.location.as_deref(),
        Some("/t/acme/login"),
        "sessions ended by reset"
    );
    assert_eq!(
        app.login(&web, "acme", email, PASSWORD).await.status,
        401,
        "old password gone"
    );

    // New password, then a recovery code (MFA survives the reset).
    let login = app
        .login(&web, "acme", email, "a brand new passphrase 2026")
        .await;
    assert_eq!(login.location.as_deref(), Some("/t/acme/mfa"));
    let rec = web
        .post("/t/acme/mfa", &[("code", &codes[0].to_lowercase())])
        .await;
    assert_eq!(
        rec.location.as_deref(),
        Some("/t/acme/account"),
        "{}",
        rec.body
    );
    web.post("/t/acme/logout", &[]).await;
    app.login(&web, "acme", email, "a brand new passphrase 2026")
        .await;
    let reused = web.post("/t/acme/mfa", &[("code", &codes[0])]).await;
    assert_eq!(reused.status, 401, "a recovery code works once");
    let second = web.post("/t/acme/mfa", &[("code", &codes[1])]).await;
    assert_eq!(second.location.as_deref(), Some("/t/acme/account"));

    let events = app.audit_kinds(&tenant).await;
    for expected in [
        ("signup", "success"),
        ("email_verified", "success"),
        ("login", "success"),
        ("login", "mfa_required"),
        ("mfa_enrolled", "success"),
        ("mfa_enrolled", "failure"),
        ("mfa_challenge", "failure"),
        ("logout", "success"),
        ("password_reset_request", "success"),
        ("password_reset", "success"),
        ("recovery_code_used", "success"),
    ] {
        assert!(
            events.contains(&(expected.0.to_owned(), expected.1.to_owned())),
            "{expected:?} missing from {events:?}"
        );
    }
}
both_engines!(end_user_journey, journey);
