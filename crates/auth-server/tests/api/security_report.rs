//! `/dashboard/t/{slug}/security-report`: the sentinel's daily report of a
//! tenant, from real logins and sentinel events stored beside them; every
//! member reads it, nobody else; a day that is not one of the last 30 is a
//! 400 page.
use reqwest::Method;
use serde_json::json;
use service_kit::both_engines;
use service_kit::db::Engine;

use auth_server::domain::audit::{AuditEvent, AuditKind};
use auth_server::store::audit::AuditStore;

use crate::dashboard_pages::{onboarded, platform_user};
use crate::helpers::{spawn_app, TestApp, PASSWORD};

const OWNER: &str = "founder@startup.example";
const REPORT: &str = "/dashboard/t/startup/security-report";

/// The text of the element with `id` (up to its closing tag).
fn figure(body: &str, id: &str) -> String {
    let start = format!("id=\"{id}\">");
    body.split(&start)
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap_or_else(|| panic!("no #{id} in {body}"))
        .trim()
        .to_owned()
}

fn today() -> String {
    time::OffsetDateTime::now_utc().date().to_string()
}

/// A sentinel event of `tenant` stored now, as the sentinel writes it.
async fn sentinel_event(app: &TestApp, tenant: &str, outcome: &str, detail: serde_json::Value) {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    AuditStore::new(app.database.pool.clone())
        .insert(&AuditEvent::system(
            tenant,
            AuditKind::Sentinel,
            outcome,
            detail,
            now,
        ))
        .await
        .expect("event stored");
}

async fn report_of_today(engine: Engine) {
    let app = spawn_app(engine).await;
    let owner = platform_user(&app, OWNER).await;
    let tenant = onboarded(&app, &owner, "startup", "Startup").await;
    let end_user = app.web();
    for email in ["ann@startup.example", "ben@startup.example"] {
        app.signup_verified(&end_user, "startup", email, PASSWORD)
            .await;
        let login = app.login(&end_user, "startup", email, PASSWORD).await;
        assert_eq!(login.status, 303);
    }
    for _ in 0..3 {
        let failed = app
            .login(
                &end_user,
                "startup",
                "ann@startup.example",
                "wrong password!",
            )
            .await;
        assert_ne!(failed.status, 303);
    }
    sentinel_event(
        &app,
        &tenant,
        "brute_force",
        json!({"incident": "i1", "subject": "127.0.0.1"}),
    )
    .await;
    sentinel_event(
        &app,
        &tenant,
        "blocked",
        json!({"block": "b1", "network": "203.0.113.9/32", "detector": "brute_force"}),
    )
    .await;
    sentinel_event(
        &app,
        &tenant,
        "blocked",
        json!({"block": "b2", "network": "203.0.113.10/32", "by": "operator"}),
    )
    .await;
    sentinel_event(
        &app,
        &tenant,
        "refresh_reuse",
        json!({"incident": "i2", "grant_revoked": true, "sessions_ended": 2}),
    )
    .await;

    let page = owner.get(&format!("{REPORT}?day={}", today())).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(figure(&page.body, "report-day"), today());
    assert_eq!(figure(&page.body, "succeeded"), "2");
    assert_eq!(figure(&page.body, "failed"), "3");
    assert_eq!(figure(&page.body, "locked"), "0");
    assert_eq!(figure(&page.body, "failure-rate"), "60 %");
    assert_eq!(figure(&page.body, "blocks-sentinel"), "1");
    assert_eq!(figure(&page.body, "blocks-hand"), "1");
    assert_eq!(figure(&page.body, "sessions-ended"), "2");
    assert_eq!(figure(&page.body, "grants-revoked"), "1");
    assert_eq!(figure(&page.body, "secrets-replaced"), "0");
    assert_eq!(figure(&page.body, "mfa"), "0 / 2 (0 %)");
    assert!(
        page.contains("<code>brute_force</code> 1")
            && page.contains("<code>refresh_reuse</code> 1"),
        "{}",
        page.body
    );
    let addresses = page
        .body
        .split("id=\"top-addresses\"")
        .nth(1)
        .expect("addresses");
    assert!(
        addresses.contains("<code>127.0.0.1</code></td><td>3</td>"),
        "{addresses}"
    );
    let accounts = page
        .body
        .split("id=\"accounts-at-risk\"")
        .nth(1)
        .expect("accounts");
    assert!(
        accounts.contains("</code></a></td><td>3</td>"),
        "{accounts}"
    );
    assert!(
        accounts.contains("href=\"/dashboard/t/startup/users/"),
        "linked to the user's page: {accounts}"
    );
    // The chart: an SVG of 24 pairs of bars, no inline style.
    assert!(page.contains("<svg id=\"hourly-chart\""), "{}", page.body);
    assert_eq!(page.body.matches("class=\"bar-ok\"").count(), 24);
    assert_eq!(page.body.matches("class=\"bar-failed\"").count(), 24);
    assert!(!page.contains("style="), "no inline style under the CSP");

    // Yesterday by default: nothing happened then.
    let yesterday = owner.get(REPORT).await;
    assert_eq!(yesterday.status, 200, "{}", yesterday.body);
    assert_eq!(figure(&yesterday.body, "succeeded"), "0");
    assert_eq!(figure(&yesterday.body, "blocks-hand"), "0");
    assert!(yesterday.contains("id=\"report-day\""));

    // The console's list of tenants links to it.
    assert!(owner
        .get("/dashboard")
        .await
        .contains(&format!("href=\"{REPORT}\"")));
}

