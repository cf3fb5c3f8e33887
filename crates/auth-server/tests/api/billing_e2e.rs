//! The auth server and the real billing service together: logins are
//! metered once per user per month, and at the hard limit signups close
//! while existing users keep logging in.
use std::sync::Arc;
use std::time::Duration;

use billing::domain::plan::PlanId;
use billing::domain::tenant::TenantId;
use serde_json::json;
use service_kit::both_engines;
use service_kit::clock::ManualClock;
use service_kit::db::Engine;

use crate::billing_fake::billing_for;
use crate::billing_service::{free_port, spawn_billing};
use crate::helpers::{spawn_app_with, PASSWORD};

pub fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

async fn metered_logins_close_signups_at_the_hard_limit(engine: Engine) {
    let port = free_port();
    let auth_url = format!("http://127.0.0.1:{port}");
    let (billing_url, billing, _billing_db, _mail) = spawn_billing(engine, &auth_url).await;
    let bind = format!("127.0.0.1:{port}");
    let app = spawn_app_with(
        engine,
        &[
            ("AUTH_BIND", &bind),
            ("AUTH_PUBLIC_URL", &auth_url),
            ("AUTH_BILLING_URL", &billing_url),
            ("AUTH_BILLING_REPORT_INTERVAL_SECS", "3600"),
            ("AUTH_ENTITLEMENTS_TTL_SECS", "1"),
        ],
    )
    .await;
    let acme = app.tenant("acme", json!({})).await;
    let tenant = TenantId::parse(&acme.id.to_string()).expect("uuid");
    // A contract for two users: the hard limit (110 %) is two as well.
    billing
        .manual
        .set_plan(tenant, PlanId::Enterprise, Some(2))
        .await
        .expect("plan");

    let web = app.web();
    for email in ["ana@example.com", "ben@example.com"] {
        app.signup_verified(&web, "acme", email, PASSWORD).await;
    }
    for _ in 0..5 {
        let login = app
            .login(&app.web(), "acme", "ana@example.com", PASSWORD)
            .await;
        assert_eq!(login.status, 303, "{}", login.body);
    }
    let login = app
        .login(&app.web(), "acme", "ben@example.com", PASSWORD)
        .await;
    assert_eq!(login.status, 303);

    // The auth server reports (past the settle time) with a real service token.
    let clock = Arc::new(ManualClock::new(unix_now() + 10));
    let link = billing_for(&app, &billing_url, clock.clone());
    let reporter = link.reporter.clone().expect("billing is configured");
    reporter.run_once().await.expect("report");
    let e = billing.entitlements(tenant).await.expect("entitlements");
    assert_eq!(e.mau_used, 2, "six logins, two people");
    assert!(!e.signups_allowed);
    // A resend after a crash (the cursor put back) counts nobody twice.
    let fresh = billing_for(&app, &billing_url, clock.clone());
    fresh
        .reporter
        .clone()
        .expect("reporter")
        .run_once()
        .await
        .expect("report");
    assert_eq!(billing.entitlements(tenant).await.expect("e").mau_used, 2);

    // Past the auth server's entitlements cache: signups are closed…
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let newcomer = app.web();
    let page = newcomer.get("/t/acme/signup").await;
    assert_eq!(page.status, 403, "{}", page.body);
    let refused = newcomer
        .post(
            "/t/acme/signup",
            &[("email", "cleo@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(app.user_count(&acme).await, 2);
    // …while existing users keep logging in.
    let login = app
        .login(&app.web(), "acme", "ben@example.com", PASSWORD)
        .await;
    assert_eq!(
        (login.status, login.location.as_deref()),
        (303, Some("/t/acme/account"))
    );

    // A bigger contract opens them again.
    billing
        .manual
        .set_plan(tenant, PlanId::Enterprise, Some(100))
        .await
        .expect("plan");
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(app.web().get("/t/acme/signup").await.status, 200);
}
both_engines!(
    billing_end_to_end,
    metered_logins_close_signups_at_the_hard_limit
);
