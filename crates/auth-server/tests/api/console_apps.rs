//! `/dashboard/t/{slug}/apps`: an owner lists, creates and edits their
//! tenant's apps, rotates a secret and disables an app, through the same
//! use cases as the management API. Anyone else gets the platform login or a
//! 404, and a refused form changes nothing.
use reqwest::Method;
use serde_json::Value;
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::dashboard_pages::platform_user;
use crate::helpers::{spawn_app, TestApp};
use crate::web::{Page, Web};

const OWNER: &str = "founder@startup.example";

/// A tenant `slug` made at onboarding by `web`'s user, with a machine app:
/// its id, the app's client id and secret.
async fn onboarded(app: &TestApp, web: &Web, slug: &str) -> (String, String, String) {
    web.get("/dashboard/new").await;
    let page = web
        .post(
            "/dashboard/new",
            &[("display_name", slug), ("slug", slug), ("app", "m2m")],
        )
        .await;
    assert_eq!(page.status, 201, "{}", page.body);
    let tenant: Value = app
        .admin(Method::GET, &format!("/manage/v1/tenants/by-slug/{slug}"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    (
        tenant["id"].as_str().expect("id").to_owned(),
        code(&page, "client-id"),
        code(&page, "client-secret"),
    )
}

fn code(page: &Page, id: &str) -> String {
    page.between(&format!("<code id=\"{id}\">"), "</code>")
        .unwrap_or_else(|| panic!("no {id} in {}", page.body))
}

async fn client_json(app: &TestApp, tenant: &str, client: &str) -> Value {
    app.admin(
        Method::GET,
        &format!("/manage/v1/tenants/{tenant}/clients/{client}"),
    )
    .send()
    .await
    .expect("sent")
    .json()
    .await
    .expect("json")
}

async fn token_status(app: &TestApp, slug: &str, id: &str, secret: &str) -> u16 {
    app.client
        .post(app.url(&format!("/t/{slug}/token")))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("sent")
        .status()
        .as_u16()
}

async fn owner_manages_apps(engine: Engine) {
    let app = spawn_app(engine).await;
    let web = platform_user(&app, OWNER).await;
    let (tenant, machine, secret) = onboarded(&app, &web, "startup").await;
    let apps = "/dashboard/t/startup/apps";

    let list = web.get(apps).await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(
        list.contains(&format!("<code>{machine}</code>")),
        "{}",
        list.body
    );
    assert!(web
        .get("/dashboard")
        .await
        .contains(&format!("href=\"{apps}\"")));

    // A new single-page app: public, so no secret.
    web.get(&format!("{apps}/new")).await;
    let page = web
        .post(
            &format!("{apps}/new"),
            &[
                ("name", "Startup SPA"),
                ("app", "spa"),
                ("callback_url", "https://app.startup.example/cb"),
            ],
        )
        .await;
    assert_eq!(page.status, 201, "{}", page.body);
    assert!(!page.contains("client-secret"), "{}", page.body);
    let spa = code(&page, "client-id");
    let c = client_json(&app, &tenant, &spa).await;
    assert_eq!(c["name"], "Startup SPA");
    assert_eq!(c["kind"], "public");
    assert_eq!(c["cors_origins"][0], "https://app.startup.example");

    // Edit: two callback URLs, first-party.
    let edit = format!("{apps}/{spa}");
    let page = web.get(&edit).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let page = web
        .post(
            &edit,
            &[
                ("name", "Startup web"),
                (
                    "redirect_uris",
                    "https://app.startup.example/cb\r\n  https://staging.startup.example/cb \r\n\r\n",
                ),
                ("post_logout_redirect_uris", "https://app.startup.example/"),
                ("cors_origins", "https://app.startup.example"),
                ("first_party", "on"),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(
        page.location.as_deref(),
        Some(&*format!("{edit}?done=saved"))
    );
    let c = client_json(&app, &tenant, &spa).await;
    assert_eq!(c["name"], "Startup web");
    assert_eq!(
        c["redirect_uris"],
        serde_json::json!([
            "https://app.startup.example/cb",
            "https://staging.startup.example/cb"
        ])
    );
    assert_eq!(c["first_party"], true);
    assert!(web
        .get(&format!("{edit}?done=saved"))
        .await
        .contains("Saved."));

    // A refused edit says why and changes nothing.
    let before = client_json(&app, &tenant, &spa).await;
    for (field, value) in [
        ("redirect_uris", "http://app.startup.example/cb"),
        ("redirect_uris", ""),
        ("cors_origins", "https://app.startup.example/path"),
        ("name", ""),
    ] {
        let mut fields = vec![
            ("name", "Changed"),
            ("redirect_uris", "https://app.startup.example/cb"),
            ("post_logout_redirect_uris", ""),
            ("cors_origins", ""),
        ];
        fields.retain(|(k, _)| *k != field);
        fields.push((field, value));
        let page = web.post(&edit, &fields).await;
        assert_eq!(page.status, 422, "{field}={value}: {}", page.body);
        assert!(page.contains("Not saved:"), "{}", page.body);
        assert_eq!(client_json(&app, &tenant, &spa).await, before, "{field}");
    }

    // Rotating the machine app's secret, the old one kept for a day.
    let machine_page = format!("{apps}/{machine}");
    web.get(&machine_page).await;
    let page = web
        .post(
            &format!("{machine_page}/rotate-secret"),
            &[("overlap_secs", "3")],
        )
        .await;
    assert_eq!(page.status, 422, "only the offered overlaps: {}", page.body);
    assert_eq!(token_status(&app, "startup", &machine, &secret).await, 200);
    let page = web
        .post(
            &format!("{machine_page}/rotate-secret"),
            &[("overlap_secs", "86400")],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let new_secret = code(&page, "client-secret");
    assert_ne!(new_secret, secret);
    assert_eq!(
        token_status(&app, "startup", &machine, &new_secret).await,
        200
    );
    assert_eq!(
        token_status(&app, "startup", &machine, &secret).await,
        200,
        "the old secret works during the overlap"
    );
    // A public app has no secret to rotate.
    let page = web
        .post(&format!("{edit}/rotate-secret"), &[("overlap_secs", "0")])
        .await;
    assert_eq!(page.status, 422, "{}", page.body);

    // Disabling asks for confirmation, then the app's tokens stop at once.
    let page = web.post(&format!("{machine_page}/disable"), &[]).await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert_eq!(
        token_status(&app, "startup", &machine, &new_secret).await,
        200
    );
    let page = web
        .post(&format!("{machine_page}/disable"), &[("confirm", "on")])
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(
        token_status(&app, "startup", &machine, &new_secret).await,
        401
    );
    let c = client_json(&app, &tenant, &machine).await;
    assert_eq!(c["status"], "disabled", "{c}");
    let page = web.get(&format!("{machine_page}?done=disabled")).await;
    assert!(page.contains("The app is disabled"), "{}", page.body);
    assert!(
        !page.contains("id=\"settings\""),
        "no settings form once disabled"
    );

    // Enabled again: it gets tokens again.
    let page = web.post(&format!("{machine_page}/enable"), &[]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(
        client_json(&app, &tenant, &machine).await["status"],
        "active"
    );
    assert_eq!(
        token_status(&app, "startup", &machine, &new_secret).await,
        200
    );
    let page = web.get(&format!("{machine_page}?done=enabled")).await;
    assert!(page.contains("The app is enabled"), "{}", page.body);
}

both_engines!(
    an_owner_creates_edits_rotates_and_disables_apps,
    owner_manages_apps
);

#[tokio::test]
async fn only_the_owner_reaches_a_tenants_apps_and_refusals_change_nothing() {
    let app = spawn_app(Engine::Sqlite).await;
    let owner = platform_user(&app, OWNER).await;
    let (tenant, machine, secret) = onboarded(&app, &owner, "startup").await;
    let other = platform_user(&app, "other@rival.example").await;
    let (_, rival_app, _) = onboarded(&app, &other, "rival").await;
    let before = client_json(&app, &tenant, &machine).await;
    let apps = "/dashboard/t/startup/apps";
    let page_of = format!("{apps}/{machine}");

    // Another platform user: every page and form is the unknown tenant's 404.
    other.get("/dashboard").await;
    for path in [apps.to_owned(), format!("{apps}/new"), page_of.clone()] {
        assert_eq!(other.get(&path).await.status, 404, "{path}");
    }
    for (path, fields) in [
        (format!("{apps}/new"), vec![("name", "X"), ("app", "m2m")]),
        (
            page_of.clone(),
            vec![("name", "Taken over"), ("redirect_uris", "")],
        ),
        (
            format!("{page_of}/rotate-secret"),
            vec![("overlap_secs", "0")],
        ),
        (format!("{page_of}/disable"), vec![("confirm", "on")]),
        (format!("{page_of}/enable"), vec![]),
    ] {
        let page = other.post(&path, &fields).await;
        assert_eq!(page.status, 404, "{path}: {}", page.body);
        assert!(!page.contains("client-secret"));
    }
    // The owner, asking for another tenant's app under their own tenant: 404.
    assert_eq!(owner.get(&format!("{apps}/{rival_app}")).await.status, 404);
    assert_eq!(owner.get(&format!("{apps}/not-a-client")).await.status, 404);
    let page = owner
        .post(&format!("{apps}/{rival_app}/disable"), &[("confirm", "on")])
        .await;
    assert_eq!(page.status, 404);

    // Without a session: the platform login, coming back to the page.
    let anonymous = app.web();
    let page = anonymous.get(&page_of).await;
    assert_eq!(page.status, 303);
    assert!(page
        .location
        .unwrap_or_default()
        .starts_with("/t/platform/login?return_to=%2Fdashboard%2Ft%2Fstartup%2Fapps%2F"),);
    // Without the CSRF token, even the owner is refused.
    let page = owner
        .post_raw(&format!("{page_of}/disable"), &[("confirm", "on")])
        .await;
    assert_eq!(page.status, 403);

    assert_eq!(client_json(&app, &tenant, &machine).await, before);
    assert_eq!(token_status(&app, "startup", &machine, &secret).await, 200);
    let count: Value = app
        .admin(Method::GET, &format!("/manage/v1/tenants/{tenant}/clients"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(count["items"].as_array().map(Vec::len), Some(1), "{count}");
}
