//! `/dashboard`: the tenant owners' pages. Only an owner's platform session
//! opens a tenant's billing; everyone else is sent to the platform login or
//! gets the same 404 as an unknown tenant, and billing is never asked for
//! them. The owner token sent to billing is a platform token for that one
//! tenant and `billing:manage` only.
use auth_server::domain::tenant::Tenant;
use connectauth_verify::{Verifier, VerifierConfig};
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::db::Engine;

use crate::billing_fake::{entitlements_json, FakeBilling, REFUSED_DOMAIN};
use crate::helpers::{spawn_app_on_known_port_with, TestApp, PASSWORD};
use crate::oidc::{claims, header};
use crate::web::Web;

const OWNER: &str = "founder@acme.example";

/// The server on a known port (its issuer URL is real), calling `billing`.
async fn spawn(billing: Option<&str>) -> TestApp {
    let mut env = vec![
        ("AUTH_BILLING_REPORT_INTERVAL_SECS", "3600"),
        // The fake's Checkout and Customer Portal pages.
        (
            "AUTH_PAYMENT_ORIGINS",
            "https://checkout.stripe.test,https://billing.stripe.test",
        ),
    ];
    if let Some(billing) = billing {
        env.push(("AUTH_BILLING_URL", billing));
    }
    spawn_app_on_known_port_with(Engine::Sqlite, &env).await
}

/// A tenant `slug` named `name`, made at onboarding by `web`'s user with a
/// machine-to-machine first app; its id.
pub async fn onboarded(app: &TestApp, web: &Web, slug: &str, name: &str) -> String {
    web.get("/dashboard/new").await;
    let page = web
        .post(
            "/dashboard/new",
            &[("display_name", name), ("slug", slug), ("app", "m2m")],
        )
        .await;
    assert_eq!(page.status, 201, "{}", page.body);
    let tenant = app
        .admin_json(&format!("/manage/v1/tenants/by-slug/{slug}"))
        .await;
    tenant["id"].as_str().expect("id").to_owned()
}

/// A platform user with `email`, logged in on `web`.
pub async fn platform_user(app: &TestApp, email: &str) -> Web {
    let web = app.web();
    app.signup_verified(&web, "platform", email, PASSWORD).await;
    let login = app.login(&web, "platform", email, PASSWORD).await;
    assert_eq!(login.status, 303, "{}", login.body);
    web
}

/// Makes the platform user `email` an owner of `tenant`; their user id.
pub async fn make_owner(app: &TestApp, tenant: &Tenant, email: &str) -> String {
    let resp = app
        .admin(
            Method::POST,
            &format!("/manage/v1/tenants/{}/owners", tenant.id),
        )
        .json(&json!({ "email": email }))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 201);
    let owner: Value = resp.json().await.expect("json");
    owner["user_id"].as_str().expect("user_id").to_owned()
}

/// acme, and its owner logged in to the platform.
async fn acme_and_owner(app: &TestApp) -> (Tenant, Web, String) {
    let acme = app.tenant("acme", json!({})).await;
    let web = platform_user(app, OWNER).await;
    let user_id = make_owner(app, &acme, OWNER).await;
    (acme, web, user_id)
}

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
async fn the_owner_token_is_a_platform_token_for_one_tenant_and_billing_manage_only() {
    let fake = FakeBilling::start().await;
    let app = spawn(Some(&fake.url)).await;
    let (acme, web, user_id) = acme_and_owner(&app).await;
    assert_eq!(web.get("/dashboard/t/acme/billing").await.status, 200);
    let requests = fake.owner_requests();
    let request = requests
        .iter()
        .find(|r| r.path == format!("/v1/tenants/{}/subscription", acme.id))
        .expect("subscription asked");
    let bearer = request.bearer.clone().expect("a bearer token");
    assert!(
        requests
            .iter()
            .filter(|r| r.path.starts_with("/v1/tenants/"))
            .all(|r| r.bearer.as_deref() == Some(bearer.as_str())),
        "one owner token per page"
    );

    let issuer = format!("{}/t/platform", app.address);
    let verifier = Verifier::new(VerifierConfig {
        issuer: issuer.clone(),
        audience: "connectauth-billing".into(),
        required_scopes: vec!["billing:manage".into()],
        ..VerifierConfig::default()
    })
    .await
    .expect("discovery of the platform tenant");
    let checked = verifier
        .verify(&bearer)
        .await
        .expect("the owner token verifies");
    assert_eq!(checked.sub.as_deref(), Some(user_id.as_str()));
    assert_eq!(checked.client_id.as_deref(), Some("connectauth-dashboard"));

    let (h, c) = (header(&bearer), claims(&bearer));
    assert_eq!(
        (h["typ"].as_str(), h["alg"].as_str()),
        (Some("at+jwt"), Some("ES256"))
    );
    assert_eq!(
        c["scope"], "billing:manage",
        "billing:manage and nothing else"
    );
    assert_eq!(c["billing_tenant"], acme.id.to_string());
    assert_eq!(c["aud"], "connectauth-billing");
    assert_eq!(c["iss"], issuer);
    let platform = auth_server::store::tenants::TenantStore::new(app.database.pool.clone())
        .get_by_slug("platform")
        .await
        .expect("platform");
    assert_eq!(c["tid"], platform.id.to_string());
    assert_eq!(
        c["exp"].as_i64().zip(c["iat"].as_i64()).map(|(e, i)| e - i),
        Some(300)
    );
    assert_eq!(c["nbf"], c["iat"]);
    assert!(c["jti"].is_string());

    // acme's own issuer refuses it.
    let acme_verifier = Verifier::new(VerifierConfig {
        issuer: format!("{}/t/acme", app.address),
        audience: "connectauth-billing".into(),
        ..VerifierConfig::default()
    })
    .await
    .expect("discovery of acme");
    assert!(acme_verifier.verify(&bearer).await.is_err());
    // The catalogue is public: no token goes with it.
    let plans = requests
        .iter()
        .find(|r| r.path == "/v1/plans")
        .expect("plans");
    assert!(plans.bearer.is_none());
}

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

