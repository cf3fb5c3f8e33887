//! The daily security report mailed to a tenant's owners: from the report
//! hour, once per tenant and day however many instances run the job and
//! however often; to owners only (not viewers); never for a quiet tenant or
//! a quiet day; never by an instance where it is off. Events are stored
//! through the audit store on a day the clock then leaves.
use std::sync::Arc;
use std::time::Duration;

use auth_server::domain::audit::{AuditEvent, AuditKind};
use auth_server::domain::security_report::ReportDay;
use auth_server::domain::tenant::TenantId;
use auth_server::sentinel::daily_report::{DailyReport, DailyReportSettings, Outcome, Run};
use auth_server::store::audit::AuditStore;
use auth_server::store::security_report::SecurityReportStore;
use reqwest::Method;
use serde_json::json;
use service_kit::both_engines;
use service_kit::clock::ManualClock;
use service_kit::db::Engine;
use service_kit::testing::smtp::ReceivedMail;

use crate::dashboard_pages::{onboarded, platform_user};
use crate::helpers::{spawn_app_with_clock, TestApp};

const OWNER: &str = "founder@startup.example";
const CO_OWNER: &str = "cofounder@startup.example";
const VIEWER: &str = "viewer@startup.example";
const QUIET_OWNER: &str = "founder@quiet.example";
const HOUR: i64 = 3600;
/// 2030-01-10 00:00:00 UTC: far from the wall clock the pages run on.
const D0: i64 = 1_894_233_600;
const SUBJECT: &str = "Rapport de sécurité";

fn settings() -> DailyReportSettings {
    DailyReportSettings {
        enabled: true,
        hour: 6,
    }
}

/// The report mails `to` received so far.
fn report_mails(app: &TestApp, to: &str) -> Vec<ReceivedMail> {
    app.smtp
        .messages()
        .into_iter()
        .filter(|m| m.is_for(to) && m.subject.as_deref().is_some_and(|s| s.contains(SUBJECT)))
        .collect()
}

