//! Quotas: the owner hears at 80 % and 100 % (once each a month), and from
//! the hard limit on new signups are refused.
use reqwest::Method;
use serde_json::json;
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::helpers::{spawn_billing, spawn_with, users, Options, OWNER_A, TENANT_A};

async fn owner_is_told_at_80_and_100_percent_once(engine: Engine) {
    let app = spawn_billing(engine).await;
    app.set_owner(TENANT_A, OWNER_A).await;
    let now = app.now();
    app.report(TENANT_A, &users("a", 799), now).await;
    let e = app.entitlements(TENANT_A).await;
    assert_eq!(
        (e["warning"].as_str(), e["usage_percent"].as_u64()),
        (Some("none"), Some(79))
    );
    app.report(TENANT_A, &users("b", 1), now).await;
    let mails = app.mails_to(OWNER_A, 1).await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0]
        .subject
        .as_deref()
        .unwrap_or_default()
        .contains("80%"));
    assert!(mails[0].text.as_deref().unwrap_or_default().contains("800"));
    let e = app.entitlements(TENANT_A).await;
    assert_eq!(e["warning"], "approaching");
    assert_eq!(e["suggested_plan"], "starter");
    // More users below 100 %: no second 80 % mail.
    app.report(TENANT_A, &users("c", 150), now).await;
    app.report(TENANT_A, &users("a", 799), now).await;
    assert_eq!(app.entitlements(TENANT_A).await["mau_used"], 950);
    app.report(TENANT_A, &users("e", 50), now).await;
    let mails = app.mails_to(OWNER_A, 2).await;
    assert_eq!(mails.len(), 2, "the 100 % mail");
    assert!(mails[1]
        .subject
        .as_deref()
        .unwrap_or_default()
        .contains("100%"));
    assert!(mails[1]
        .text
        .as_deref()
        .unwrap_or_default()
        .contains("Starter"));
    assert_eq!(app.entitlements(TENANT_A).await["warning"], "reached");
    app.report(TENANT_A, &users("d", 50), now).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        app.mails_to(OWNER_A, 3).await.len(),
        2,
        "each threshold once"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM quota_notices").await, 2);
}
both_engines!(quota_emails_once, owner_is_told_at_80_and_100_percent_once);

async fn signups_close_at_the_hard_limit(engine: Engine) {
    let app = spawn_billing(engine).await;
    let now = app.now();
    app.report(TENANT_A, &users("a", 1_000), now).await;
    app.report(TENANT_A, &users("b", 99), now).await;
    let e = app.entitlements(TENANT_A).await;
    assert_eq!(
        (e["mau_used"].as_u64(), e["hard_limit"].as_u64()),
        (Some(1_099), Some(1_100))
    );
    assert_eq!(e["signups_allowed"], true);
    app.report(TENANT_A, &users("c", 1), now).await;
    let e = app.entitlements(TENANT_A).await;
    assert_eq!(e["signups_allowed"], false, "{e}");
    assert_eq!(e["warning"], "over_limit");
    assert_eq!(e["suggested_plan"], "starter");
    // An upgrade (here by an operator) opens them again.
    let resp = app
        .call(
            Method::PUT,
            &format!("/v1/tenants/{TENANT_A}/plan"),
            &app.admin_token(),
            Some(json!({"plan": "starter"})),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let e = app.entitlements(TENANT_A).await;
    assert_eq!(
        (e["plan"].as_str(), e["mau_limit"].as_u64()),
        (Some("starter"), Some(5_000))
    );
    assert_eq!(e["signups_allowed"], true);
    assert_eq!(e["warning"], "none");
}
both_engines!(hard_limit, signups_close_at_the_hard_limit);

#[tokio::test]
async fn the_hard_limit_is_configurable() {
    let app = spawn_with(
        Engine::Sqlite,
        Options {
            hard_limit_percent: Some(100),
            ..Options::default()
        },
    )
    .await;
    app.report(TENANT_A, &users("a", 1_000), app.now()).await;
    let e = app.entitlements(TENANT_A).await;
    assert_eq!(e["hard_limit"], 1_000);
    assert_eq!(e["signups_allowed"], false);
}

#[tokio::test]
async fn enterprise_contract_limits_apply() {
    let app = spawn_billing(Engine::Sqlite).await;
    let (path, admin) = (format!("/v1/tenants/{TENANT_A}/plan"), app.admin_token());
    let set = |body| app.call(Method::PUT, &path, &admin, Some(body));
    assert_eq!(
        set(json!({"plan": "enterprise", "mau_limit": 10}))
            .await
            .status(),
        200
    );
    app.report(TENANT_A, &users("a", 10), app.now()).await;
    let e = app.entitlements(TENANT_A).await;
    assert_eq!(
        (e["plan"].as_str(), e["mau_limit"].as_u64()),
        (Some("enterprise"), Some(10))
    );
    assert_eq!(e["warning"], "reached");
    assert_eq!(set(json!({"plan": "enterprise"})).await.status(), 200);
    let e = app.entitlements(TENANT_A).await;
    assert_eq!(
        e["mau_limit"],
        serde_json::Value::Null,
        "no limit without a contract figure"
    );
    assert_eq!(e["signups_allowed"], true);
    // A custom limit is for Enterprise only; unknown plans are refused.
    assert_eq!(
        set(json!({"plan": "pro", "mau_limit": 10})).await.status(),
        422
    );
    assert_eq!(set(json!({"plan": "gold"})).await.status(), 422);
    assert_eq!(app.entitlements(TENANT_A).await["plan"], "enterprise");
}
