//! `/dashboard/t/{slug}/sign-in-methods`: an owner adds upstream identity
//! providers (the Google preset, any OpenID Connect issuer) through the
//! console, changes and turns them off, and removes them, through the use
//! case the management API shares: what the page does, the API sees, and
//! the login page's buttons follow. The secret is never shown; refusals say
//! why and change nothing; a viewer sees the list and changes nothing.
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::dashboard_pages::{onboarded, platform_user};
use crate::helpers::{spawn_app, TestApp};

const OWNER: &str = "founder@startup.example";
const PAGE: &str = "/dashboard/t/startup/sign-in-methods";
const GOOGLE_SECRET: &str = "GOCSPX-google-secret";
const ACME_SECRET: &str = "acme-sso-secret";

async fn providers(app: &TestApp, tenant: &str) -> Vec<Value> {
    let list = app
        .admin_json(&format!("/manage/v1/tenants/{tenant}/upstream-providers"))
        .await;
    list["items"].as_array().expect("items").clone()
}

fn by_slug<'a>(list: &'a [Value], slug: &str) -> &'a Value {
    list.iter()
        .find(|p| p["slug"] == slug)
        .unwrap_or_else(|| panic!("no {slug} in {list:?}"))
}

/// Whether the tenant's login page offers the provider `slug`'s button.
async fn login_button(app: &TestApp, slug: &str) -> bool {
    let page = app.web().get("/t/startup/login").await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.contains(&format!("id=\"upstream-{slug}\""))
}

