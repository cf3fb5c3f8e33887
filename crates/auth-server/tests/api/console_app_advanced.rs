//! The advanced section of an app's console page: token lifetimes, ID-token
//! algorithm, refresh reuse interval and allowed resources, changed through
//! the management API's use case and seen through its `GET`. A value the API
//! refuses is refused here with the rule naming the field, and changes
//! nothing; a viewer cannot change anything.
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::dashboard_pages::{onboarded, platform_user};
use crate::helpers::{spawn_app, TestApp};
use crate::web::{Page, Web};

const OWNER: &str = "founder@startup.example";
const CALLBACK: &str = "https://app.startup.example/cb";
const APPS: &str = "/dashboard/t/startup/apps";

/// A web app made in the console by `web`'s user: its client id.
async fn web_app(web: &Web) -> String {
    web.get(&format!("{APPS}/new")).await;
    let page = web
        .post(
            &format!("{APPS}/new"),
            &[
                ("name", "Startup web"),
                ("app", "web"),
                ("callback_url", CALLBACK),
            ],
        )
        .await;
    assert_eq!(page.status, 201, "{}", page.body);
    page.between("<code id=\"client-id\">", "</code>")
        .expect("client id")
}

/// A platform user with `email`, a member of `tenant` as `role`.
async fn member(app: &TestApp, tenant: &str, email: &str, role: &str) -> Web {
    let web = platform_user(app, email).await;
    let resp = app
        .admin(Method::POST, &format!("/manage/v1/tenants/{tenant}/owners"))
        .json(&json!({ "email": email, "role": role }))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 201);
    web
}

/// The app page's form as a browser sends it, its other fields as saved,
/// with `changed` instead (the last of a field given twice).
fn form<'a>(changed: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("name", "Startup web"),
        ("redirect_uris", CALLBACK),
        ("post_logout_redirect_uris", "https://app.startup.example/"),
        ("cors_origins", ""),
    ];
    for (field, value) in changed {
        fields.retain(|(k, _)| k != field);
        fields.push((field, value));
    }
    fields
}

fn value_of(page: &Page, id: &str) -> Option<String> {
    page.between(&format!("id=\"{id}\" name=\"{id}\""), ">")
        .and_then(|tag| tag.split("value=\"").nth(1).map(str::to_owned))
        .and_then(|rest| rest.split('"').next().map(str::to_owned))
}

