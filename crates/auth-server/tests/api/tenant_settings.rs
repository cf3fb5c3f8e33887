//! A tenant's settings: typed, changed by merge patch (management API,
//! console), and honoured by the hosted pages — sign-up open or closed,
//! allowed email domains, the lockout threshold and session lifetimes. A
//! refused change (wrong type, out of bounds, unknown key) is a 422 and
//! leaves every setting as it was. Two patches at once both stay.
use std::sync::Arc;

use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::clock::{Clock, ManualClock, SharedClock, SystemClock};
use service_kit::db::Engine;

use crate::dashboard_pages::{onboarded, platform_user};
use crate::helpers::{assert_problem, spawn_app, spawn_app_with_clock, TestApp, PASSWORD};
use crate::web::Web;

async fn settings(app: &TestApp, id: &str) -> Value {
    app.admin_json(&format!("/manage/v1/tenants/{id}")).await["settings"].clone()
}

async fn patch(app: &TestApp, id: &str, body: &Value) -> reqwest::Response {
    app.admin(Method::PATCH, &format!("/manage/v1/tenants/{id}/settings"))
        .header("content-type", "application/merge-patch+json")
        .body(body.to_string())
        .send()
        .await
        .expect("sent")
}

async fn merge_patch_changes_only_what_it_names(engine: Engine) {
    let app = spawn_app(engine).await;
    let tenant = app
        .tenant("acme", json!({ "default_audience": "acme-api" }))
        .await;
    let id = tenant.id.to_string();

    let resp = patch(
        &app,
        &id,
        &json!({ "require_mfa": true, "lockout_threshold": 8 }),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let view: Value = resp.json().await.expect("json");
    let expected =
        json!({ "default_audience": "acme-api", "require_mfa": true, "lockout_threshold": 8 });
    assert_eq!(view["settings"], expected);
    assert_eq!(settings(&app, &id).await, expected);

    // `null` removes one setting; the others stay.
    let resp = patch(
        &app,
        &id,
        &json!({ "lockout_threshold": null, "signup_email_domains": ["Acme.example"] }),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        settings(&app, &id).await,
        json!({ "default_audience": "acme-api", "require_mfa": true, "signup_email_domains": ["acme.example"] })
    );

    // Refused, each with 422, and nothing changes.
    let before = settings(&app, &id).await;
    for bad in [
        json!({ "require_mfa": "true" }),
        json!({ "require_mfa": false, "lockout_threshold": 0 }),
        json!({ "session_idle_minutes": 1 }),
        json!({ "session_lifetime_hours": 100_000 }),
        json!({ "key_rotation_days": "7" }),
        json!({ "signup_open": 0 }),
        json!({ "signup_email_domains": ["not a domain"] }),
        json!({ "default_audience": "" }),
        json!({ "brand_color": "red" }),
        json!({ "logo_url": "javascript:alert(1)" }),
        json!({ "requre_mfa": true }),
        json!({ "sentinel_unfamiliar_login": "false" }),
        json!({ "sentinel_unfamiliar_login_step_up": 1 }),
        json!({ "sentinel_failure_surge_attempts": 1 }),
        json!({ "sentinel_failure_surge_attempts": "50" }),
    ] {
        let body = assert_problem(patch(&app, &id, &bad).await, 422, "invalid-input").await;
        assert!(
            body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{body}"
        );
        assert_eq!(settings(&app, &id).await, before, "{bad}");
    }
    // Not an object: a 400, nothing changes.
    for bad in ["[1]", "\"x\"", "{"] {
        let resp = app
            .admin(Method::PATCH, &format!("/manage/v1/tenants/{id}/settings"))
            .header("content-type", "application/json")
            .body(bad)
            .send()
            .await
            .expect("sent");
        assert_eq!(resp.status(), 400, "{bad}");
    }
    assert_eq!(settings(&app, &id).await, before);

    // Replacing the settings whole checks them the same way.
    let resp = app
        .admin(Method::PATCH, &format!("/manage/v1/tenants/{id}"))
        .json(&json!({ "settings": { "require_mfa": "yes" } }))
        .send()
        .await
        .expect("sent");
    assert_problem(resp, 422, "invalid-input").await;
    assert_eq!(settings(&app, &id).await, before);

    // Unknown tenant, no operator token.
    let unknown = uuid::Uuid::new_v4();
    assert_eq!(
        patch(&app, &unknown.to_string(), &json!({})).await.status(),
        404
    );
    let resp = app
        .client
        .patch(app.url(&format!("/manage/v1/tenants/{id}/settings")))
        .json(&json!({ "require_mfa": false }))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 401);
    assert_eq!(settings(&app, &id).await, before);
}

both_engines!(
    a_merge_patch_changes_only_the_settings_it_names,
    merge_patch_changes_only_what_it_names
);

