//! Without a Stripe key billing still runs: plans are visible, buying is
//! refused with a clear message, and operators set plans by hand.
use reqwest::Method;
use serde_json::json;
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::helpers::{assert_problem, spawn_billing, TENANT_A};

async fn offline_mode_shows_plans_and_refuses_checkout(engine: Engine) {
    let app = spawn_billing(engine).await;
    // The catalogue is public.
    let plans: serde_json::Value = app
        .client
        .get(app.url("/v1/plans"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(plans["checkout_available"], false);
    let names: Vec<_> = plans["plans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap().to_owned(),
                p["mau_limit"].clone(),
                p["price_cents"].clone(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("free".to_owned(), json!(1_000), json!(0)),
            ("starter".to_owned(), json!(5_000), json!(900)),
            ("pro".to_owned(), json!(20_000), json!(2_900)),
            ("enterprise".to_owned(), json!(null), json!(null)),
        ]
    );
    let owner = app.owner_token(TENANT_A);
    let checkout = app
        .call(
            Method::POST,
            &format!("/v1/tenants/{TENANT_A}/checkout"),
            &owner,
            Some(json!({"plan": "pro", "success_url": "https://app.example.com/ok", "cancel_url": "https://app.example.com/no"})),
        )
        .await;
    let problem = assert_problem(checkout, 409, "billing-not-configured").await;
    assert!(problem["detail"].as_str().unwrap().contains("set-plan"));
    let portal = app
        .call(
            Method::POST,
            &format!("/v1/tenants/{TENANT_A}/portal"),
            &owner,
            Some(json!({"return_url": "https://app.example.com/billing"})),
        )
        .await;
    assert_problem(portal, 409, "billing-not-configured").await;
    let webhook = app
        .client
        .post(app.url("/webhooks/stripe"))
        .header("stripe-signature", "t=1,v1=00")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(webhook.status(), 409);
    // Without a signature the request is refused as not Stripe's, configured or not.
    let unsigned = app
        .client
        .post(app.url("/webhooks/stripe"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_problem(unsigned, 400, "webhook-signature").await;
    // The operator's way.
    assert_eq!(app.entitlements(TENANT_A).await["plan"], "free");
    let set = app
        .call(
            Method::PUT,
            &format!("/v1/tenants/{TENANT_A}/plan"),
            &app.admin_token(),
            Some(json!({"plan": "pro"})),
        )
        .await;
    assert_eq!(set.status(), 200);
    let e = app.entitlements(TENANT_A).await;
    assert_eq!(
        (e["plan"].as_str(), e["source"].as_str()),
        (Some("pro"), Some("manual"))
    );
    // An owner may not set their own plan by hand.
    let own = app
        .call(
            Method::PUT,
            &format!("/v1/tenants/{TENANT_A}/plan"),
            &owner,
            Some(json!({"plan": "enterprise"})),
        )
        .await;
    assert_eq!(own.status(), 403);
    assert_eq!(app.entitlements(TENANT_A).await["plan"], "pro");
    // A limit past the documented maximum (a signed 64-bit integer) is refused.
    let huge = app
        .call(
            Method::PUT,
            &format!("/v1/tenants/{TENANT_A}/plan"),
            &app.admin_token(),
            Some(json!({"plan": "enterprise", "mau_limit": 9_223_372_036_854_775_808_u64})),
        )
        .await;
    assert_problem(huge, 422, "invalid-input").await;
    assert_eq!(app.entitlements(TENANT_A).await["plan"], "pro");
}
both_engines!(offline_mode, offline_mode_shows_plans_and_refuses_checkout);