async fn owner_sets_advanced_settings(engine: Engine) {
    let app = spawn_app(engine).await;
    let owner = platform_user(&app, OWNER).await;
    let tenant = onboarded(&app, &owner, "startup", "Startup").await;
    let client = web_app(&owner).await;
    let edit = format!("{APPS}/{client}");
    let api = format!("/manage/v1/tenants/{tenant}/clients/{client}");

    // The page shows the saved values (the defaults) in its advanced section.
    let page = owner.get(&edit).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.contains("<details id=\"advanced\">"), "{}", page.body);
    assert_eq!(
        value_of(&page, "access_token_lifetime_secs").as_deref(),
        Some("900")
    );
    assert!(
        page.contains("<option value=\"ES256\" selected>ES256 (default)</option>"),
        "{}",
        page.body
    );

    // Each field, saved and seen through the management API (the idle
    // lifetime first: it may not exceed the absolute one).
    let resources = "https://api.startup.example\r\n urn:startup:billing \r\n\r\n";
    for (changed, field, expected) in [
        (
            vec![("access_token_lifetime_secs", "600")],
            "access_token_lifetime_secs",
            json!(600),
        ),
        (
            vec![("refresh_token_idle_secs", "3600")],
            "refresh_token_idle_secs",
            json!(3600),
        ),
        (
            vec![("refresh_token_lifetime_secs", "86400")],
            "refresh_token_lifetime_secs",
            json!(86_400),
        ),
        (
            vec![("refresh_token_reuse_interval_secs", "30")],
            "refresh_token_reuse_interval_secs",
            json!(30),
        ),
        (
            vec![("id_token_alg", "RS256")],
            "id_token_alg",
            json!("RS256"),
        ),
        (
            vec![("allowed_resources", resources)],
            "allowed_resources",
            json!(["https://api.startup.example", "urn:startup:billing"]),
        ),
    ] {
        let page = owner.post(&edit, &form(&changed)).await;
        assert_eq!(page.status, 303, "{field}: {}", page.body);
        assert_eq!(
            page.location.as_deref(),
            Some(&*format!("{edit}?done=saved"))
        );
        let c = app.admin_json(&api).await;
        assert_eq!(c[field], expected, "{field}: {c}");
    }
    let c = app.admin_json(&api).await;
    assert_eq!(
        (
            &c["access_token_lifetime_secs"],
            &c["refresh_token_lifetime_secs"],
            &c["refresh_token_reuse_interval_secs"]
        ),
        (&json!(600), &json!(86_400), &json!(30)),
        "each save kept the others: {c}"
    );
    let page = owner.get(&format!("{edit}?done=saved")).await;
    assert!(page.contains("Saved."), "{}", page.body);
    assert_eq!(
        value_of(&page, "refresh_token_idle_secs").as_deref(),
        Some("3600")
    );
    assert!(page.contains("<option value=\"RS256\" selected>RS256</option>"));
    // The tenant publishes an RS256 key for the app's ID tokens.
    let jwks: Value = app
        .client
        .get(app.url("/t/startup/jwks.json"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert!(
        jwks["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .any(|k| k["alg"] == "RS256"),
        "{jwks}"
    );

    // An admin may change them too; an empty list of resources is none.
    let admin = member(&app, &tenant, "admin@startup.example", "admin").await;
    admin.get(&edit).await;
    let page = admin
        .post(
            &edit,
            &form(&[("id_token_alg", "EdDSA"), ("allowed_resources", "")]),
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let c = app.admin_json(&api).await;
    assert_eq!(
        (&c["id_token_alg"], &c["allowed_resources"]),
        (&json!("EdDSA"), &json!([]))
    );

    // A refused value says which field and why, is shown as typed, and
    // changes nothing.
    let before = app.admin_json(&api).await;
    for (field, value, says) in [
        (
            "access_token_lifetime_secs",
            "59",
            "access_token_lifetime_secs must be between 60 and 86400",
        ),
        (
            "access_token_lifetime_secs",
            "86401",
            "access_token_lifetime_secs must be between 60 and 86400",
        ),
        (
            "access_token_lifetime_secs",
            "ten",
            "access_token_lifetime_secs must be between 60 and 86400",
        ),
        (
            "refresh_token_lifetime_secs",
            "31536001",
            "refresh_token_lifetime_secs must be between 300 and 31536000",
        ),
        (
            "refresh_token_idle_secs",
            "86401",
            "refresh_token_idle_secs must be between 300 and refresh_token_lifetime_secs (86400)",
        ),
        (
            "refresh_token_reuse_interval_secs",
            "61",
            "refresh_token_reuse_interval_secs must be between 0 and 60",
        ),
        (
            "refresh_token_reuse_interval_secs",
            "-1",
            "refresh_token_reuse_interval_secs must be between 0 and 60",
        ),
        (
            "id_token_alg",
            "HS256",
            "id_token_alg must be RS256, ES256 or EdDSA",
        ),
        (
            "id_token_alg",
            "none",
            "id_token_alg must be RS256, ES256 or EdDSA",
        ),
        (
            "allowed_resources",
            "https://api.startup.example\nnot a uri",
            "allowed_resources: `not a uri`",
        ),
        (
            "allowed_resources",
            "https://api.startup.example/#x",
            "allowed_resources: `https://api.startup.example/#x`",
        ),
    ] {
        let page = owner
            .post(
                &edit,
                &form(&[("access_token_lifetime_secs", "600"), (field, value)]),
            )
            .await;
        assert_eq!(page.status, 422, "{field}={value}: {}", page.body);
        assert!(
            page.contains(&format!("Not saved: {says}")),
            "{field}={value}: {}",
            page.body
        );
        assert!(
            page.contains("<details id=\"advanced\" open>"),
            "{}",
            page.body
        );
        if field.ends_with("_secs") {
            assert_eq!(
                value_of(&page, field).as_deref(),
                Some(value),
                "shown as typed"
            );
        }
        assert_eq!(app.admin_json(&api).await, before, "{field}={value}");
    }

    // A viewer sees the settings, has no form, and cannot send one.
    let viewer = member(&app, &tenant, "viewer@startup.example", "viewer").await;
    let page = viewer.get(&edit).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.contains("id=\"settings-read-only\""), "{}", page.body);
    assert!(!page.contains("id=\"settings\""), "{}", page.body);
    assert!(page.contains("<code>EdDSA</code>"), "{}", page.body);
    let page = viewer
        .post(
            &edit,
            &form(&[
                ("access_token_lifetime_secs", "120"),
                ("id_token_alg", "RS256"),
            ]),
        )
        .await;
    assert_eq!(page.status, 403, "{}", page.body);
    // Nor may the owner without the form's CSRF token.
    let page = owner
        .post_raw(&edit, &form(&[("access_token_lifetime_secs", "120")]))
        .await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert_eq!(app.admin_json(&api).await, before);
}

both_engines!(
    an_owner_sets_an_apps_lifetimes_algorithm_resources_and_reuse_interval,
    owner_sets_advanced_settings
);
