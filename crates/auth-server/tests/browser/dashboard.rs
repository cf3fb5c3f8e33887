//! A tenant owner in the dashboard: logs in through the platform tenant,
//! reads the plan, usage and quota warning, sets the billing email (the real
//! billing service beside the server), and goes to checkout, a Stripe-shaped
//! page on another origin (a fake billing service answering its URL).
use std::sync::Arc;

use billing::domain::plan::PlanId;
use billing::domain::tenant::TenantId;
use billing::service::UsageEvent;
use headless_chrome::Tab;
use service_kit::db::Engine;

use crate::billing_fake::FakeBilling;
use crate::billing_service::{free_port, spawn_billing};
use crate::relying_party::RelyingParty;
use crate::support::{
    artifacts_dir, assert_png, assert_stylesheet_loaded, click, create_tenant, fill,
    launch_browser, open, open_at, screenshot, spawn_app, spawn_app_on_port, text_of,
    verification_link, wait_for_document, wait_for_text, wait_for_url_prefix, CspLog, PASSWORD,
    WAIT,
};

const OWNER_EMAIL: &str = "founder@acme.example";
const OWNER_NAME: &str = "Grace Hopper";
const CONTACT: &str = "billing@acme.example";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owner_dashboard_in_chromium() {
    let browser = launch_browser();
    // Billing trusts the auth server's platform issuer, so the auth server's
    // port is chosen first and billing started before it.
    let port = free_port();
    let auth_url = format!("http://127.0.0.1:{port}");
    let (billing_url, billing, _billing_db, _billing_mail) =
        spawn_billing(Engine::Sqlite, &auth_url).await;
    let bind = format!("127.0.0.1:{port}");
    let app = spawn_app(&[
        ("AUTH_BIND", &bind),
        ("AUTH_PUBLIC_URL", &auth_url),
        ("AUTH_BILLING_URL", &billing_url),
        ("AUTH_BILLING_REPORT_INTERVAL_SECS", "3600"),
    ])
    .await;
    let acme = create_tenant(&app, "acme", "Acme Corp").await;
    let tenant = TenantId::parse(&acme.id.to_string()).expect("tenant id");
    // A contract for ten users, nine of them seen this month: 90 %.
    billing
        .manual
        .set_plan(tenant, PlanId::Enterprise, Some(10))
        .await
        .expect("plan");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let events: Vec<UsageEvent> = (0..9)
        .map(|i| UsageEvent {
            tenant_id: acme.id.to_string(),
            user_id: format!("user-{i}"),
            at: now,
        })
        .collect();
    billing.record_usage(&events).await.expect("usage recorded");
    let dir = artifacts_dir();
    let url = |path: &str| format!("{}{path}", app.address);
    let billing_page = url("/dashboard/t/acme/billing");

    tokio::task::block_in_place(|| {
        let rt = tokio::runtime::Handle::current();
        let tab: Arc<Tab> = browser.new_tab().expect("new tab");
        tab.set_default_timeout(WAIT);
        let csp = CspLog::watch(&tab);

        // The owner-to-be signs up as a user of the platform tenant.
        open(&tab, &url("/t/platform/signup"), "Create your account");
        fill(&tab, "#email", OWNER_EMAIL);
        fill(&tab, "#display_name", OWNER_NAME);
        fill(&tab, "#password", PASSWORD);
        click(&tab, "button[type=submit]");
        wait_for_text(&tab, "Check your email");
        open(
            &tab,
            &verification_link(&app, OWNER_EMAIL),
            "Confirm my address",
        );
        click(&tab, "button[type=submit]");
        wait_for_text(&tab, "is confirmed");

        // An operator makes them an owner of acme.
        let added = rt
            .block_on(
                reqwest::Client::new()
                    .post(url(&format!("/manage/v1/tenants/{}/owners", acme.id)))
                    .bearer_auth(&app.admin_token)
                    .json(&serde_json::json!({ "email": OWNER_EMAIL }))
                    .send(),
            )
            .expect("owner request sent");
        assert_eq!(added.status(), 201, "adding the owner");

        // The dashboard sends a visitor to the platform login, which returns.
        open_at(
            &tab,
            &url("/dashboard"),
            &url("/t/platform/login?return_to=%2Fdashboard"),
            "Log in",
        );
        fill(&tab, "#email", OWNER_EMAIL);
        fill(&tab, "#password", PASSWORD);
        click(&tab, "button[type=submit]");
        wait_for_document(&tab, &url("/dashboard"));
        wait_for_text(&tab, "Your tenants");
        wait_for_text(&tab, "Acme Corp");
        assert_stylesheet_loaded(&tab);

        click(&tab, "a[href='/dashboard/t/acme/billing']");
        wait_for_document(&tab, &billing_page);
        wait_for_text(&tab, "Billing emails go to: nobody yet");
        assert_stylesheet_loaded(&tab);
        assert_eq!(text_of(&tab, "#plan"), "Enterprise");
        assert_eq!(text_of(&tab, "#usage"), "9 of 10 (90 %)");
        let warning = text_of(&tab, "#quota-warning.warning-approaching");
        assert!(
            warning
                .starts_with("Acme Corp has used 90 % of its 10 monthly active users this month."),
            "the quota warning: {warning:?}"
        );
        let form = "form[action='/dashboard/t/acme/billing/contact']";
        tab.wait_for_element(&format!("{form} #owner_email"))
            .unwrap_or_else(|e| panic!("no billing contact form: {e:#}"));
        screenshot(&tab, &dir.join("dashboard-billing.png"));

        // The owner names who gets the billing emails.
        fill(&tab, &format!("{form} #owner_email"), CONTACT);
        click(&tab, &format!("{form} button[type=submit]"));
        wait_for_document(&tab, &format!("{billing_page}?contact=saved"));
        wait_for_text(&tab, "Saved: billing emails now go to");
        assert_eq!(
            text_of(&tab, "#billing-contact"),
            format!("Billing emails go to: {CONTACT}")
        );
        let stored = rt
            .block_on(billing.owner_email(tenant))
            .expect("billing account");
        assert_eq!(stored.as_deref(), Some(CONTACT), "billing's owner email");
        csp.assert_none(&tab);
    });

    assert_png(&dir.join("dashboard-billing.png"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owner_checkout_goes_to_the_payment_page_on_another_origin() {
    let browser = launch_browser();
    let fake = FakeBilling::start().await;
    // The payment pages: a Stripe-shaped checkout page on another origin.
    let port = free_port();
    let stripe = RelyingParty::start(port, "http://127.0.0.1:9/unused", "unused").await;
    fake.set_payment_origin(&stripe.origin);
    let app = spawn_app_on_port(&[
        ("AUTH_BILLING_URL", &fake.url),
        ("AUTH_BILLING_REPORT_INTERVAL_SECS", "3600"),
        ("AUTH_PAYMENT_ORIGINS", &stripe.origin),
    ])
    .await;
    let acme = create_tenant(&app, "acme", "Acme Corp").await;
    app.signup_verified(&app.web(), "platform", OWNER_EMAIL, PASSWORD)
        .await;
    let added = reqwest::Client::new()
        .post(format!(
            "{}/manage/v1/tenants/{}/owners",
            app.address, acme.id
        ))
        .bearer_auth(&app.admin_token)
        .json(&serde_json::json!({ "email": OWNER_EMAIL }))
        .send()
        .await
        .expect("owner request sent");
    assert_eq!(added.status(), 201, "adding the owner");
    let billing_page = format!("{}/dashboard/t/acme/billing", app.address);

    tokio::task::block_in_place(|| {
        let tab: Arc<Tab> = browser.new_tab().expect("new tab");
        tab.set_default_timeout(WAIT);
        let csp = CspLog::watch(&tab);
        open_at(
            &tab,
            &billing_page,
            &format!(
                "{}/t/platform/login?return_to=%2Fdashboard%2Ft%2Facme%2Fbilling",
                app.address
            ),
            "Log in",
        );
        fill(&tab, "#email", OWNER_EMAIL);
        fill(&tab, "#password", PASSWORD);
        click(&tab, "button[type=submit]");
        wait_for_document(&tab, &billing_page);
        wait_for_text(&tab, "Acme Corp");
        click(&tab, "form[action$='/checkout'] input[value=pro] ~ button");
        wait_for_url_prefix(&tab, &format!("{}/c/pay/cs_test_1?plan=pro", stripe.origin));
        wait_for_text(&tab, "Stripe Checkout (test)");
        csp.assert_none(&tab);
    });
    stripe.stop().await;
}
