//! Who gets in: a visitor without an owner's platform session is sent to
//! the platform login (which brings the owner back to the dashboard, and
//! nowhere else); a platform user who does not own the tenant gets the same
//! 404 as an unknown tenant; a removed owner is out at once. Billing is
//! never asked for them.
use reqwest::Method;
use serde_json::json;

use super::{acme_and_owner, platform_user, spawn, OWNER};
use crate::billing_fake::FakeBilling;
use crate::helpers::PASSWORD;

#[tokio::test]
async fn visitors_without_a_platform_session_are_sent_to_the_platform_login() {
    let fake = FakeBilling::start().await;
    let app = spawn(Some(&fake.url)).await;
    app.tenant("acme", json!({})).await;
    let web = app.web();
    let page = web.get("/dashboard").await;
    assert_eq!(page.status, 303);
    assert_eq!(
        page.location.as_deref(),
        Some("/t/platform/login?return_to=%2Fdashboard")
    );
    let page = web.get("/dashboard/t/acme/billing").await;
    assert_eq!(
        (page.status, page.location.as_deref()),
        (
            303,
            Some("/t/platform/login?return_to=%2Fdashboard%2Ft%2Facme%2Fbilling")
        )
    );

    // A user of acme itself (its own session cookie) is not logged in to the dashboard…
    let customer = app.web();
    app.signup_verified(&customer, "acme", "user@acme.example", PASSWORD)
        .await;
    app.login(&customer, "acme", "user@acme.example", PASSWORD)
        .await;
    let session = customer.cookie("ca_session_acme").expect("acme session");
    let page = customer.get("/dashboard").await;
    assert_eq!(page.status, 303);
    assert!(page
        .location
        .unwrap_or_default()
        .starts_with("/t/platform/login"));
    // …not even with that session planted under the platform's cookie name.
    customer.set_cookie("ca_session_platform", &session);
    let page = customer.get("/dashboard/t/acme/billing").await;
    assert_eq!(page.status, 303);
    assert!(page
        .location
        .unwrap_or_default()
        .starts_with("/t/platform/login"));
    assert!(fake.owner_requests().is_empty(), "billing never asked");

    // The login page brings the owner back to the dashboard, and nowhere else.
    let owner = app.web();
    app.signup_verified(&owner, "platform", OWNER, PASSWORD)
        .await;
    let form = owner
        .get("/t/platform/login?return_to=%2Fdashboard%2Ft%2Facme%2Fbilling")
        .await;
    assert!(
        form.contains("value=\"/dashboard/t/acme/billing\""),
        "{}",
        form.body
    );
    let done = owner
        .post(
            "/t/platform/login",
            &[
                ("email", OWNER),
                ("password", PASSWORD),
                ("return_to", "/dashboard/t/acme/billing"),
            ],
        )
        .await;
    assert_eq!(done.location.as_deref(), Some("/dashboard/t/acme/billing"));
    let elsewhere = app.web();
    app.login(&elsewhere, "platform", OWNER, PASSWORD).await;
    let done = elsewhere
        .post(
            "/t/platform/login",
            &[
                ("email", OWNER),
                ("password", PASSWORD),
                ("return_to", "//evil.example/dashboard"),
            ],
        )
        .await;
    assert_eq!(done.location.as_deref(), Some("/t/platform/account"));
    // Another tenant's login does not return to the dashboard.
    let done = customer
        .post(
            "/t/acme/login",
            &[
                ("email", "user@acme.example"),
                ("password", PASSWORD),
                ("return_to", "/dashboard"),
            ],
        )
        .await;
    assert_eq!(done.location.as_deref(), Some("/t/acme/account"));
}

#[tokio::test]
async fn a_platform_user_who_does_not_own_the_tenant_gets_a_404_and_billing_is_not_asked() {
    let fake = FakeBilling::start().await;
    let app = spawn(Some(&fake.url)).await;
    let (_acme, owner, _) = acme_and_owner(&app).await;
    app.tenant("beta", json!({})).await;
    let stranger = platform_user(&app, "stranger@example.com").await;

    let theirs = stranger.get("/dashboard/t/acme/billing").await;
    let unknown = stranger.get("/dashboard/t/nope/billing").await;
    let unowned = owner.get("/dashboard/t/beta/billing").await;
    assert_eq!(
        (theirs.status, unknown.status, unowned.status),
        (404, 404, 404)
    );
    assert_eq!(theirs.body, unknown.body, "not probeable");
    let checkout = stranger
        .post("/dashboard/t/acme/billing/checkout", &[("plan", "pro")])
        .await;
    let portal = stranger.post("/dashboard/t/acme/billing/portal", &[]).await;
    assert_eq!((checkout.status, portal.status), (404, 404));
    let home = stranger.get("/dashboard").await;
    assert_eq!(home.status, 200);
    assert!(!home.contains("Tenant acme"));
    assert!(home.contains("You do not own any tenant yet"));
    assert!(
        fake.owner_requests().is_empty(),
        "{:?}",
        fake.owner_requests()
    );
}

#[tokio::test]
async fn removing_an_owner_closes_the_dashboard_at_once() {
    let fake = FakeBilling::start().await;
    let app = spawn(Some(&fake.url)).await;
    let (acme, web, user_id) = acme_and_owner(&app).await;
    assert_eq!(web.get("/dashboard/t/acme/billing").await.status, 200);
    // A second owner, so the first may go.
    platform_user(&app, "cofounder@acme.example").await;
    let added = app
        .admin(
            Method::POST,
            &format!("/manage/v1/tenants/{}/owners", acme.id),
        )
        .json(&json!({ "email": "cofounder@acme.example" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(added.status(), 201);
    let removed = app
        .admin(
            Method::DELETE,
            &format!("/manage/v1/tenants/{}/owners/{user_id}", acme.id),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(removed.status(), 204);
    let asked = fake.owner_requests().len();
    assert_eq!(web.get("/dashboard/t/acme/billing").await.status, 404);
    let post = web
        .post("/dashboard/t/acme/billing/checkout", &[("plan", "pro")])
        .await;
    assert_eq!(post.status, 404);
    assert!(!web.get("/dashboard").await.contains("Tenant acme"));
    assert_eq!(fake.owner_requests().len(), asked);
}
