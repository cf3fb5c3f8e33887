//! What an operator (and an owner, through the same `manage` layer) does to
//! one account: reset its MFA, send its verification mail again, export it,
//! erase it. Each on both engines, with the refusals that change nothing.
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::helpers::{assert_problem, spawn_app, TestApp, PASSWORD};
use crate::oidc::{code_flow_with_scope, create_client, introspect, token};
use crate::web::{link_path, token_of, totp_code, Web};

async fn admin(app: &TestApp, method: Method, path: &str) -> reqwest::Response {
    app.admin(method, path).send().await.expect("sent")
}

/// Enrols TOTP for the user logged in on `web`.
async fn enrol_mfa(web: &Web) {
    web.get("/t/acme/mfa/enroll").await;
    let keyed = web
        .post("/t/acme/mfa/enroll/key", &[("password", PASSWORD)])
        .await;
    let key = keyed
        .between("<code class=\"secret\">", "</code>")
        .expect("manual key");
    let done = web
        .post("/t/acme/mfa/enroll", &[("code", &totp_code(&key, 0))])
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
}

async fn user_json(app: &TestApp, base: &str) -> Value {
    admin(app, Method::GET, base)
        .await
        .json()
        .await
        .expect("json")
}

async fn mfa_reset_and_verification_mail(engine: Engine) {
    let app = spawn_app(engine).await;
    let tenant = app.tenant("acme", json!({})).await;
    let web = app.web();
    app.signup_verified(&web, "acme", "alice@example.com", PASSWORD)
        .await;
    assert_eq!(
        app.login(&web, "acme", "alice@example.com", PASSWORD)
            .await
            .status,
        303
    );
    enrol_mfa(&web).await;
    let users: Value = admin(
        &app,
        Method::GET,
        &format!("/manage/v1/tenants/{}/users", tenant.id),
    )
    .await
    .json()
    .await
    .expect("json");
    let alice = users["items"][0]["id"].as_str().expect("id").to_owned();
    let base = format!("/manage/v1/tenants/{}/users/{alice}", tenant.id);
    assert_eq!(user_json(&app, &base).await["mfa_enabled"], true);

    // Reset: MFA off, the user is told, the next login needs the password only.
    let resp = admin(&app, Method::POST, &format!("{base}/reset-mfa")).await;
    assert_eq!(resp.status(), 200);
    let view: Value = resp.json().await.expect("json");
    assert_eq!(view["mfa_enabled"], false);
    let mail = app.mail_to("alice@example.com").await;
    let subject = mail.subject.unwrap_or_default();
    assert!(
        subject.contains("second factor was turned off"),
        "{subject}"
    );
    let again = app.web();
    let login = app
        .login(&again, "acme", "alice@example.com", PASSWORD)
        .await;
    assert_eq!(
        login.location.as_deref(),
        Some("/t/acme/account"),
        "{}",
        login.body
    );
    assert!(app
        .audit_kinds(&tenant)
        .await
        .contains(&("mfa_reset".to_owned(), "success".to_owned())));

    // A verified address gets no new mail: 409.
    let resp = admin(&app, Method::POST, &format!("{base}/resend-verification")).await;
    assert_problem(resp, 409, "email-already-verified").await;

    // An unverified one gets a new link; the first one stops working.
    let bob_web = app.web();
    bob_web.get("/t/acme/signup").await;
    let page = bob_web
        .post(
            "/t/acme/signup",
            &[
                ("email", "bob@example.com"),
                ("password", PASSWORD),
                ("display_name", "Bob"),
            ],
        )
        .await;
    assert_eq!(page.status, 200);
    let first = link_path(&app.mail_to("bob@example.com").await);
    let users: Value = admin(
        &app,
        Method::GET,
        &format!("/manage/v1/tenants/{}/users", tenant.id),
    )
    .await
    .json()
    .await
    .expect("json");
    let bob = users["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|u| u["email"] == "bob@example.com")
        .and_then(|u| u["id"].as_str())
        .expect("bob")
        .to_owned();
    let resp = admin(
        &app,
        Method::POST,
        &format!(
            "/manage/v1/tenants/{}/users/{bob}/resend-verification",
            tenant.id
        ),
    )
    .await;
    assert_eq!(resp.status(), 202);
    let second = link_path(&app.mail_to("bob@example.com").await);
    assert_ne!(first, second);
    let stale = bob_web
        .post("/t/acme/verify-email", &[("token", &token_of(&first))])
        .await;
    assert!(!stale.contains("is confirmed"), "{}", stale.body);
    bob_web.get(&second).await;
    let fresh = bob_web
        .post("/t/acme/verify-email", &[("token", &token_of(&second))])
        .await;
    assert!(fresh.contains("is confirmed"), "{}", fresh.body);

    // Unknown users, and no operator token: nothing happens.
    let nobody = uuid::Uuid::new_v4();
    for action in ["reset-mfa", "resend-verification"] {
        let path = format!("/manage/v1/tenants/{}/users/{nobody}/{action}", tenant.id);
        assert_eq!(
            admin(&app, Method::POST, &path).await.status(),
            404,
            "{action}"
        );
        let resp = app
            .client
            .post(app.url(&format!("{base}/{action}")))
            .send()
            .await
            .expect("sent");
        assert_eq!(resp.status(), 401, "{action}");
    }
}

both_engines!(
    operators_reset_mfa_and_send_verification_again,
    mfa_reset_and_verification_mail
);

async fn export_and_erasure(engine: Engine) {
    let app = spawn_app(engine).await;
    let tenant = app.tenant("acme", json!({})).await;
    let other = app.tenant("other", json!({})).await;
    let client = create_client(&app, &tenant.id.to_string(), json!({})).await;
    let web = app.web();
    app.signup_verified(&web, "acme", "alice@example.com", PASSWORD)
        .await;
    let tokens = code_flow_with_scope(
        &app,
        &web,
        "acme",
        &client,
        "alice@example.com",
        PASSWORD,
        "openid email offline_access",
    )
    .await;
    let access = tokens["access_token"].as_str().expect("access").to_owned();
    let refresh = tokens["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    let sub = crate::oidc::claims(&access)["sub"]
        .as_str()
        .expect("sub")
        .to_owned();
    let base = format!("/manage/v1/tenants/{}/users/{sub}", tenant.id);

    // Export: the profile, sessions and events, no secret.
    let resp = admin(&app, Method::GET, &format!("{base}/export")).await;
    assert_eq!(resp.status(), 200);
    let disposition = resp.headers()["content-disposition"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_eq!(
        disposition,
        format!("attachment; filename=\"user-{sub}.json\"")
    );
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let text = resp.text().await.expect("text");
    let export: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(export["user"]["email"], "alice@example.com");
    assert_eq!(export["sessions"].as_array().map(Vec::len), Some(1));
    let kinds: Vec<&str> = export["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert!(
        kinds.contains(&"signup") && kinds.contains(&"login"),
        "{kinds:?}"
    );
    for secret in ["password_hash", "argon2", "totp", "secret_hash", &refresh] {
        assert!(!text.contains(secret), "{secret} in the export");
    }
    // Another tenant's path does not reach the user.
    let cross = format!("/manage/v1/tenants/{}/users/{sub}", other.id);
    assert_eq!(
        admin(&app, Method::GET, &format!("{cross}/export"))
            .await
            .status(),
        404
    );
    assert_eq!(admin(&app, Method::DELETE, &cross).await.status(), 404);
    assert_eq!(app.user_count(&tenant).await, 1);
    let resp = app
        .client
        .delete(app.url(&base))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 401);
    assert_eq!(app.user_count(&tenant).await, 1);

    // Erasure: the account and everything that is theirs.
    assert_eq!(admin(&app, Method::DELETE, &base).await.status(), 204);
    assert_eq!(app.user_count(&tenant).await, 0);
    assert_eq!(admin(&app, Method::GET, &base).await.status(), 404);
    assert_eq!(
        admin(&app, Method::DELETE, &base).await.status(),
        404,
        "gone"
    );
    let (status, body) = token(
        &app,
        "acme",
        &client,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(
        introspect(&app, "acme", &client, &access).await["active"],
        false
    );
    let userinfo = app
        .client
        .get(app.url("/t/acme/userinfo"))
        .bearer_auth(&access)
        .send()
        .await
        .expect("sent");
    assert_eq!(userinfo.status(), 401);
    assert_eq!(
        web.get("/t/acme/account").await.status,
        303,
        "the session ended"
    );
    // Their events keep what and when, without address or agent; one says
    // the id was erased.
    let events: Value = admin(
        &app,
        Method::GET,
        &format!("/manage/v1/tenants/{}/events", tenant.id),
    )
    .await
    .json()
    .await
    .expect("json");
    let mine: Vec<&Value> = events["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["user_id"] == sub.as_str())
        .collect();
    assert!(mine.iter().any(|e| e["kind"] == "user_deleted"));
    assert!(mine.iter().any(|e| e["kind"] == "login"));
    for e in &mine {
        assert_eq!(
            (e["ip"].as_str(), e["user_agent"].as_str()),
            (Some(""), Some("")),
            "{e}"
        );
    }
    // The address may sign up again, as a new account.
    let again = app.web();
    app.signup_verified(&again, "acme", "alice@example.com", PASSWORD)
        .await;
    assert_eq!(app.user_count(&tenant).await, 1);
}

both_engines!(operators_export_and_erase_a_user, export_and_erasure);

/// A platform user who is a tenant's only owner is not erased: the tenant
/// would be left without an owner. With a second owner, they are, and
/// leave the team.
#[tokio::test]
async fn the_last_owner_of_a_tenant_is_not_erased() {
    let app = spawn_app(Engine::Sqlite).await;
    let tenant = app.tenant("acme", json!({})).await;
    let owners = format!("/manage/v1/tenants/{}/owners", tenant.id);
    for email in ["first@acme.example", "second@acme.example"] {
        app.signup_verified(&app.web(), "platform", email, PASSWORD)
            .await;
    }
    let resp = app
        .admin(Method::POST, &owners)
        .json(&json!({ "email": "first@acme.example" }))
        .send()
        .await
        .expect("sent");
    let first: Value = resp.json().await.expect("json");
    let first = first["user_id"].as_str().expect("id").to_owned();
    let platform: Value = admin(&app, Method::GET, "/manage/v1/tenants/by-slug/platform")
        .await
        .json()
        .await
        .expect("json");
    let user = format!(
        "/manage/v1/tenants/{}/users/{first}",
        platform["id"].as_str().expect("id")
    );
    assert_problem(admin(&app, Method::DELETE, &user).await, 409, "last-owner").await;
    assert_eq!(
        admin(&app, Method::GET, &user).await.status(),
        200,
        "still there"
    );

    let resp = app
        .admin(Method::POST, &owners)
        .json(&json!({ "email": "second@acme.example" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 201);
    assert_eq!(admin(&app, Method::DELETE, &user).await.status(), 204);
    let team: Value = admin(&app, Method::GET, &owners)
        .await
        .json()
        .await
        .expect("json");
    let emails: Vec<&str> = team["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|m| m["email"].as_str())
        .collect();
    assert_eq!(emails, ["second@acme.example"]);
}