async fn owner_manages_sign_in_methods(engine: Engine) {
    let app = spawn_app(engine).await;
    let web = platform_user(&app, OWNER).await;
    let tenant = onboarded(&app, &web, "startup", "Startup").await;
    assert!(web
        .get("/dashboard")
        .await
        .contains(&format!("href=\"{PAGE}\"")));
    let page = web.get(PAGE).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.contains("id=\"no-providers\""), "{}", page.body);
    let callback = page
        .between("<code id=\"callback-url\">", "</code>")
        .expect("the callback URL");
    assert!(
        callback.ends_with("/t/startup/upstream/callback"),
        "{callback}"
    );

    // The Google preset: its issuer, slug and name come with it.
    let added = web
        .post(
            PAGE,
            &[
                ("kind", "google"),
                ("client_id", "123.apps.googleusercontent.com"),
                ("client_secret", GOOGLE_SECRET),
            ],
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.body);
    assert_eq!(
        added.location.as_deref(),
        Some(format!("{PAGE}?done=added").as_str())
    );
    // Any OpenID Connect provider, by its issuer.
    let added = web
        .post(
            PAGE,
            &[
                ("kind", "oidc"),
                ("issuer", "https://sso.acme.example"),
                ("slug", "acme-sso"),
                ("display_name", "Acme SSO"),
                ("client_id", "connectauth"),
                ("client_secret", ACME_SECRET),
                ("scopes", "openid email"),
            ],
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.body);

    let list = providers(&app, &tenant).await;
    assert_eq!(list.len(), 2, "{list:?}");
    let google = by_slug(&list, "google");
    assert_eq!(
        (
            &google["issuer"],
            &google["display_name"],
            &google["client_id"],
            &google["scopes"],
            &google["enabled"],
            &google["callback_url"]
        ),
        (
            &json!("https://accounts.google.com"),
            &json!("Google"),
            &json!("123.apps.googleusercontent.com"),
            &json!("openid email profile"),
            &json!(true),
            &json!(callback)
        )
    );
    let acme = by_slug(&list, "acme-sso");
    assert_eq!(
        (&acme["issuer"], &acme["display_name"], &acme["scopes"]),
        (
            &json!("https://sso.acme.example"),
            &json!("Acme SSO"),
            &json!("openid email")
        )
    );
    let google_id = google["id"].as_str().expect("id").to_owned();
    let acme_id = acme["id"].as_str().expect("id").to_owned();

    let page = web.get(&format!("{PAGE}?done=added")).await;
    assert!(page.contains("Added: its button is on your login page."));
    for shown in [
        "https://accounts.google.com",
        "https://sso.acme.example",
        "123.apps.googleusercontent.com",
        "id=\"provider-acme-sso\"",
    ] {
        assert!(page.contains(shown), "{shown}: {}", page.body);
    }
    assert!(
        !page.contains(GOOGLE_SECRET) && !page.contains(ACME_SECRET),
        "the secret is never shown"
    );
    assert!(login_button(&app, "google").await && login_button(&app, "acme-sso").await);

    // Refused by the rules, with their words; nothing stored.
    let refused = web
        .post(
            PAGE,
            &[
                ("kind", "oidc"),
                ("issuer", "http://example.com"),
                ("slug", "plain"),
                ("display_name", "Plain"),
                ("client_id", "cid"),
                ("client_secret", "typed-secret"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.contains("Not saved: issuer:"), "{}", refused.body);
    assert!(
        refused.contains("value=\"http://example.com\""),
        "the form as typed"
    );
    assert!(!refused.contains("typed-secret"), "but for its secret");
    let taken = web
        .post(
            PAGE,
            &[
                ("kind", "google"),
                ("client_id", "456.apps.googleusercontent.com"),
                ("client_secret", "another"),
            ],
        )
        .await;
    assert_eq!(taken.status, 409, "{}", taken.body);
    assert!(taken.contains("has this slug"), "{}", taken.body);
    let list = providers(&app, &tenant).await;
    assert_eq!(list.len(), 2, "{list:?}");
    assert_eq!(
        by_slug(&list, "google")["client_id"],
        "123.apps.googleusercontent.com"
    );

    // Turned off: its button leaves the login page; on again: back.
    let google_at = format!("{PAGE}/{google_id}");
    let off = web
        .post(&format!("{google_at}/update"), &[("enabled", "false")])
        .await;
    assert_eq!(off.status, 303, "{}", off.body);
    assert!(!login_button(&app, "google").await);
    assert!(login_button(&app, "acme-sso").await);
    assert_eq!(
        by_slug(&providers(&app, &tenant).await, "google")["enabled"],
        false
    );
    assert!(web.get(PAGE).await.contains("Turn on"));

    // Its name, client id and scopes change; a blank secret keeps the old.
    let acme_at = format!("{PAGE}/{acme_id}");
    let saved = web
        .post(
            &format!("{acme_at}/update"),
            &[
                ("display_name", "Acme Login"),
                ("client_id", "connectauth-2"),
                ("client_secret", ""),
                ("scopes", "openid email profile"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let acme = by_slug(&providers(&app, &tenant).await, "acme-sso").clone();
    assert_eq!(
        (&acme["display_name"], &acme["client_id"], &acme["scopes"]),
        (
            &json!("Acme Login"),
            &json!("connectauth-2"),
            &json!("openid email profile")
        )
    );
    let refused = web
        .post(
            &format!("{acme_at}/update"),
            &[
                ("display_name", "Renamed"),
                ("client_id", "connectauth-3"),
                ("scopes", "email profile"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.contains("Not saved: scopes:"), "{}", refused.body);
    assert!(refused.contains("value=\"Renamed\""), "the edit as typed");
    assert_eq!(
        by_slug(&providers(&app, &tenant).await, "acme-sso"),
        &acme,
        "nothing changed"
    );

    // Removing asks for confirmation; then it is gone, button and all.
    let unconfirmed = web.post(&format!("{acme_at}/delete"), &[]).await;
    assert_eq!(unconfirmed.status, 422, "{}", unconfirmed.body);
    assert_eq!(providers(&app, &tenant).await.len(), 2);
    let deleted = web
        .post(&format!("{acme_at}/delete"), &[("confirm", "on")])
        .await;
    assert_eq!(deleted.status, 303, "{}", deleted.body);
    let list = providers(&app, &tenant).await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["slug"], "google");
    assert!(!login_button(&app, "acme-sso").await);
    assert!(web
        .get(&format!("{PAGE}?done=deleted"))
        .await
        .contains("Removed:"));
    // Another time, or another tenant's id: the same 404 as an unknown one.
    for path in [format!("{acme_at}/delete"), format!("{acme_at}/update")] {
        let page = web.post(&path, &[("confirm", "on")]).await;
        assert_eq!(page.status, 404, "{path}");
    }
}

both_engines!(
    an_owner_manages_sign_in_methods_from_the_console,
    owner_manages_sign_in_methods
);

async fn viewer_sees_and_changes_nothing(engine: Engine) {
    let app = spawn_app(engine).await;
    let owner = platform_user(&app, OWNER).await;
    let tenant = onboarded(&app, &owner, "startup", "Startup").await;
    let added = owner
        .post(
            PAGE,
            &[
                ("kind", "google"),
                ("client_id", "123.apps.googleusercontent.com"),
                ("client_secret", GOOGLE_SECRET),
            ],
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.body);
    let before = providers(&app, &tenant).await;
    let id = before[0]["id"].as_str().expect("id").to_owned();

    let viewer = platform_user(&app, "viewer@startup.example").await;
    let resp = app
        .admin(Method::POST, &format!("/manage/v1/tenants/{tenant}/owners"))
        .json(&json!({ "email": "viewer@startup.example", "role": "viewer" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 201);
    let page = viewer.get(PAGE).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.contains("123.apps.googleusercontent.com"));
    assert!(
        !page.contains("<form method=\"post\" action=\"/dashboard/t/startup/sign-in-methods"),
        "a viewer gets no form: {}",
        page.body
    );

    let posts: [(String, Vec<(&str, &str)>); 4] = [
        (
            PAGE.to_owned(),
            vec![
                ("kind", "oidc"),
                ("issuer", "https://sso.acme.example"),
                ("slug", "acme"),
                ("display_name", "Acme"),
                ("client_id", "cid"),
                ("client_secret", "s"),
            ],
        ),
        (format!("{PAGE}/{id}/update"), vec![("enabled", "false")]),
        (
            format!("{PAGE}/{id}/update"),
            vec![("display_name", "Renamed")],
        ),
        (format!("{PAGE}/{id}/delete"), vec![("confirm", "on")]),
    ];
    for (path, fields) in &posts {
        assert_eq!(viewer.post(path, fields).await.status, 403, "viewer {path}");
        // The owner's own POST without the CSRF token: refused too.
        assert_eq!(
            owner.post_raw(path, fields).await.status,
            403,
            "no CSRF {path}"
        );
    }
    let stranger = platform_user(&app, "rival@rival.example").await;
    assert_eq!(stranger.get(PAGE).await.status, 404);
    assert_eq!(app.web().get(PAGE).await.status, 303, "to the login first");
    assert_eq!(providers(&app, &tenant).await, before, "nothing changed");
}

both_engines!(
    a_viewer_sees_sign_in_methods_and_changes_nothing,
    viewer_sees_and_changes_nothing
);

async fn owner_adds_oauth2_providers(engine: Engine) {
    let app = spawn_app(engine).await;
    let web = platform_user(&app, OWNER).await;
    let tenant = onboarded(&app, &web, "startup", "Startup").await;
    let page = web.get(PAGE).await;
    for choice in ["github", "facebook", "microsoft", "oauth2"] {
        assert!(
            page.contains(&format!("<option value=\"{choice}\"")),
            "{choice}: {}",
            page.body
        );
    }

    // GitHub: the preset fills the endpoints, scopes, slug and name.
    let added = web
        .post(
            PAGE,
            &[
                ("kind", "github"),
                ("client_id", "Ov23li-startup"),
                ("client_secret", "gh-secret"),
            ],
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.body);
    let list = providers(&app, &tenant).await;
    let github = by_slug(&list, "github");
    assert_eq!(github["kind"], "oauth2");
    assert_eq!(
        github["authorization_url"],
        "https://github.com/login/oauth/authorize"
    );
    assert_eq!(github["scopes"], "read:user user:email");
    assert!(login_button(&app, "github").await);
    let page = web.get(PAGE).await;
    assert!(
        page.contains("<code>https://github.com/login/oauth/authorize</code>"),
        "{}",
        page.body
    );

    // Another OAuth 2.0 provider with an http endpoint: refused, as typed.
    let refused = web
        .post(
            PAGE,
            &[
                ("kind", "oauth2"),
                ("slug", "gitea"),
                ("display_name", "Gitea"),
                (
                    "authorization_url",
                    "https://git.startup.example/login/oauth/authorize",
                ),
                (
                    "token_url",
                    "http://git.startup.example/login/oauth/access_token",
                ),
                ("userinfo_url", "https://git.startup.example/api/v1/user"),
                ("client_id", "cid"),
                ("client_secret", "typed-secret"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.contains("Not saved: token_url:"),
        "{}",
        refused.body
    );
    assert!(
        refused.contains("value=\"http://git.startup.example/login/oauth/access_token\""),
        "the form as typed"
    );
    assert!(!refused.contains("typed-secret"), "but for its secret");
    assert_eq!(providers(&app, &tenant).await.len(), 1, "nothing stored");

    // Mended: stored with its own subject field and the tenant's trust.
    let added = web
        .post(
            PAGE,
            &[
                ("kind", "oauth2"),
                ("slug", "gitea"),
                ("display_name", "Gitea"),
                (
                    "authorization_url",
                    "https://git.startup.example/login/oauth/authorize",
                ),
                (
                    "token_url",
                    "https://git.startup.example/login/oauth/access_token",
                ),
                ("userinfo_url", "https://git.startup.example/api/v1/user"),
                ("subject_field", "login"),
                ("trust_email", "on"),
                ("client_id", "cid"),
                ("client_secret", "typed-secret"),
            ],
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.body);
    let list = providers(&app, &tenant).await;
    let gitea = by_slug(&list, "gitea");
    assert_eq!(gitea["claim_mapping"]["subject"], "login");
    assert_eq!(gitea["trust_email"], true);
    assert_eq!(gitea["scopes"], "");
}

both_engines!(
    an_owner_adds_github_and_another_oauth2_provider_in_the_console,
    owner_adds_oauth2_providers
);
