//! Who gets billing emails: the billing page says so, and an owner (only an
//! owner, with the form's CSRF token) sets the address; bad addresses are
//! refused with a 422 and nothing stored.
use serde_json::json;

use super::{acme_and_owner, platform_user, spawn, OWNER};
use crate::billing_fake::{FakeBilling, REFUSED_DOMAIN};
use crate::oidc::claims;

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
