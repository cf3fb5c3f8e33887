//! A tenant's pages: none for an unknown or disabled tenant, in the
//! visitor's language and the tenant's colours, and behind MFA when the
//! tenant requires it.
use serde_json::json;
use service_kit::db::Engine;

use crate::helpers::{spawn_app, PASSWORD};
use crate::web::totp_code;

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
