//! Signups and billing's entitlements: refused over the hard limit (page and
//! form, nothing created) while existing users log in; failing open when
//! billing is down, keeping a known refusal while it is stale.
use std::time::Duration;

use serde_json::json;
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::billing_fake::FakeBilling;
use crate::helpers::{spawn_app, spawn_app_with_billing, PASSWORD};

const CLOSED_EN: &str = "accepting new accounts right now";
const CLOSED_FR: &str = "accepte pas de nouveaux comptes pour le moment";

async fn signups_refused_over_the_hard_limit(engine: Engine) {
    let fake = FakeBilling::start().await;
    let app = spawn_app_with_billing(engine, &fake.url, 1).await;
    let acme = app.tenant("acme", json!({})).await;
    let web = app.web();
    let member = "member@example.com";
    app.signup_verified(&web, "acme", member, PASSWORD).await;
    assert_eq!(app.user_count(&acme).await, 1);

    fake.set_signups_allowed(&acme.id.to_string(), false);
    // Past the cache's TTL.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let newcomer = app.web();
    let page = newcomer.get("/t/acme/signup").await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(page.contains(CLOSED_EN), "{}", page.body);
    assert!(page.contains("href=\"/t/acme/login\""), "{}", page.body);
    assert!(
        !page.contains("name=\"password\""),
        "no form: {}",
        page.body
    );
    let fr = newcomer.get("/t/acme/signup?lang=fr").await;
    assert_eq!(fr.status, 403);
    assert!(fr.contains(CLOSED_FR), "{}", fr.body);

    let refused = newcomer
        .post(
            "/t/acme/signup",
            &[
                ("email", "new@example.com"),
                ("password", PASSWORD),
                ("display_name", "New"),
            ],
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        refused.contains(CLOSED_FR),
        "the language cookie holds: {}",
        refused.body
    );
    assert_eq!(app.user_count(&acme).await, 1, "no account was created");
    let signups = app
        .audit_kinds(&acme)
        .await
        .into_iter()
        .filter(|(kind, _)| kind == "signup")
        .count();
    assert_eq!(signups, 1, "only the member's signup was recorded");

    // Existing users log in whatever billing says, without asking it.
    let asked = fake.requests().len();
    let login = app.login(&app.web(), "acme", member, PASSWORD).await;
    assert_eq!(
        (login.status, login.location.as_deref()),
        (303, Some("/t/acme/account"))
    );
    assert_eq!(fake.requests().len(), asked, "login never calls billing");

    // Back under the limit: signups open again once the cache expires.
    fake.set_signups_allowed(&acme.id.to_string(), true);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(app.web().get("/t/acme/signup").await.status, 200);
}
both_engines!(billing_signups_refused, signups_refused_over_the_hard_limit);

#[tokio::test]
async fn billing_down_fails_open_but_keeps_a_known_refusal() {
    let fake = FakeBilling::start().await;
    let app = spawn_app_with_billing(Engine::Sqlite, &fake.url, 1).await;
    let full = app.tenant("full", json!({})).await;
    let fresh = app.tenant("fresh", json!({})).await;
    fake.set_signups_allowed(&full.id.to_string(), false);
    assert_eq!(app.web().get("/t/full/signup").await.status, 403);

    fake.stop().await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // Stale, billing unreachable: the last answer stands.
    let stale = app.web().get("/t/full/signup").await;
    assert_eq!(stale.status, 403, "{}", stale.body);
    assert!(stale.contains(CLOSED_EN));
    // Never known: fail open, and the account is created.
    let web = app.web();
    assert_eq!(web.get("/t/fresh/signup").await.status, 200);
    let done = web
        .post(
            "/t/fresh/signup",
            &[("email", "first@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.contains("Check your email"));
    // The account is made after the answer, before its mail leaves.
    app.mail_to("first@example.com").await;
    assert_eq!(app.user_count(&fresh).await, 1);
}

#[tokio::test]
async fn billing_returning_errors_fails_open() {
    let fake = FakeBilling::start().await;
    fake.fail(true);
    let app = spawn_app_with_billing(Engine::Sqlite, &fake.url, 1).await;
    app.tenant("acme", json!({})).await;
    assert_eq!(app.web().get("/t/acme/signup").await.status, 200);
    assert!(fake
        .requests()
        .iter()
        .any(|r| r.path.ends_with("/entitlements")));
}

#[tokio::test]
async fn without_billing_signups_are_open_and_nothing_is_called() {
    let app = spawn_app(Engine::Sqlite).await;
    let acme = app.tenant("acme", json!({})).await;
    let web = app.web();
    app.signup_verified(&web, "acme", "a@example.com", PASSWORD)
        .await;
    assert_eq!(app.user_count(&acme).await, 1);
}

#[tokio::test]
async fn the_platform_tenant_is_never_metered() {
    let fake = FakeBilling::start().await;
    let app = spawn_app_with_billing(Engine::Sqlite, &fake.url, 1).await;
    let page = app.web().get("/t/platform/signup").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        fake.requests()
            .iter()
            .all(|r| !r.path.ends_with("/entitlements")),
        "{:?}",
        fake.requests()
    );
}
