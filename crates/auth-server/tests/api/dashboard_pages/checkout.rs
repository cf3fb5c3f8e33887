//! Checkout and the Customer Portal: both need the form's CSRF token and
//! send the owner to Stripe; a plan not sold online is explained; with a
//! live subscription the change is immediate.
use super::{acme_and_owner, spawn};
use crate::billing_fake::FakeBilling;

#[tokio::test]
async fn checkout_and_portal_need_the_csrf_token_and_send_the_owner_to_stripe() {
    let fake = FakeBilling::start().await;
    let app = spawn(Some(&fake.url)).await;
    let (acme, web, _) = acme_and_owner(&app).await;
    web.get("/dashboard/t/acme/billing").await;
    let before = fake.owner_requests().len();

    let forged = web
        .post_raw("/dashboard/t/acme/billing/checkout", &[("plan", "pro")])
        .await;
    assert_eq!(forged.status, 403);
    let wrong = web
        .post_raw(
            "/dashboard/t/acme/billing/checkout",
            &[("csrf", "x".repeat(43).as_str()), ("plan", "pro")],
        )
        .await;
    assert_eq!(wrong.status, 403);
    let forged_portal = web.post_raw("/dashboard/t/acme/billing/portal", &[]).await;
    assert_eq!(forged_portal.status, 403);
    assert_eq!(fake.owner_requests().len(), before, "billing not called");

    let go = web
        .post("/dashboard/t/acme/billing/checkout", &[("plan", "pro")])
        .await;
    assert_eq!(go.status, 303, "{}", go.body);
    assert_eq!(
        go.location.as_deref(),
        Some("https://checkout.stripe.test/c/pay/cs_test_1?plan=pro")
    );
    let sent = fake
        .owner_requests()
        .into_iter()
        .find(|r| r.path == format!("/v1/tenants/{}/checkout", acme.id))
        .expect("checkout asked");
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.body["plan"], "pro");
    let page = format!("{}/dashboard/t/acme/billing", app.address);
    assert_eq!(sent.body["success_url"], format!("{page}?checkout=success"));
    assert_eq!(
        sent.body["cancel_url"],
        format!("{page}?checkout=cancelled")
    );
    let back = web.get("/dashboard/t/acme/billing?checkout=success").await;
    assert!(back.contains("as soon as Stripe confirms"), "{}", back.body);

    let portal = web.post("/dashboard/t/acme/billing/portal", &[]).await;
    assert_eq!(
        (portal.status, portal.location.as_deref()),
        (303, Some("https://billing.stripe.test/p/session/bps_1"))
    );
    let sent = fake
        .owner_requests()
        .into_iter()
        .find(|r| r.path == format!("/v1/tenants/{}/portal", acme.id))
        .expect("portal asked");
    assert_eq!(sent.body["return_url"], page);

    // A plan billing does not sell online is explained, not a 500.
    let refused = web
        .post(
            "/dashboard/t/acme/billing/checkout",
            &[("plan", "enterprise")],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.contains("cannot be bought online"));
    let junk = web
        .post(
            "/dashboard/t/acme/billing/checkout",
            &[("plan", "<b>x</b>")],
        )
        .await;
    assert_eq!(junk.status, 422);

    // With a live subscription the change is immediate: back to the page with a notice.
    fake.set_subscribed(&acme.id.to_string());
    let page = web.get("/dashboard/t/acme/billing").await;
    assert!(page.contains("Switch to Pro"), "{}", page.body);
    let changed = web
        .post("/dashboard/t/acme/billing/checkout", &[("plan", "pro")])
        .await;
    assert_eq!(
        (changed.status, changed.location.as_deref()),
        (303, Some("/dashboard/t/acme/billing?changed=pro"))
    );
    let notice = web.get("/dashboard/t/acme/billing?changed=pro").await;
    assert!(notice.contains("Your plan is now Pro"), "{}", notice.body);
    let bogus = web
        .get("/dashboard/t/acme/billing?changed=%3Cscript%3E")
        .await;
    assert!(!bogus.contains("Your plan is now"));
}
