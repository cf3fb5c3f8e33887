//! The platform operators' report across tenants: `GET
//! /manage/v1/reports/operator` with each tenant's day, a churn risk, an
//! upgrade candidate and its plan-limit warning from billing (a fake on
//! loopback); bad dates refused; mailed once to `AUTH_OPERATOR_EMAILS` by
//! an instance running the daily report, with the AI analyst's summary
//! (from figures without tenant names) in the mail and the API.
use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::clock::ManualClock;
use service_kit::db::Engine;

use auth_server::domain::audit::{AuditEvent, AuditKind};
use auth_server::store::audit::AuditStore;

use crate::billing_fake::{entitlements_json, FakeBilling};
use crate::chat_fake::{answer, ChatFake};
use crate::helpers::{assert_problem, spawn_app_with_clock, TestApp};

const HOUR: i64 = 3600;
const DAY: i64 = 86_400;
/// 2030-01-10 00:00:00 UTC.
const D0: i64 = 1_894_233_600;
const OPERATOR: &str = "ops@platform.example";
const SUMMARY: &str = "FAKE-OPERATOR-SUMMARY: one tenant attacked, one may churn.";

async fn event(app: &TestApp, tenant: &str, kind: AuditKind, outcome: &str, user: &str, at: i64) {
    AuditStore::new(app.database.pool.clone())
        .insert(&AuditEvent::system(tenant, kind, outcome, "{}", at).about(Some(user)))
        .await
        .expect("event stored");
}

async fn report(app: &TestApp, query: &str) -> reqwest::Response {
    app.admin(Method::GET, &format!("/manage/v1/reports/operator{query}"))
        .send()
        .await
        .expect("sent")
}

fn line<'a>(report: &'a Value, slug: &str) -> &'a Value {
    report["tenants"]
        .as_array()
        .expect("tenants")
        .iter()
        .find(|t| t["slug"] == slug)
        .unwrap_or_else(|| panic!("no {slug} in {report}"))
}