/// Waits (10 s at most) until `to` has received `n` report mails.
async fn wait_for_reports(app: &TestApp, to: &str, n: usize) -> Vec<ReceivedMail> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let mails = report_mails(app, to);
        if mails.len() >= n || tokio::time::Instant::now() >= deadline {
            return mails;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn login(app: &TestApp, tenant: &str, outcome: &str, user: Option<&str>, at: i64) {
    let event = AuditEvent {
        ip: "203.0.113.7".into(),
        user_agent: "test".into(),
        ..AuditEvent::system(tenant, AuditKind::Login, outcome, "", at).about(user)
    };
    AuditStore::new(app.database.pool.clone())
        .insert(&event)
        .await
        .expect("event stored");
}

async fn add_member(app: &TestApp, tenant: &str, email: &str, role: &str) {
    platform_user(app, email).await;
    let added = app
        .admin(Method::POST, &format!("/manage/v1/tenants/{tenant}/owners"))
        .json(&json!({ "email": email, "role": role }))
        .send()
        .await
        .expect("sent");
    assert_eq!(added.status(), 201);
}

/// startup (two owners and a viewer) with logins the day before D0; quiet,
/// with its owner and no event.
async fn scene(engine: Engine) -> (TestApp, Arc<ManualClock>, String) {
    let clock = Arc::new(ManualClock::new(D0 + 5 * HOUR));
    let app = spawn_app_with_clock(engine, &[], clock.clone()).await;
    let owner = platform_user(&app, OWNER).await;
    let tenant = onboarded(&app, &owner, "startup", "Startup").await;
    add_member(&app, &tenant, CO_OWNER, "owner").await;
    add_member(&app, &tenant, VIEWER, "viewer").await;
    let quiet = platform_user(&app, QUIET_OWNER).await;
    onboarded(&app, &quiet, "quiet", "Quiet").await;
    let day_before = D0 - 10 * HOUR;
    login(&app, &tenant, "success", Some("user-ann"), day_before).await;
    login(&app, &tenant, "failure", Some("user-ann"), day_before + 60).await;
    login(&app, &tenant, "failure", Some("user-ann"), day_before + 120).await;
    login(&app, &tenant, "failure", None, day_before + 180).await;
    (app, clock, tenant)
}

async fn mailed_once_to_owners(engine: Engine) {
    let (app, clock, tenant) = scene(engine).await;
    // Two instances, each with its own state and lease holder.
    let first = app.instance_state(clock.clone());
    let second = app.instance_state(clock.clone());
    let a = DailyReport::new(
        &app.database,
        first.identity.clone(),
        clock.clone(),
        settings(),
    );
    let b = DailyReport::new(
        &app.database,
        second.identity.clone(),
        clock.clone(),
        settings(),
    );

    // Before 06:00 UTC nothing is due.
    assert_eq!(a.run_if_due().await.expect("run"), Outcome::Skipped);
    clock.set(D0 + 6 * HOUR + 30);
    assert_eq!(
        a.run_if_due().await.expect("run"),
        Outcome::Done(Run {
            mailed: 1,
            skipped: 0
        })
    );
    // Run again, on both instances: done for today.
    assert_eq!(b.run_if_due().await.expect("run"), Outcome::Skipped);
    assert_eq!(a.run_if_due().await.expect("run"), Outcome::Skipped);
    clock.advance(HOUR);
    assert_eq!(b.run_if_due().await.expect("run"), Outcome::Skipped);

    for owner in [OWNER, CO_OWNER] {
        let mails = wait_for_reports(&app, owner, 1).await;
        assert_eq!(mails.len(), 1, "one report to {owner}");
        let text = mails[0].text.as_deref().unwrap_or_default();
        assert!(text.contains("2030-01-09"), "{text}");
        assert!(
            text.contains("1 succeeded, 3 failed, 0 locked out (failure rate 75 %)"),
            "{text}"
        );
        assert!(text.contains("203.0.113.7 (3)"), "{text}");
        assert!(text.contains("user-ann (2)"), "accounts by user id: {text}");
        assert!(
            !text.contains("@startup.example"),
            "no email address: {text}"
        );
        assert!(
            text.contains("/dashboard/t/startup/security-report?day=2030-01-09"),
            "{text}"
        );
    }
    assert!(report_mails(&app, VIEWER).is_empty(), "owners only");
    assert!(report_mails(&app, QUIET_OWNER).is_empty(), "a quiet tenant");
    // The day is recorded as mailed: a restarted instance would not mail it.
    let tenant_id = TenantId::parse(&tenant).expect("tenant id");
    let day = ReportDay::of(D0 - HOUR);
    let store = SecurityReportStore::new(app.database.pool.clone());
    assert!(!store.claim_mail(tenant_id, day, D0).await.expect("claim"));

    // The next day: due again, but startup was quiet on D0 (only the
    // platform tenant, which has no owner, saw logins): no mail.
    clock.set(D0 + 24 * HOUR + 6 * HOUR + 1);
    let next = b.run_if_due().await.expect("run");
    assert!(
        matches!(next, Outcome::Done(Run { mailed: 0, .. })),
        "{next:?}"
    );
    assert_eq!(report_mails(&app, OWNER).len(), 1);
}

both_engines!(
    the_daily_report_is_mailed_once_to_the_owners,
    mailed_once_to_owners
);

async fn off_means_no_mail(engine: Engine) {
    let (app, clock, _) = scene(engine).await;
    clock.set(D0 + 7 * HOUR);
    // An instance where the report is off: due, it does nothing (where it
    // is on, the job runs at start: 2 s is ample)...
    app.spawn_peer_with(clock.clone(), &[("AUTH_SENTINEL_DAILY_REPORT", "off")])
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(report_mails(&app, OWNER).is_empty());
    // ...so the job is still due when an instance where it is on starts,
    // and that one mails the report.
    app.spawn_peer_with(clock.clone(), &[("AUTH_SENTINEL_DAILY_REPORT", "on")])
        .await;
    let mails = wait_for_reports(&app, OWNER, 1).await;
    assert_eq!(mails.len(), 1, "the server's own job mails it");
}

both_engines!(
    an_instance_with_the_report_off_mails_nothing,
    off_means_no_mail
);
