//! `/dashboard`: the tenant owners' pages. Only an owner's platform session
//! opens a tenant's billing; everyone else is sent to the platform login or
//! gets the same 404 as an unknown tenant, and billing is never asked for
//! them. The owner token sent to billing is a platform token for that one
//! tenant and `billing:manage` only.
mod access;
mod billing_email;
mod billing_page;
mod checkout;
mod owner_token;

use auth_server::domain::tenant::Tenant;
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::db::Engine;

use crate::helpers::{spawn_app_on_known_port_with, TestApp, PASSWORD};
use crate::web::Web;

pub(super) const OWNER: &str = "founder@acme.example";

/// The server on a known port (its issuer URL is real), calling `billing`.
pub(super) async fn spawn(billing: Option<&str>) -> TestApp {
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
pub(super) async fn acme_and_owner(app: &TestApp) -> (Tenant, Web, String) {
    let acme = app.tenant("acme", json!({})).await;
    let web = platform_user(app, OWNER).await;
    let user_id = make_owner(app, &acme, OWNER).await;
    (acme, web, user_id)
}