async fn signup(web: &Web, email: &str) -> crate::web::Page {
    web.get("/t/acme/signup").await;
    web.post(
        "/t/acme/signup",
        &[
            ("email", email),
            ("password", PASSWORD),
            ("display_name", "A"),
        ],
    )
    .await
}

async fn signup_follows_the_settings(engine: Engine) {
    let app = spawn_app(engine).await;
    let tenant = app.tenant("acme", json!({})).await;
    let id = tenant.id.to_string();
    assert!(app
        .web()
        .get("/t/acme/login")
        .await
        .contains("/t/acme/signup"));

    // Closed: the page says so, a POST creates nobody, the login page
    // offers no sign-up link.
    assert_eq!(
        patch(&app, &id, &json!({ "signup_open": false }))
            .await
            .status(),
        200
    );
    let page = app.web().get("/t/acme/signup").await;
    assert_eq!(page.status, 403);
    assert!(page.contains("take sign-ups"), "{}", page.body);
    let web = app.web();
    web.get("/t/acme/login").await;
    let page = web
        .post(
            "/t/acme/signup",
            &[
                ("email", "ann@acme.example"),
                ("password", PASSWORD),
                ("display_name", "A"),
            ],
        )
        .await;
    assert_eq!(page.status, 403);
    assert_eq!(app.user_count(&tenant).await, 0);
    assert!(!app
        .web()
        .get("/t/acme/login")
        .await
        .contains("/t/acme/signup"));

    // Open, for two domains only.
    let resp = patch(
        &app,
        &id,
        &json!({ "signup_open": null, "signup_email_domains": ["acme.example", "acme.io"] }),
    )
    .await;
    assert_eq!(resp.status(), 200);
    for refused in [
        "eve@evil.example",
        "eve@acme.example.evil.example",
        "eve@notacme.io",
    ] {
        let page = signup(&app.web(), refused).await;
        assert_eq!(page.status, 422, "{refused}: {}", page.body);
        assert!(page.contains("certain organisations"), "{}", page.body);
    }
    assert_eq!(app.user_count(&tenant).await, 0);
    let page = signup(&app.web(), "Ann@ACME.example").await;
    assert_eq!(page.status, 200, "{}", page.body);
    app.mail_to("Ann@ACME.example").await;
    assert_eq!(app.user_count(&tenant).await, 1);
}

both_engines!(
    sign_up_opens_closes_and_keeps_to_the_allowed_domains,
    signup_follows_the_settings
);

async fn login_follows_the_settings(engine: Engine) {
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let app = spawn_app_with_clock(engine, &[], clock.clone() as SharedClock).await;
    let tenant = app
        .tenant(
            "acme",
            json!({ "lockout_threshold": 2, "session_idle_minutes": 5, "session_lifetime_hours": 1 }),
        )
        .await;
    let email = "dana@acme.example";
    app.signup_verified(&app.web(), "acme", email, PASSWORD)
        .await;

    // Idle for 5 minutes (not the server's 30): the session ends.
    let web = app.web();
    assert_eq!(app.login(&web, "acme", email, PASSWORD).await.status, 303);
    clock.advance(5 * 60 - 1);
    assert!(
        web.signed_in_at("acme").await,
        "a second before the tenant's idle time"
    );
    let web = app.web();
    assert_eq!(app.login(&web, "acme", email, PASSWORD).await.status, 303);
    clock.advance(5 * 60);
    assert!(!web.signed_in_at("acme").await, "the tenant's idle time");

    // Active every 4 minutes: the session still ends an hour after login
    // (not the server's 10).
    let web = app.web();
    assert_eq!(app.login(&web, "acme", email, PASSWORD).await.status, 303);
    for _ in 0..14 {
        clock.advance(240);
        assert!(web.signed_in_at("acme").await);
    }
    clock.advance(240);
    assert!(!web.signed_in_at("acme").await, "an hour after the login");

    // Two failures lock the account (not the server's five): the right
    // password is refused while the lock lasts.
    let web = app.web();
    for _ in 0..2 {
        assert_eq!(
            app.login(&web, "acme", email, "wrong password!")
                .await
                .status,
            401
        );
    }
    assert_eq!(app.login(&web, "acme", email, PASSWORD).await.status, 429);
    assert!(app
        .audit_kinds(&tenant)
        .await
        .contains(&("lockout".to_owned(), "locked".to_owned())));
}

both_engines!(
    logins_follow_the_tenant_lockout_and_session_lifetimes,
    login_follows_the_settings
);

const OWNER: &str = "founder@startup.example";
const SETTINGS: &str = "/dashboard/t/startup/settings";

const FORM: &[(&str, &str)] = &[
    ("signup_email_domains", "startup.example, startup.io"),
    ("require_mfa", "on"),
    ("lockout_threshold", "10"),
    ("session_idle_minutes", ""),
    ("session_lifetime_hours", "24"),
    ("default_audience", "startup-api"),
    ("key_rotation_days", "30"),
];