async fn operators_report(engine: Engine) {
    let billing = FakeBilling::start().await;
    let chat = ChatFake::start(vec![answer(SUMMARY, 90)]).await;
    let clock = Arc::new(ManualClock::new(D0 + 5 * HOUR));
    let billing_env = [
        ("AUTH_BILLING_URL", billing.url.as_str()),
        ("AUTH_ENTITLEMENTS_TTL_SECS", "60"),
        ("AUTH_BILLING_REPORT_INTERVAL_SECS", "3600"),
    ];
    let app = spawn_app_with_clock(engine, &billing_env, clock.clone()).await;
    let acme = app.tenant("acme", json!({})).await.id.to_string();
    let beta = app.tenant("beta", json!({})).await.id.to_string();
    billing.set_entitlements(&acme, entitlements_json(&acme, "free", 900, 1000));
    billing.set_entitlements(&beta, entitlements_json(&beta, "starter", 100, 5000));
    // The day before D0: acme is attacked.
    let day = D0 - 10 * HOUR;
    event(&app, &acme, AuditKind::Login, "success", "a1", day).await;
    event(&app, &acme, AuditKind::Login, "failure", "a1", day + 1).await;
    event(&app, &acme, AuditKind::Login, "locked", "a1", day + 2).await;
    event(
        &app,
        &acme,
        AuditKind::Sentinel,
        "brute_force",
        "a1",
        day + 3,
    )
    .await;
    event(&app, &acme, AuditKind::Sentinel, "blocked", "a1", day + 4).await;
    event(&app, &acme, AuditKind::Sentinel, "alerted", "a1", day + 5).await;
    event(&app, &acme, AuditKind::Login, "failure", "a1", day - DAY).await;
    // beta: ten users 40 days ago, three in the last 30 days.
    for i in 0..10 {
        let user = format!("b{i}");
        let recent = (i < 3).then_some(day - 3 * DAY);
        for at in [day - 40 * DAY].into_iter().chain(recent) {
            event(&app, &beta, AuditKind::Login, "success", &user, at).await;
        }
    }

    let resp = report(&app, "?date=2030-01-09").await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["day"], "2030-01-09");
    assert_eq!(
        body["totals"],
        json!({"logins_succeeded": 1, "logins_failed": 2, "incidents": 1, "blocks": 1})
    );
    assert_eq!(body["churn_risks"], json!(["beta"]));
    assert_eq!(body["upgrade_candidates"], json!(["acme"]));
    assert!(body["summary"].is_null(), "not mailed yet: {body}");
    let a = line(&body, "acme");
    assert_eq!(a["day"]["logins_failed"], 2);
    assert_eq!(a["active_users_last_30_days"], 1);
    assert_eq!(a["plan"]["plan"], "free");
    assert_eq!(a["plan"]["mau_used"], 900);
    assert_eq!(a["plan"]["mau_limit"], 1000);
    assert_eq!(a["upgrade_candidate"], true);
    assert_eq!(a["mails"], json!(["plan_limit_approaching"]));
    let b = line(&body, "beta");
    assert_eq!(b["active_users_last_30_days"], 3);
    assert_eq!(b["active_users_previous_30_days"], 10);
    assert_eq!(b["churn_risk"], true);
    assert_eq!(b["upgrade_candidate"], false);
    assert_eq!(b["mails"], json!([]));
    assert!(
        body["tenants"]
            .as_array()
            .is_some_and(|t| t.iter().all(|t| t["slug"] != "platform")),
        "{body}"
    );
    // No date: yesterday's.
    let resp = report(&app, "").await;
    assert_eq!(resp.status(), 200);
    let yesterday: Value = resp.json().await.expect("json");
    assert_eq!(yesterday["day"], "2030-01-09");
    assert_eq!(yesterday["totals"], body["totals"]);

    for (query, status, code) in [
        ("?date=yesterday", 400, "bad-request"),
        ("?date=2030-02-30", 400, "bad-request"),
        ("?date=2029-11-01", 422, "invalid-input"),
        ("?date=2030-01-11", 422, "invalid-input"),
    ] {
        assert_problem(report(&app, query).await, status, code).await;
    }
    let anonymous = app
        .client
        .get(app.url("/manage/v1/reports/operator"))
        .send()
        .await
        .expect("sent");
    assert_eq!(anonymous.status(), 401);

    // An instance with the daily report on, the operators' addresses and
    // the analyst: at the hour it mails the report once.
    clock.set(D0 + 6 * HOUR + 30);
    let mut env = billing_env.to_vec();
    env.extend([
        ("AUTH_SENTINEL_DAILY_REPORT", "on"),
        ("AUTH_OPERATOR_EMAILS", OPERATOR),
        ("AUTH_AI_BASE_URL", chat.base_url.as_str()),
        ("AUTH_AI_MODEL", "test-model"),
        ("AUTH_AI_ALLOW_PRIVATE", "true"),
    ]);
    app.spawn_peer_with(clock.clone(), &env).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mail = loop {
        let mails: Vec<_> = app
            .smtp
            .messages()
            .into_iter()
            .filter(|m| m.is_for(OPERATOR))
            .collect();
        if let Some(mail) = mails.first() {
            break mail.clone();
        }
        assert!(tokio::time::Instant::now() < deadline, "no operator mail");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        mail.subject.as_deref(),
        Some("Rapport des opérateurs ConnectAuth du 2030-01-09")
    );
    let text = mail.text.clone().unwrap_or_default();
    assert!(text.contains(SUMMARY), "{text}");
    assert!(
        text.contains("Logins: 1 succeeded, 2 failed. Incidents: 1. Addresses blocked: 1."),
        "{text}"
    );
    assert!(text.contains("): beta."), "churn risks: {text}");
    assert!(text.contains("): acme."), "upgrade candidates: {text}");
    assert!(
        text.contains("; mails: plan_limit_approaching"),
        "no security report was mailed (no owner): {text}"
    );
    assert!(
        text.contains("- acme (Tenant acme): logins 1 ok / 2 failed, 1 incidents, 1 blocks"),
        "{text}"
    );
    let asked = chat.received();
    assert_eq!(
        asked.len(),
        1,
        "one summary: the tenants have no owner to mail"
    );
    for hidden in ["acme", "beta", &acme, &beta] {
        assert!(
            !asked[0].body.contains(hidden),
            "{hidden} sent: {}",
            asked[0].body
        );
    }
    assert!(
        asked[0].body.contains(r#"\"churn_risks\":1"#),
        "{}",
        asked[0].body
    );
    // The API shows the summary it was mailed with; a second instance at
    // the same hour mails nothing more.
    let body: Value = report(&app, "?date=2030-01-09")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(body["summary"], SUMMARY);
    app.spawn_peer_with(clock.clone(), &env).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let sent = app
        .smtp
        .messages()
        .into_iter()
        .filter(|m| m.is_for(OPERATOR))
        .count();
    assert_eq!(sent, 1, "mailed once");
}

both_engines!(
    the_operators_report_lists_each_tenants_day_health_and_mails,
    operators_report
);
