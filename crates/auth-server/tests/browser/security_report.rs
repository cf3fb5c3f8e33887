//! The security report page in a real browser: an owner opens the day's
//! report of their tenant and sees its chart of logins per hour, an inline
//! SVG styled by the stylesheet, with no Content-Security-Policy violation.
use reqwest::Method;
use serde_json::json;

use auth_server::domain::audit::{AuditEvent, AuditKind};
use auth_server::store::audit::AuditStore;

use crate::support::{
    artifacts_dir, assert_png, assert_stylesheet_loaded, click, fill, fresh_tab, launch_browser,
    open, open_at, screenshot, spawn_app_on_port, text_of, wait_for_document, wait_for_text,
    PASSWORD,
};

const OWNER: &str = "founder@report.example";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_sees_the_security_report_chart() {
    let browser = launch_browser();
    let app = spawn_app_on_port(&[]).await;
    let url = |path: &str| format!("{}{path}", app.address);
    let dir = artifacts_dir();
    let tenant = app.tenant("report-co", json!({})).await;
    app.signup_verified(&app.web(), "platform", OWNER, PASSWORD)
        .await;
    let resp = app
        .admin(
            Method::POST,
            &format!("/manage/v1/tenants/{}/owners", tenant.id),
        )
        .json(&json!({ "email": OWNER }))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 201);
    let now = time::OffsetDateTime::now_utc();
    let audit = AuditStore::new(app.database.pool.clone());
    for outcome in ["success", "failure", "failure"] {
        let event = AuditEvent {
            ip: "203.0.113.5".into(),
            ..AuditEvent::system(
                tenant.id,
                AuditKind::Login,
                outcome,
                "",
                now.unix_timestamp(),
            )
        };
        audit.insert(&event).await.expect("event stored");
    }
    let path = format!("/dashboard/t/report-co/security-report?day={}", now.date());
    let report = url(&path);

    tokio::task::block_in_place(|| {
        let (tab, csp) = fresh_tab(&browser);
        let yesterday = url("/dashboard/t/report-co/security-report");
        open_at(
            &tab,
            &yesterday,
            &url("/t/platform/login?return_to=%2Fdashboard%2Ft%2Freport-co%2Fsecurity-report"),
            "Log in",
        );
        fill(&tab, "#email", OWNER);
        fill(&tab, "#password", PASSWORD);
        click(&tab, "button[type=submit]");
        wait_for_document(&tab, &yesterday);
        open(&tab, &report, "Logins per hour");
        wait_for_text(&tab, "Logins per hour");
        assert_eq!(text_of(&tab, "#succeeded"), "1");
        assert_eq!(text_of(&tab, "#failed"), "2");
        let chart = tab.find_element("svg#hourly-chart").expect("the chart");
        let bars = chart
            .find_elements("rect.bar-failed")
            .expect("bars of failures");
        assert_eq!(bars.len(), 24);
        // The stylesheet colours the bars (no inline style is allowed).
        let fill = tab
            .evaluate(
                "getComputedStyle(document.querySelector('rect.bar-failed')).fill",
                false,
            )
            .expect("computed style")
            .value
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        assert_eq!(fill, "rgb(198, 40, 40)");
        assert_stylesheet_loaded(&tab);
        screenshot(&tab, &dir.join("console-security-report.png"));
        csp.assert_none(&tab);
    });
    assert_png(&dir.join("console-security-report.png"));
}