#[tokio::test]
async fn the_billing_page_says_who_gets_billing_emails() {
    let fake = FakeBilling::start().await;
    let app = spawn(Some(&fake.url)).await;
    let (acme, web, _) = acme_and_owner(&app).await;
    let id = acme.id.to_string();

    // Nobody yet: the field offers the owner's own platform address.
    let page = web.get("/dashboard/t/acme/billing").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let said = page
        .between("id=\"billing-contact\">", "</p>")
        .expect("who gets the emails");
    assert!(
        said.contains("nobody yet — set an address to get quota and payment emails"),
        "{said}"
    );
    assert!(page.contains("action=\"/dashboard/t/acme/billing/contact\""));
    let field = page
        .between("name=\"owner_email\"", ">")
        .expect("the email field");
    assert!(field.contains(&format!("value=\"{OWNER}\"")), "{field}");
    assert!(!page.contains("<script"), "no inline script");
    assert!(fake
        .owner_requests()
        .iter()
        .any(|r| r.method == "GET" && r.path == format!("/v1/tenants/{id}/account")));

    // An address on file: shown, and in the field.
    fake.set_owner_email(&id, "billing@acme.example");
    let page = web.get("/dashboard/t/acme/billing").await;
    let said = page
        .between("id=\"billing-contact\">", "</p>")
        .expect("said");
    assert_eq!(said, "Billing emails go to: billing@acme.example");
    assert!(
        page.contains("value=\"billing@acme.example\""),
        "{}",
        page.body
    );
    assert!(!page.contains(&format!("value=\"{OWNER}\"")));
    let fr = web.get("/dashboard/t/acme/billing?lang=fr").await;
    let said = fr.between("id=\"billing-contact\">", "</p>").expect("said");
    assert!(
        said.contains("Les e-mails de facturation sont envoyés à")
            && said.contains("billing@acme.example"),
        "{said}"
    );
}

