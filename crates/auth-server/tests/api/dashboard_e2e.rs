//! End to end with the real billing service, which trusts this auth server's
//! platform issuer: an owner opens their tenant's billing page and sees the
//! usage billing counted; billing accepts the owner token for that tenant
//! (and, running without Stripe, says plans cannot be bought online).
use std::sync::Arc;

use billing::domain::tenant::TenantId;
use serde_json::json;
use service_kit::clock::ManualClock;
use service_kit::db::Engine;

use crate::billing_e2e::unix_now;
use crate::billing_fake::billing_for;
use crate::billing_service::{free_port, spawn_billing};
use crate::dashboard_pages::{make_owner, platform_user};
use crate::helpers::{spawn_app_with, PASSWORD};

#[tokio::test]
async fn an_owner_sees_the_usage_billing_counted() {
    let engine = Engine::Sqlite;
    let port = free_port();
    let auth_url = format!("http://127.0.0.1:{port}");
    let (billing_url, _billing, _billing_db, _mail) = spawn_billing(engine, &auth_url).await;
    let bind = format!("127.0.0.1:{port}");
    let app = spawn_app_with(
        engine,
        &[
            ("AUTH_BIND", &bind),
            ("AUTH_PUBLIC_URL", &auth_url),
            ("AUTH_BILLING_URL", &billing_url),
            ("AUTH_BILLING_REPORT_INTERVAL_SECS", "3600"),
        ],
    )
    .await;
    let acme = app.tenant("acme", json!({})).await;
    // Two of acme's users log in; the auth server reports them to billing.
    for email in ["ana@example.com", "ben@example.com"] {
        let web = app.web();
        app.signup_verified(&web, "acme", email, PASSWORD).await;
        assert_eq!(app.login(&web, "acme", email, PASSWORD).await.status, 303);
    }
    let clock = Arc::new(ManualClock::new(unix_now() + 10));
    let link = billing_for(&app, &billing_url, clock);
    link.reporter
        .clone()
        .expect("billing is configured")
        .run_once()
        .await
        .expect("report");

    let owner = platform_user(&app, "founder@acme.example").await;
    make_owner(&app, &acme, "founder@acme.example").await;
    let page = owner.get("/dashboard/t/acme/billing").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.contains("<dd id=\"plan\">Free</dd>"), "{}", page.body);
    assert!(page.contains("2 of 1,000 (0 %)"), "{}", page.body);
    // Billing runs without Stripe here: plans are shown, not sold.
    assert!(page.contains("id=\"not-configured\""), "{}", page.body);
    assert!(page.contains("Starter") && page.contains("Enterprise"));
    let refused = owner
        .post("/dashboard/t/acme/billing/checkout", &[("plan", "pro")])
        .await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(refused.contains("Billing is not configured on this installation"));

    // A platform user who owns nothing never reaches billing for acme.
    let stranger = platform_user(&app, "stranger@example.com").await;
    assert_eq!(stranger.get("/dashboard/t/acme/billing").await.status, 404);
}

#[tokio::test]
async fn an_owner_sets_who_gets_the_billing_emails() {
    let engine = Engine::Sqlite;
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
        ],
    )
    .await;
    let acme = app.tenant("acme", json!({})).await;
    let tenant = TenantId::parse(&acme.id.to_string()).expect("uuid");
    let owner = platform_user(&app, "founder@acme.example").await;
    make_owner(&app, &acme, "founder@acme.example").await;

    let page = owner.get("/dashboard/t/acme/billing").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.contains("nobody yet"), "{}", page.body);
    assert_eq!(billing.owner_email(tenant).await.expect("account"), None);

    let saved = owner
        .post(
            "/dashboard/t/acme/billing/contact",
            &[("owner_email", " billing@acme.example ")],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(
        billing
            .owner_email(tenant)
            .await
            .expect("account")
            .as_deref(),
        Some("billing@acme.example")
    );
    // Read back through billing's `GET …/account` with the owner token.
    let page = owner.get("/dashboard/t/acme/billing?contact=saved").await;
    assert!(
        page.contains("Billing emails go to: billing@acme.example"),
        "{}",
        page.body
    );

    // An address billing refuses: a 422 page, the stored one unchanged.
    let refused = owner
        .post(
            "/dashboard/t/acme/billing/contact",
            &[("owner_email", "ana@@acme.example")],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.contains("id=\"form-error\""));
    assert_eq!(
        billing
            .owner_email(tenant)
            .await
            .expect("account")
            .as_deref(),
        Some("billing@acme.example")
    );
}