async fn owner_changes_settings(engine: Engine) {
    let app = spawn_app(engine).await;
    let web = platform_user(&app, OWNER).await;
    let id = onboarded(&app, &web, "startup", "Startup").await;
    assert!(web
        .get("/dashboard")
        .await
        .contains(&format!("href=\"{SETTINGS}\"")));

    let page = web.get(SETTINGS).await;
    assert_eq!(page.status, 200, "{}", page.body);
    // Empty fields show the server's defaults.
    assert!(page.contains("placeholder=\"5\""), "{}", page.body);
    assert!(
        page.contains("id=\"signup_open\" name=\"signup_open\" checked"),
        "{}",
        page.body
    );

    // `signup_open` is unticked (absent from the form).
    let page = web.post(SETTINGS, FORM).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let saved = json!({
        "signup_open": false,
        "signup_email_domains": ["startup.example", "startup.io"],
        "require_mfa": true,
        "lockout_threshold": 10,
        "session_lifetime_hours": 24,
        "default_audience": "startup-api",
        "key_rotation_days": 30,
    });
    assert_eq!(settings(&app, &id).await, saved);
    let page = web.get(&format!("{SETTINGS}?done=saved")).await;
    assert!(page.contains("Saved:"), "{}", page.body);
    assert!(
        page.contains("value=\"startup.example, startup.io\""),
        "{}",
        page.body
    );
    assert!(app.web().get("/t/startup/signup").await.status == 403);

    // Refused: shown again as typed, with the reason; nothing changes.
    for (field, typed) in [
        ("lockout_threshold", "ten"),
        ("lockout_threshold", "0"),
        ("session_idle_minutes", "2"),
        ("key_rotation_days", "400"),
        ("signup_email_domains", "startup example"),
        ("default_audience", "x".repeat(201).leak() as &str),
    ] {
        let mut form: Vec<(&str, &str)> =
            FORM.iter().filter(|(k, _)| *k != field).copied().collect();
        form.push((field, typed));
        let page = web.post(SETTINGS, &form).await;
        assert_eq!(page.status, 422, "{field}={typed}: {}", page.body);
        assert!(page.contains("Not saved:"), "{}", page.body);
        assert!(page.contains(&format!("{field}` must be")), "{}", page.body);
        assert_eq!(settings(&app, &id).await, saved, "{field}={typed}");
    }

    // Emptied fields go back to the defaults; ticked boxes stay on.
    let page = web
        .post(
            SETTINGS,
            &[
                ("signup_open", "on"),
                ("signup_email_domains", ""),
                ("lockout_threshold", ""),
                ("session_idle_minutes", ""),
                ("session_lifetime_hours", ""),
                ("default_audience", ""),
                ("key_rotation_days", ""),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(
        settings(&app, &id).await,
        json!({ "signup_open": true, "require_mfa": false })
    );
}

both_engines!(
    an_owner_changes_the_tenant_settings_from_the_console,
    owner_changes_settings
);

#[tokio::test]
async fn only_the_owner_changes_the_settings() {
    let app = spawn_app(Engine::Sqlite).await;
    let owner = platform_user(&app, OWNER).await;
    let id = onboarded(&app, &owner, "startup", "Startup").await;
    let before = settings(&app, &id).await;
    let stranger = platform_user(&app, "other@rival.example").await;
    stranger.get("/dashboard").await;
    assert_eq!(stranger.get(SETTINGS).await.status, 404);
    assert_eq!(stranger.post(SETTINGS, FORM).await.status, 404);
    assert_eq!(app.web().get(SETTINGS).await.status, 303);
    // No CSRF token: refused.
    assert_eq!(owner.post_raw(SETTINGS, FORM).await.status, 403);
    assert_eq!(settings(&app, &id).await, before);
}

/// Two merge patches of one tenant at the same moment, naming other keys:
/// the one that read the settings before the other wrote is applied again
/// to what the other wrote, so both keys stay.
async fn two_patches_at_once_both_stay(engine: Engine) {
    let app = spawn_app(engine).await;
    let tenant = app.tenant("acme", json!({})).await;
    let id = tenant.id.to_string();
    for round in 0..8_i64 {
        let threshold = json!({ "lockout_threshold": 3 + round });
        let domains = json!({ "signup_email_domains": [format!("d{round}.example")] });
        let (first, second) =
            tokio::join!(patch(&app, &id, &threshold), patch(&app, &id, &domains),);
        assert_eq!(first.status(), 200, "round {round}");
        assert_eq!(second.status(), 200, "round {round}");
        let stored = settings(&app, &id).await;
        assert_eq!(
            (
                &stored["lockout_threshold"],
                &stored["signup_email_domains"]
            ),
            (&json!(3 + round), &json!([format!("d{round}.example")])),
            "round {round}: a patch was lost: {stored}"
        );
    }
}
both_engines!(
    two_patches_at_once_both_stay_in_the_settings,
    two_patches_at_once_both_stay
);