#[tokio::test]
async fn an_owner_sets_the_billing_email_address() {
    let fake = FakeBilling::start().await;
    let app = spawn(Some(&fake.url)).await;
    let (acme, web, user_id) = acme_and_owner(&app).await;
    let id = acme.id.to_string();
    web.get("/dashboard/t/acme/billing").await;

    // Without the CSRF token (or with a wrong one): 403, billing not asked.
    let before = fake.owner_requests().len();
    let forged = web
        .post_raw(
            "/dashboard/t/acme/billing/contact",
            &[("owner_email", "billing@acme.example")],
        )
        .await;
    assert_eq!(forged.status, 403);
    let wrong = web
        .post_raw(
            "/dashboard/t/acme/billing/contact",
            &[
                ("csrf", "x".repeat(43).as_str()),
                ("owner_email", "billing@acme.example"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 403);
    assert_eq!(fake.owner_requests().len(), before, "billing not called");
    assert_eq!(fake.owner_email(&id), None);

    // With it: billing gets the trimmed address with the owner token.
    let saved = web
        .post(
            "/dashboard/t/acme/billing/contact",
            &[("owner_email", "  billing@acme.example \n")],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(
        saved.location.as_deref(),
        Some("/dashboard/t/acme/billing?contact=saved"),
        "no address in the URL"
    );
    let puts = fake.account_puts();
    assert_eq!(puts.len(), 1, "{puts:?}");
    assert_eq!(puts[0].path, format!("/v1/tenants/{id}/account"));
    assert_eq!(puts[0].body, json!({"owner_email": "billing@acme.example"}));
    let c = claims(puts[0].bearer.as_deref().expect("a bearer token"));
    assert_eq!(c["billing_tenant"], id);
    assert_eq!(c["scope"], "billing:manage");
    assert_eq!(c["sub"], user_id);
    assert_eq!(
        fake.owner_email(&id).as_deref(),
        Some("billing@acme.example")
    );

    let back = web.get("/dashboard/t/acme/billing?contact=saved").await;
    assert_eq!(back.status, 200);
    assert!(
        back.contains("Saved: billing emails now go to the address shown below."),
        "{}",
        back.body
    );
    assert!(back.contains("Billing emails go to: billing@acme.example"));
    let fr = web
        .get("/dashboard/t/acme/billing?contact=saved&lang=fr")
        .await;
    assert!(fr.contains("Enregistré"), "{}", fr.body);
    let bogus = web
        .get("/dashboard/t/acme/billing?contact=evil%40example.com")
        .await;
    assert!(!bogus.contains("Saved:") && !bogus.contains("evil@example.com"));
}

#[tokio::test]
async fn bad_billing_email_addresses_are_refused_with_a_422() {
    let fake = FakeBilling::start().await;
    let app = spawn(Some(&fake.url)).await;
    let (acme, web, _) = acme_and_owner(&app).await;
    let id = acme.id.to_string();
    fake.set_owner_email(&id, "billing@acme.example");
    web.get("/dashboard/t/acme/billing").await;

    // Obviously bad: refused here, nothing sent to billing.
    let long = format!("{}@acme.example", "a".repeat(250));
    for bad in [
        "",
        "   ",
        "not-an-address",
        "ana@@acme.example",
        long.as_str(),
    ] {
        let refused = web
            .post("/dashboard/t/acme/billing/contact", &[("owner_email", bad)])
            .await;
        assert_eq!(refused.status, 422, "{bad:?}: {}", refused.body);
        let error = refused
            .between("id=\"form-error\">", "</p>")
            .expect("an error");
        assert!(error.contains("not an email address"), "{error}");
        assert!(refused.contains("Billing emails go to: billing@acme.example"));
    }
    assert!(fake.account_puts().is_empty(), "{:?}", fake.account_puts());
    let fr = web
        .post(
            "/dashboard/t/acme/billing/contact?lang=fr",
            &[("owner_email", "nope")],
        )
        .await;
    assert_eq!(fr.status, 422);
    assert!(fr.contains("Vérifiez-la"), "{}", fr.body);
    assert!(fr.contains("value=\"nope\""), "what was typed is kept");

    // Billing refuses an address that passes here: the same page, a 422,
    // nothing stored.
    let refused_here = format!("ana{REFUSED_DOMAIN}");
    let refused = web
        .post(
            "/dashboard/t/acme/billing/contact",
            &[("owner_email", refused_here.as_str())],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.contains("id=\"form-error\""));
    assert!(refused.contains(&format!("value=\"{refused_here}\"")));
    assert_eq!(fake.account_puts().len(), 1);
    assert_eq!(
        fake.owner_email(&id).as_deref(),
        Some("billing@acme.example")
    );

    // Billing down: the unavailable page.
    fake.fail(true);
    let down = web
        .post(
            "/dashboard/t/acme/billing/contact?lang=en",
            &[("owner_email", "ops@acme.example")],
        )
        .await;
    assert_eq!(down.status, 503, "{}", down.body);
    assert!(down.contains("Billing is unavailable right now"));
}

#[tokio::test]
async fn only_an_owner_sets_the_billing_email_address() {
    let fake = FakeBilling::start().await;
    let app = spawn(Some(&fake.url)).await;
    let (acme, owner, _) = acme_and_owner(&app).await;
    app.tenant("beta", json!({})).await;
    let stranger = platform_user(&app, "stranger@example.com").await;
    stranger.get("/dashboard").await;

    let theirs = stranger
        .post(
            "/dashboard/t/acme/billing/contact",
            &[("owner_email", "evil@example.com")],
        )
        .await;
    let unknown = stranger
        .post(
            "/dashboard/t/nope/billing/contact",
            &[("owner_email", "evil@example.com")],
        )
        .await;
    let unowned = owner
        .post(
            "/dashboard/t/beta/billing/contact",
            &[("owner_email", "evil@example.com")],
        )
        .await;
    assert_eq!(
        (theirs.status, unknown.status, unowned.status),
        (404, 404, 404)
    );
    assert_eq!(theirs.body, unknown.body, "not probeable");
    assert!(
        fake.owner_requests().is_empty(),
        "{:?}",
        fake.owner_requests()
    );
    assert_eq!(fake.owner_email(&acme.id.to_string()), None);

    // Without billing the form is not offered and a post changes nothing.
    let off = spawn(None).await;
    let (_acme, web, _) = acme_and_owner(&off).await;
    let page = web.get("/dashboard/t/acme/billing").await;
    assert!(!page.contains("/billing/contact"));
    let post = web
        .post(
            "/dashboard/t/acme/billing/contact",
            &[("owner_email", "billing@acme.example")],
        )
        .await;
    assert_eq!(post.status, 409);
}
