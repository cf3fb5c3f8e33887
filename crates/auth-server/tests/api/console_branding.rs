//! `/dashboard/t/{slug}/branding`: an owner sets the logo and colour their
//! users see on the hosted pages; the tenant's other settings stay; a bad
//! logo or colour is refused and changes nothing; nobody else reaches it.
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::dashboard_pages::platform_user;
use crate::helpers::{spawn_app, TestApp};
use crate::web::Web;

const OWNER: &str = "founder@startup.example";
const BRANDING: &str = "/dashboard/t/startup/branding";

/// `startup`, made at onboarding by `web`'s user, with a default audience
/// set by an operator; its id.
async fn onboarded(app: &TestApp, web: &Web) -> String {
    let id = crate::dashboard_pages::onboarded(app, web, "startup", "Startup").await;
    let resp = app
        .admin(Method::PATCH, &format!("/manage/v1/tenants/{id}"))
        .json(&json!({ "settings": { "default_audience": "startup-api" } }))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 200);
    id
}

async fn settings(app: &TestApp, id: &str) -> Value {
    app.admin_json(&format!("/manage/v1/tenants/{id}")).await["settings"].clone()
}

async fn theme(app: &TestApp) -> String {
    app.client
        .get(app.url("/t/startup/theme.css"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("text")
}

async fn owner_brands_the_pages(engine: Engine) {
    let app = spawn_app(engine).await;
    let web = platform_user(&app, OWNER).await;
    let id = onboarded(&app, &web).await;
    assert!(web
        .get("/dashboard")
        .await
        .contains(&format!("href=\"{BRANDING}\"")));

    let page = web.get(BRANDING).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let page = web
        .post(
            BRANDING,
            &[
                ("logo_url", "https://cdn.startup.example/logo.png"),
                ("brand_color", "#0B6E4F"),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(
        settings(&app, &id).await,
        json!({
            "default_audience": "startup-api",
            "logo_url": "https://cdn.startup.example/logo.png",
            "brand_color": "#0b6e4f",
        })
    );
    assert!(theme(&app).await.contains("--brand: #0b6e4f"));
    // The users' login page shows the logo, and its CSP lets it load.
    let login = app.web().get("/t/startup/login").await;
    assert!(
        login.contains("src=\"https://cdn.startup.example/logo.png\""),
        "{}",
        login.body
    );
    let csp = login
        .headers
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(csp.contains("https://cdn.startup.example"), "{csp}");
    // The branding page previews the saved logo (its CSP lets it load too).
    let page = web.get(&format!("{BRANDING}?done=saved")).await;
    assert!(page.contains("id=\"preview-logo\""), "{}", page.body);
    assert!(page
        .headers
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.contains("https://cdn.startup.example")));

    // Refused: nothing changes.
    let before = settings(&app, &id).await;
    for (logo, colour) in [
        ("javascript:alert(1)", ""),
        ("http://cdn.startup.example/logo.png", ""),
        ("", "blue"),
        ("", "#fff;} body{display:none"),
    ] {
        let page = web
            .post(BRANDING, &[("logo_url", logo), ("brand_color", colour)])
            .await;
        assert_eq!(page.status, 422, "{logo} {colour}: {}", page.body);
        assert!(page.contains("Not saved:"), "{}", page.body);
        assert_eq!(settings(&app, &id).await, before);
    }

    // Empty fields go back to no logo and the default colour.
    let page = web
        .post(BRANDING, &[("logo_url", ""), ("brand_color", "")])
        .await;
    assert_eq!(page.status, 303);
    assert_eq!(
        settings(&app, &id).await,
        json!({ "default_audience": "startup-api" })
    );
    assert_eq!(theme(&app).await, "");
}

both_engines!(
    an_owner_sets_the_logo_and_colour_of_the_login_pages,
    owner_brands_the_pages
);

#[tokio::test]
async fn only_the_owner_changes_the_branding() {
    let app = spawn_app(Engine::Sqlite).await;
    let owner = platform_user(&app, OWNER).await;
    let id = onboarded(&app, &owner).await;
    let before = settings(&app, &id).await;
    let stranger = platform_user(&app, "other@rival.example").await;
    stranger.get("/dashboard").await;
    assert_eq!(stranger.get(BRANDING).await.status, 404);
    let page = stranger
        .post(BRANDING, &[("logo_url", ""), ("brand_color", "#000")])
        .await;
    assert_eq!(page.status, 404);
    assert_eq!(app.web().get(BRANDING).await.status, 303);
    let page = owner
        .post_raw(BRANDING, &[("logo_url", ""), ("brand_color", "#000")])
        .await;
    assert_eq!(page.status, 403);
    assert_eq!(settings(&app, &id).await, before);
}