both_engines!(an_owner_reads_the_day_s_security_report, report_of_today);

async fn bad_days(engine: Engine) {
    let app = spawn_app(engine).await;
    let owner = platform_user(&app, OWNER).await;
    onboarded(&app, &owner, "startup", "Startup").await;
    let far = time::OffsetDateTime::now_utc().date() - time::Duration::days(31);
    let tomorrow = time::OffsetDateTime::now_utc().date() + time::Duration::days(1);
    for bad in [
        "yesterday".to_owned(),
        "05/12/2026".to_owned(),
        "2026-02-30".to_owned(),
        far.to_string(),
        tomorrow.to_string(),
        "%27%20OR%201=1".to_owned(),
    ] {
        let page = owner.get(&format!("{REPORT}?day={bad}")).await;
        assert_eq!(page.status, 400, "{bad}: {}", page.body);
        assert!(!page.contains("id=\"succeeded\""), "{bad}");
    }
    let oldest = time::OffsetDateTime::now_utc().date() - time::Duration::days(30);
    let page = owner.get(&format!("{REPORT}?day={oldest}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
}

both_engines!(a_day_outside_the_last_thirty_is_a_400_page, bad_days);

async fn who_reads_it(engine: Engine) {
    let app = spawn_app(engine).await;
    let owner = platform_user(&app, OWNER).await;
    let tenant = onboarded(&app, &owner, "startup", "Startup").await;
    let viewer = platform_user(&app, "viewer@startup.example").await;
    let added = app
        .admin(Method::POST, &format!("/manage/v1/tenants/{tenant}/owners"))
        .json(&json!({ "email": "viewer@startup.example", "role": "viewer" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(added.status(), 201);
    let page = viewer.get(REPORT).await;
    assert_eq!(page.status, 200, "a viewer reads it: {}", page.body);
    assert!(page.contains("id=\"hourly-chart\""));

    let stranger = platform_user(&app, "stranger@elsewhere.example").await;
    assert_eq!(stranger.get(REPORT).await.status, 404, "not a member");
    onboarded(&app, &stranger, "elsewhere", "Elsewhere").await;
    assert_eq!(stranger.get(REPORT).await.status, 404, "another tenant's");
    assert_eq!(
        owner
            .get("/dashboard/t/elsewhere/security-report")
            .await
            .status,
        404,
        "the other way round"
    );
    assert_eq!(
        stranger
            .get("/dashboard/t/elsewhere/security-report")
            .await
            .status,
        200
    );
    let anonymous = app.web().get(REPORT).await;
    assert_ne!(anonymous.status, 200, "a login first");
    assert!(!anonymous.contains("id=\"succeeded\""));
}

both_engines!(members_read_the_report_and_nobody_else, who_reads_it);
