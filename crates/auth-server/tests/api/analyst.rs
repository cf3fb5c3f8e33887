//! The optional AI analyst against a fake chat-completions server on
//! loopback: the daily report's summary (request shape, figures only, no
//! email, mail and console page), a failing model (HTTP 500, malformed
//! answer, timeout) leaving every report whole and mailed, the monthly
//! token budget stopping calls across instances until the next month, and
//! incidents' triage notes (masked reason, no secret, one call across two
//! instances, shown in the console's events list; none when the call fails).
use std::sync::Arc;
use std::time::Duration;

use auth_server::analyst::{Analyst, AnalystSettings};
use auth_server::domain::analyst::mask::mask_email;
use auth_server::domain::audit::{AuditEvent, AuditKind};
use auth_server::domain::security_report::{MfaAdoption, ReportDay, SecurityReport, TrailEvent};
use auth_server::domain::webhook::endpoint::PrivateEndpoints;
use auth_server::sentinel::daily_report::{DailyReport, DailyReportSettings, Outcome, Run};
use auth_server::store::analyst_usage::AnalystUsageStore;
use auth_server::store::audit::AuditStore;
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::clock::{ManualClock, SystemClock};
use service_kit::db::Engine;
use service_kit::secret::Secret;
use service_kit::testing::smtp::ReceivedMail;

use crate::chat_fake::{answer, Behaviour, ChatFake};
use crate::dashboard_pages::{onboarded, platform_user};
use crate::helpers::{spawn_app_with, spawn_app_with_clock, TestApp};
use crate::oidc::create_client;

const KEY: &str = "sk-test-analyst-key-0123456789";
const MODEL: &str = "test-model";
const HOUR: i64 = 3600;
/// 2030-01-10 00:00:00 UTC.
const D0: i64 = 1_894_233_600;
const SUBJECT: &str = "Rapport de sécurité";
const SUMMARY: &str = "FAKE-SUMMARY: three failed logins, nothing blocked.";
const AI_LABEL: &str = "Summary written by an AI model";

fn settings(fake: &ChatFake, budget: u64, timeout_secs: u64) -> AnalystSettings {
    AnalystSettings {
        base_url: url::Url::parse(&fake.base_url).expect("url"),
        model: MODEL.into(),
        api_key: Some(Secret::new(KEY)),
        timeout: Duration::from_secs(timeout_secs),
        monthly_tokens: budget,
        private: PrivateEndpoints::Allowed,
    }
}

fn report_settings() -> DailyReportSettings {
    DailyReportSettings {
        enabled: true,
        hour: 6,
    }
}

async fn event(
    app: &TestApp,
    tenant: &str,
    kind: AuditKind,
    outcome: &str,
    detail: impl ToString,
    at: i64,
) {
    let event = AuditEvent {
        ip: "203.0.113.7".into(),
        user_agent: "test".into(),
        ..AuditEvent::system(tenant, kind, outcome, detail, at).about(Some("user-ann"))
    };
    AuditStore::new(app.database.pool.clone())
        .insert(&event)
        .await
        .expect("event stored");
}

/// A tenant `slug` owned by `owner`, with a success, three failures and a
/// brute-force incident the day before D0.
async fn busy_tenant(app: &TestApp, owner: &str, slug: &str) -> crate::web::Web {
    let web = platform_user(app, owner).await;
    let tenant = onboarded(app, &web, slug, "Startup").await;
    let day_before = D0 - 10 * HOUR;
    event(app, &tenant, AuditKind::Login, "success", "", day_before).await;
    for i in 1..=3 {
        event(
            app,
            &tenant,
            AuditKind::Login,
            "failure",
            "",
            day_before + i * 60,
        )
        .await;
    }
    event(
        app,
        &tenant,
        AuditKind::Sentinel,
        "brute_force",
        json!({"incident": "6f1f2b77-9a53-4a0e-6d1f-0c1f9d6c1f0a", "subject": "digest",
               "evidence": {"attempts": 3, "failures": 3, "accounts": 1, "addresses": 1, "window_secs": 600}}),
        day_before + 300,
    )
    .await;
    web
}

