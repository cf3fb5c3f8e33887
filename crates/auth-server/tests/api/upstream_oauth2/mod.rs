//! Sign-in through a plain OAuth 2.0 upstream provider (no ID token),
//! against a GitHub-shaped fake on loopback: `/login/oauth/authorize`
//! (simulated: the test reads the redirect and answers the callback as
//! GitHub would), `/login/oauth/access_token` (client_secret_post, JSON,
//! errors said with a 200 as GitHub does), `/user` (a numeric id, maybe a
//! null email) and `/user/emails`. Acme has the `github` preset pointed at
//! the fake (as a GitHub Enterprise Server would be).
mod fake_github;
mod kept_tokens;
mod provider_settings;
mod refusals;
mod sign_in;

use reqwest::Method;
use serde_json::{json, Value};
use service_kit::db::Engine as DbEngine;

use self::fake_github::{start_fake_github, FakeGithub};
use crate::helpers::{spawn_app_with, TestApp};
use crate::web::Web;

pub(super) struct Setup {
    pub(super) app: TestApp,
    pub(super) acme: auth_server::domain::tenant::Tenant,
    pub(super) fake: FakeGithub,
}

/// Acme with the `github` preset on the fake's endpoints.
pub(super) async fn setup(engine: DbEngine) -> Setup {
    let app = spawn_app_with(engine, &[("AUTH_UPSTREAM_ALLOW_PRIVATE", "true")]).await;
    let acme = app.tenant("acme", json!({})).await;
    let fake = start_fake_github();
    let resp = app
        .admin(
            Method::POST,
            &format!("/manage/v1/tenants/{}/upstream-providers", acme.id),
        )
        .json(&json!({
            "preset": "github",
            "client_id": "gh-client",
            "client_secret": "gh-s3cret",
            "authorization_url": format!("{}/login/oauth/authorize", fake.base),
            "token_url": format!("{}/login/oauth/access_token", fake.base),
            "userinfo_url": format!("{}/user", fake.base),
        }))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status().as_u16(), 201);
    let created: Value = resp.json().await.expect("json");
    assert_eq!(created["kind"], "oauth2");
    assert_eq!(created["preset"], "github");
    assert_eq!(created["slug"], "github");
    assert_eq!(created["display_name"], "GitHub");
    assert_eq!(created["scopes"], "read:user user:email");
    assert_eq!(created["token_auth"], "client_secret_post");
    assert_eq!(created["issuer"], Value::Null);
    assert_eq!(created["claim_mapping"]["email"], "email");
    assert!(created.get("client_secret").is_none(), "{created}");
    Setup { app, acme, fake }
}

/// The browser's way to the provider: its authorization URL, parsed.
pub(super) async fn to_provider(web: &Web, start_path: &str) -> url::Url {
    let start = web.get(start_path).await;
    assert_eq!(start.status, 303, "{}", start.body);
    url::Url::parse(start.location.as_deref().expect("location")).expect("url")
}

pub(super) fn param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// GitHub's answer to the browser after the person said yes: back to the
/// redirect URI with the code and the state.
pub(super) async fn github_says_yes(web: &Web, at: &url::Url) -> crate::web::Page {
    // The public URL of a test server names port 0: the path is what counts.
    let redirect_uri = param(at, "redirect_uri").expect("redirect_uri");
    assert!(
        redirect_uri.ends_with("/t/acme/upstream/callback") && redirect_uri.starts_with("http"),
        "{redirect_uri}"
    );
    let state = param(at, "state").expect("state");
    web.get(&format!(
        "/t/acme/upstream/callback?code=gh-code-1&state={state}"
    ))
    .await
}

pub(super) async fn linked_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM upstream_identities")
        .fetch_one(&app.database.pool)
        .await
        .expect("count")
}
