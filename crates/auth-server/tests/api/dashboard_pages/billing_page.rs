//! An owner's billing page: the plan, the usage, the plans on sale and the
//! invoices; a quota warning that names the plan that fits; billing not
//! configured, unreachable or failing, said plainly.
use serde_json::json;

use super::{acme_and_owner, spawn};
use crate::billing_fake::{entitlements_json, FakeBilling};

#[tokio::test]
async fn an_owner_sees_their_tenants_plan_usage_plans_and_invoices() {
    let fake = FakeBilling::start().await;
    let app = spawn(Some(&fake.url)).await;
    let (acme, web, _) = acme_and_owner(&app).await;
    app.tenant("beta", json!({})).await;

    let home = web.get("/dashboard").await;
    assert_eq!(home.status, 200, "{}", home.body);
    assert!(home.contains("Tenant acme") && home.contains("/dashboard/t/acme/billing"));
    assert!(!home.contains("Tenant beta"), "only the tenants they own");
    assert!(home.headers["content-security-policy"]
        .to_str()
        .unwrap_or_default()
        .contains("default-src"));
    assert!(!home.contains("<script"));

    let page = web.get("/dashboard/t/acme/billing").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.headers["cache-control"], "no-store");
    assert!(page.contains("<dd id=\"plan\">Free</dd>"), "{}", page.body);
    assert!(page.contains("<dd id=\"status\">active</dd>"));
    assert!(page.contains("12 of 1,000 (1 %)"), "{}", page.body);
    assert!(!page.contains("quota-warning"));
    assert!(page.contains("Subscribe to Starter") && page.contains("Subscribe to Pro"));
    assert!(!page.contains("Subscribe to Free") && !page.contains("Subscribe to Enterprise"));
    assert!(page.contains("On quote"));
    assert!(page.contains("href=\"https://invoice.stripe.test/i/in_1\""));
    assert!(page.contains("CA-0001"));
    assert!(page.contains("action=\"/dashboard/t/acme/billing/portal\""));
    let asked: Vec<String> = fake.owner_requests().into_iter().map(|r| r.path).collect();
    for path in ["subscription", "invoices"] {
        assert!(
            asked.contains(&format!("/v1/tenants/{}/{path}", acme.id)),
            "{asked:?}"
        );
    }

    // French.
    let fr = web.get("/dashboard/t/acme/billing?lang=fr").await;
    assert!(fr.contains("12 sur 1\u{202f}000 (1 %)"), "{}", fr.body);
    assert!(fr.contains("S'abonner à Pro") || fr.contains("S&#x27;abonner à Pro"));
}

#[tokio::test]
async fn the_quota_warning_names_the_plan_that_fits() {
    let fake = FakeBilling::start().await;
    let app = spawn(Some(&fake.url)).await;
    let (acme, web, _) = acme_and_owner(&app).await;
    let id = acme.id.to_string();

    fake.set_entitlements(&id, entitlements_json(&id, "free", 800, 1000));
    let page = web.get("/dashboard/t/acme/billing").await;
    assert_eq!(page.status, 200);
    let banner = page
        .between("id=\"quota-warning\">", "</p>")
        .expect("a warning banner");
    assert!(banner.contains("80 %"), "{banner}");
    assert!(
        banner.contains("Upgrade to the Starter plan (5,000 monthly active users)"),
        "{banner}"
    );
    assert!(!banner.contains("refused"));

    fake.set_entitlements(&id, entitlements_json(&id, "free", 1000, 1000));
    let page = web.get("/dashboard/t/acme/billing").await;
    let banner = page
        .between("id=\"quota-warning\">", "</p>")
        .expect("banner");
    assert!(banner.contains("reached its limit of 1,000"), "{banner}");

    fake.set_entitlements(&id, entitlements_json(&id, "free", 1200, 1000));
    let page = web.get("/dashboard/t/acme/billing").await;
    let banner = page
        .between("id=\"quota-warning\">", "</p>")
        .expect("banner");
    assert!(banner.contains("new signups are refused"), "{banner}");
    assert!(banner.contains("Starter plan"), "{banner}");
    let fr = web.get("/dashboard/t/acme/billing?lang=fr").await;
    let banner = fr.between("id=\"quota-warning\">", "</p>").expect("banner");
    assert!(
        banner.contains("nouvelles inscriptions sont refusées"),
        "{banner}"
    );
    assert!(banner.contains("Starter"), "{banner}");

    // A failed payment: the grace deadline.
    let mut e = entitlements_json(&id, "pro", 100, 20_000);
    e["grace_until"] = json!(1_796_083_200); // 2026-12-01
    fake.set_entitlements(&id, e);
    let page = web.get("/dashboard/t/acme/billing").await;
    let grace = page
        .between("id=\"grace-warning\">", "</p>")
        .expect("grace");
    assert!(grace.contains("2026-12-01"), "{grace}");
}

#[tokio::test]
async fn billing_without_stripe_or_unreachable_is_said_plainly() {
    let fake = FakeBilling::start().await;
    let app = spawn(Some(&fake.url)).await;
    let (_acme, web, _) = acme_and_owner(&app).await;

    fake.set_offline(true);
    let page = web.get("/dashboard/t/acme/billing").await;
    assert_eq!(page.status, 200);
    assert!(page.contains("id=\"not-configured\""), "{}", page.body);
    assert!(page.contains("Billing is not configured on this installation"));
    assert!(
        page.contains("Starter") && page.contains("Pro"),
        "plans visible"
    );
    assert!(
        !page.contains("/checkout\"") && !page.contains("/portal\""),
        "no buttons"
    );
    let refused = web
        .post("/dashboard/t/acme/billing/checkout", &[("plan", "pro")])
        .await;
    assert_eq!(refused.status, 409);
    assert!(refused.contains("Billing is not configured on this installation"));
    let refused = web.post("/dashboard/t/acme/billing/portal", &[]).await;
    assert_eq!(refused.status, 409);
    fake.set_offline(false);

    fake.fail(true);
    let page = web.get("/dashboard/t/acme/billing").await;
    assert_eq!(page.status, 503, "{}", page.body);
    assert!(page.contains("Billing is unavailable right now"));
    let post = web
        .post("/dashboard/t/acme/billing/checkout", &[("plan", "pro")])
        .await;
    assert_eq!(post.status, 503);
    fake.fail(false);

    fake.stop().await;
    let page = web.get("/dashboard/t/acme/billing").await;
    assert_eq!(page.status, 503, "{}", page.body);
    assert!(page.contains("Billing is unavailable right now"));
    assert!(page.headers.contains_key("retry-after"));
    let fr = web.get("/dashboard/t/acme/billing?lang=fr").await;
    assert!(
        fr.contains("La facturation est indisponible"),
        "{}",
        fr.body
    );
    assert_eq!(
        web.get("/dashboard").await.status,
        200,
        "the list needs no billing"
    );
}

#[tokio::test]
async fn without_billing_the_dashboard_says_so() {
    let app = spawn(None).await;
    let (_acme, web, _) = acme_and_owner(&app).await;
    let home = web.get("/dashboard").await;
    assert_eq!(home.status, 200);
    assert!(home.contains("Billing is not configured on this installation."));
    let page = web.get("/dashboard/t/acme/billing").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.contains("Billing is not configured on this installation."));
    let post = web
        .post("/dashboard/t/acme/billing/checkout", &[("plan", "pro")])
        .await;
    assert_eq!(post.status, 409);
}