fn report_mails(app: &TestApp, to: &str) -> Vec<ReceivedMail> {
    app.smtp
        .messages()
        .into_iter()
        .filter(|m| m.is_for(to) && m.subject.as_deref().is_some_and(|s| s.contains(SUBJECT)))
        .collect()
}

async fn wait_for_report(app: &TestApp, to: &str) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(mail) = report_mails(app, to).first() {
            return mail.text.clone().unwrap_or_default();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no report mailed to {to}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn job(app: &TestApp, clock: &Arc<ManualClock>, analyst: Arc<Analyst>) -> DailyReport {
    let state = app.instance_state(clock.clone());
    DailyReport::new(
        &app.database,
        state.identity.clone(),
        clock.clone(),
        report_settings(),
    )
    .with_analyst(Some(analyst))
}

async fn report_summarised(engine: Engine) {
    let fake = ChatFake::start(vec![answer(SUMMARY, 120)]).await;
    // At the report hour from the start: the owners' console sessions
    // (idle timeout 30 min on this clock) stay valid.
    let clock = Arc::new(ManualClock::new(D0 + 6 * HOUR + 30));
    let app = spawn_app_with_clock(engine, &[], clock.clone()).await;
    let owner_email = "founder@startup.example";
    let owner = busy_tenant(&app, owner_email, "startup").await;
    let analyst = Arc::new(
        Analyst::new(
            &settings(&fake, 1_000_000, 5),
            app.database.pool.clone(),
            clock.clone(),
        )
        .expect("analyst"),
    );
    let daily = job(&app, &clock, analyst);
    assert_eq!(
        daily.run_if_due().await.expect("run"),
        Outcome::Done(Run {
            mailed: 1,
            skipped: 0
        })
    );

    let got = fake.received();
    assert_eq!(got.len(), 1, "one call for one tenant");
    let request = &got[0];
    assert_eq!(request.path, "/v1/chat/completions");
    assert_eq!(request.authorization, format!("Bearer {KEY}"));
    let body = request.json();
    assert_eq!(body["model"], MODEL);
    assert_eq!(body["messages"][0]["role"], "system");
    assert_eq!(body["messages"][1]["role"], "user");
    let asked = body["messages"][1]["content"].as_str().expect("content");
    assert!(asked.contains(r#""failed":3"#), "{asked}");
    assert!(asked.contains(r#""brute_force":1"#), "{asked}");
    for hidden in [
        "@startup.example",
        "founder",
        "user-ann",
        "203.0.113.7",
        "startup",
        "6f1f2b77",
        "digest",
    ] {
        assert!(
            !request.body.contains(hidden),
            "{hidden} sent: {}",
            request.body
        );
    }

    let text = wait_for_report(&app, owner_email).await;
    assert!(text.contains(AI_LABEL), "{text}");
    assert!(text.contains(SUMMARY), "{text}");
    assert!(
        text.contains("1 succeeded, 3 failed, 0 locked out (failure rate 75 %)"),
        "the figures are all there: {text}"
    );
    let page = owner
        .get("/dashboard/t/startup/security-report?day=2030-01-09")
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.contains(&format!("id=\"summary-text\">{SUMMARY}<")),
        "{}",
        page.body
    );
    // Another day has no summary.
    let page = owner
        .get("/dashboard/t/startup/security-report?day=2030-01-08")
        .await;
    assert!(!page.contains("id=\"summary\""), "{}", page.body);
}

both_engines!(
    the_daily_report_opens_with_the_analysts_summary_of_its_figures,
    report_summarised
);

async fn failures_leave_reports_whole(engine: Engine) {
    let fake = ChatFake::start(vec![
        Behaviour::Status(500),
        Behaviour::Malformed,
        Behaviour::Slow(Duration::from_secs(3)),
    ])
    .await;
    // At the report hour from the start: the owners' console sessions
    // (idle timeout 30 min on this clock) stay valid.
    let clock = Arc::new(ManualClock::new(D0 + 6 * HOUR + 30));
    let app = spawn_app_with_clock(engine, &[], clock.clone()).await;
    let owners = [
        ("founder@one.example", "one"),
        ("founder@two.example", "two"),
        ("founder@three.example", "three"),
    ];
    let mut pages = Vec::new();
    for (email, slug) in owners {
        pages.push(busy_tenant(&app, email, slug).await);
    }
    let analyst = Arc::new(
        Analyst::new(
            &settings(&fake, 1_000_000, 1),
            app.database.pool.clone(),
            clock.clone(),
        )
        .expect("analyst"),
    );
    let daily = job(&app, &clock, analyst);
    let started = std::time::Instant::now();
    assert_eq!(
        daily.run_if_due().await.expect("run"),
        Outcome::Done(Run {
            mailed: 3,
            skipped: 0
        })
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the slow answer was not waited for: {:?}",
        started.elapsed()
    );
    assert_eq!(fake.received().len(), 3, "one call per tenant, no retry");
    for (email, _) in owners {
        let text = wait_for_report(&app, email).await;
        assert!(!text.contains(AI_LABEL), "{text}");
        assert!(!text.contains("too late"), "{text}");
        assert!(
            text.contains("1 succeeded, 3 failed, 0 locked out (failure rate 75 %)"),
            "{text}"
        );
    }
    for (page, (_, slug)) in pages.iter().zip(owners) {
        let shown = page
            .get(&format!(
                "/dashboard/t/{slug}/security-report?day=2030-01-09"
            ))
            .await;
        assert_eq!(shown.status, 200);
        assert!(!shown.contains("id=\"summary\""), "{}", shown.body);
    }
    // Nothing the failed answers said counts against the budget.
    let spent = AnalystUsageStore::new(app.database.pool.clone())
        .spent("2030-01")
        .await
        .expect("usage");
    assert_eq!(spent, 0);
}

both_engines!(
    a_failing_analyst_leaves_every_report_whole_and_mailed,
    failures_leave_reports_whole
);

fn a_report() -> SecurityReport {
    let day = ReportDay::of(D0 - HOUR);
    let events = vec![TrailEvent {
        kind: "login".into(),
        outcome: "failure".into(),
        user_id: None,
        ip: "198.51.100.1".into(),
        detail: String::new(),
        created_at: D0 - HOUR,
    }];
    SecurityReport::compute(day, &events, MfaAdoption::default())
}

async fn budget_caps_calls(engine: Engine) {
    let fake = ChatFake::start(vec![answer("Within budget.", 150)]).await;
    let clock = Arc::new(ManualClock::new(D0 + 5 * HOUR));
    let app = spawn_app_with_clock(engine, &[], clock.clone()).await;
    let owner_email = "founder@startup.example";
    busy_tenant(&app, owner_email, "startup").await;
    let new_analyst = || {
        Arc::new(
            Analyst::new(
                &settings(&fake, 100, 5),
                app.database.pool.clone(),
                clock.clone(),
            )
            .expect("analyst"),
        )
    };
    let first = new_analyst();
    assert_eq!(
        first.report_summary(&a_report()).await.as_deref(),
        Some("Within budget.")
    );
    // 150 of 100 tokens spent: no further call this month, from this
    // instance, another one, or the daily report.
    assert_eq!(first.report_summary(&a_report()).await, None);
    assert_eq!(new_analyst().report_summary(&a_report()).await, None);
    let daily = job(&app, &clock, first.clone());
    clock.set(D0 + 6 * HOUR + 30);
    assert!(matches!(
        daily.run_if_due().await.expect("run"),
        Outcome::Done(Run { mailed: 1, .. })
    ));
    let text = wait_for_report(&app, owner_email).await;
    assert!(!text.contains(AI_LABEL), "{text}");
    assert!(text.contains("3 failed"), "{text}");
    assert_eq!(fake.received().len(), 1, "no request past the budget");
    let usage = AnalystUsageStore::new(app.database.pool.clone());
    assert_eq!(usage.spent("2030-01").await.expect("usage"), 150);
    assert!(
        !usage.mark_capped("2030-01", D0).await.expect("usage"),
        "the spent budget was already recorded (and logged) once"
    );
    // 2030-02-01: a new month, a new budget.
    clock.set(1_896_134_400 + HOUR);
    assert_eq!(
        new_analyst().report_summary(&a_report()).await.as_deref(),
        Some("Within budget.")
    );
    assert_eq!(fake.received().len(), 2);
}

both_engines!(
    the_monthly_budget_stops_calls_until_the_next_month,
    budget_caps_calls
);

async fn mark_compromised(app: &TestApp, tenant: &str, client: &str, reason: &str) -> String {
    let resp = app
        .admin(
            Method::POST,
            &format!("/manage/v1/tenants/{tenant}/clients/{client}/secret-compromised"),
        )
        .json(&json!({ "reason": reason }))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("json");
    body["client_secret"].as_str().expect("secret").to_owned()
}

async fn incidents_get_a_masked_triage_note(engine: Engine) {
    const NOTE: &str = "FAKE-TRIAGE: a leaked secret was replaced, check who read the ticket.";
    let fake = ChatFake::start(vec![answer(NOTE, 80), Behaviour::Status(500)]).await;
    let env = [
        ("AUTH_AI_BASE_URL", fake.base_url.as_str()),
        ("AUTH_AI_MODEL", MODEL),
        ("AUTH_AI_API_KEY", KEY),
        ("AUTH_AI_ALLOW_PRIVATE", "true"),
    ];
    let app = spawn_app_with(engine, &env).await;
    // A second instance runs the triage too: each note is asked for once.
    app.spawn_peer_with(Arc::new(SystemClock), &env).await;
    let owner = platform_user(&app, "founder@startup.example").await;
    let tenant = onboarded(&app, &owner, "startup", "Startup").await;
    let client = create_client(&app, &tenant, json!({})).await;
    let email = "jane.doe@example.com";
    let secret = mark_compromised(
        &app,
        &tenant,
        &client.id,
        &format!("pasted in ticket 4711 by {email}"),
    )
    .await;

    let got = fake.wait_for(1).await;
    assert_eq!(got.len(), 1, "the incident is triaged");
    let request = &got[0];
    assert_eq!(request.authorization, format!("Bearer {KEY}"));
    let body = request.json();
    assert_eq!(body["model"], MODEL);
    let asked = body["messages"][1]["content"].as_str().expect("content");
    assert!(asked.contains("client_secret_compromised"), "{asked}");
    assert!(asked.contains(&mask_email(email)), "{asked}");
    assert!(asked.contains(r#""grants_revoked":0"#), "{asked}");
    for hidden in [
        email,
        "jane.doe",
        secret.as_str(),
        client.id.as_str(),
        "operator",
    ] {
        assert!(
            !request.body.contains(hidden),
            "{hidden} sent: {}",
            request.body
        );
    }

    let events = "/dashboard/t/startup/events?kind=sentinel";
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let page = owner.get(events).await;
        assert_eq!(page.status, 200);
        if page.contains(NOTE) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no note shown: {}",
            page.body
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The second instance's rounds came and went: still one call.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(fake.received().len(), 1, "one call across two instances");

    // The model fails on the next incident: recorded and shown all the
    // same, without a note.
    mark_compromised(&app, &tenant, &client.id, "found in a public gist").await;
    assert_eq!(fake.wait_for(2).await.len(), 2);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let page = owner.get(events).await;
    assert_eq!(
        page.body.matches("client_secret_compromised").count(),
        2,
        "both incidents listed: {}",
        page.body
    );
    assert_eq!(page.body.matches("class=\"triage-note\"").count(), 1);
}

both_engines!(
    incidents_get_a_triage_note_from_masked_evidence_once,
    incidents_get_a_masked_triage_note
);
