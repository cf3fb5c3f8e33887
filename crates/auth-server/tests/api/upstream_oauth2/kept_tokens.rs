//! Kept upstream tokens: sealed, read by the tenant's backend with
//! `manage:upstream-tokens` only, and deleted when the setting is turned
//! off.
use auth_server::domain::email::Email;
use auth_server::store::users::UserStore;
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine as DbEngine;

use super::fake_github::ACCESS_TOKEN;
use super::{github_says_yes, setup, to_provider, Setup};
use crate::upstream_login::next_of;

/// A provider set to keep tokens keeps each sign-in's, sealed; the
/// tenant's backend reads them with `manage:upstream-tokens` only; turning
/// the setting off deletes them.
async fn kept_tokens_are_read_with_their_own_scope(engine: DbEngine) {
    use crate::api_credentials::{credential, owner_of, token, MANAGE};

    let Setup { app, acme, fake } = setup(engine).await;
    let provider = app
        .admin_json(&format!(
            "/manage/v1/tenants/{}/upstream-providers",
            acme.id
        ))
        .await;
    let provider_id = provider["items"][0]["id"].as_str().expect("id").to_owned();
    assert_eq!(provider["items"][0]["keep_tokens"], false, "off by default");
    let patch = |keep: bool| {
        app.admin(
            Method::PATCH,
            &format!(
                "/manage/v1/tenants/{}/upstream-providers/{provider_id}",
                acme.id
            ),
        )
        .json(&json!({ "keep_tokens": keep }))
        .send()
    };
    let on: Value = patch(true).await.expect("sent").json().await.expect("json");
    assert_eq!(on["keep_tokens"], true, "{on}");
    fake.set(|s| {
        s.token = json!({
            "access_token": ACCESS_TOKEN, "token_type": "bearer", "scope": "read:user,user:email",
            "refresh_token": "ghr_fake_refresh", "expires_in": 28800,
        })
    });

    let web = app.web();
    let at = to_provider(&web, "/t/acme/upstream/github").await;
    let done = github_says_yes(&web, &at).await;
    assert_eq!(next_of(&done), "/t/acme/account");
    let user = UserStore::new(app.database.pool.clone())
        .find_by_email(acme.id, &Email::parse("mona@example.com").expect("email"))
        .await
        .expect("read")
        .expect("mona");
    let sealed: Option<String> =
        sqlx::query_scalar("SELECT tokens_sealed FROM upstream_identities")
            .fetch_one(&app.database.pool)
            .await
            .expect("read");
    let sealed = sealed.expect("kept");
    assert!(!sealed.contains(ACCESS_TOKEN) && !sealed.contains("ghr_fake_refresh"));

    let path = format!(
        "/manage/v1/tenants/{}/users/{}/upstream-tokens",
        acme.id, user.id
    );
    let resp = app.admin(Method::GET, &path).send().await.expect("sent");
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let kept: Value = resp.json().await.expect("json");
    let item = &kept["items"][0];
    assert_eq!(item["provider"], "github", "{kept}");
    assert_eq!(item["subject"], "583231");
    assert_eq!(item["access_token"], ACCESS_TOKEN);
    assert_eq!(item["refresh_token"], "ghr_fake_refresh");
    assert!(item["expires_at"].as_str().is_some(), "{kept}");
    assert!(item["obtained_at"].as_str().is_some(), "{kept}");

    // A credential of the tenant: only with the scope of its own.
    let owner = owner_of(&app, &acme.id.to_string(), "owner@example.com").await;
    for (scopes, status) in [
        (&["manage:users", "manage:read", "manage:write"][..], 403),
        (&["manage:upstream-tokens"][..], 200),
    ] {
        let cred = credential(&owner, "acme", scopes).await;
        let bearer = token(&app, &cred, Some(MANAGE)).await;
        let resp = app
            .client
            .get(app.url(&path))
            .bearer_auth(&bearer)
            .send()
            .await
            .expect("sent");
        assert_eq!(resp.status().as_u16(), status, "{scopes:?}");
    }
    // A user the tenant does not have.
    let unknown = app
        .admin(
            Method::GET,
            &format!(
                "/manage/v1/tenants/{}/users/{}/upstream-tokens",
                acme.id,
                uuid::Uuid::new_v4()
            ),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(unknown.status(), 404);

    // Turned off: what was kept is gone.
    let off: Value = patch(false)
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(off["keep_tokens"], false);
    let kept = app.admin_json(&path).await;
    assert_eq!(kept["items"], json!([]), "{kept}");
    let left: Option<String> = sqlx::query_scalar("SELECT tokens_sealed FROM upstream_identities")
        .fetch_one(&app.database.pool)
        .await
        .expect("read");
    assert!(left.is_none());
}

both_engines!(
    kept_upstream_tokens_are_read_with_their_own_scope_and_go_when_turned_off,
    kept_tokens_are_read_with_their_own_scope
);
