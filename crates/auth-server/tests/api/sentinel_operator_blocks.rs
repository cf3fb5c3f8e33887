//! Blocks made by hand through the management API: enforced at the edge by
//! every instance, audited, sent to the tenant's webhooks as
//! `security.ip_blocked` (the trail is what they read), expiring on time;
//! never over an address the operator or the tenant spares; bad orders
//! refused with nothing written.
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::helpers::assert_problem;
use crate::sentinel::{blocks, event, from, login_page, scene, within, Scene};

async fn order(s: &Scene, tenant: &str, body: Value) -> reqwest::Response {
    s.app
        .admin(Method::POST, &format!("/manage/v1/tenants/{tenant}/blocks"))
        .json(&body)
        .send()
        .await
        .expect("sent")
}

async fn an_operator_blocks_a_range_on_every_instance_until_it_expires(engine: Engine) {
    let s = scene(engine, &[], json!({})).await;
    let peer = s
        .app
        .spawn_peer_with(s.clock.clone(), &[("AUTH_TRUSTED_PROXIES", "127.0.0.1")])
        .await;
    let here = from(&s.app.address, "203.0.113.77");
    let there = from(&peer, "203.0.113.78");
    let outside = from(&s.app.address, "203.0.114.1");
    assert_eq!(login_page(&here).await, 200);

    let resp = order(
        &s,
        &s.tenant.id.to_string(),
        json!({"network": "203.0.113.0/24", "minutes": 30, "reason": " scraping signups "}),
    )
    .await;
    assert_eq!(resp.status(), 201);
    let made: Value = resp.json().await.expect("json");
    assert_eq!(made["network"], "203.0.113.0/24");
    assert_eq!(made["created_by"], "operator");
    assert_eq!(made["reason"], "operator: scraping signups");

    assert!(
        within(3, || async { login_page(&here).await == 403 }).await,
        "this instance refuses the range within its refresh"
    );
    assert!(
        within(3, || async { login_page(&there).await == 403 }).await,
        "so does the other instance"
    );
    assert_eq!(login_page(&outside).await, 200, "only the range");
    let listed = blocks(&s).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["id"], made["id"]);

    let audited = event(&s, "blocked").await.expect("audited");
    assert_eq!(audited["network"], "203.0.113.0/24");
    assert_eq!(audited["reason"], "scraping signups");
    assert_eq!(audited["by"], "by the operator");
    assert_eq!(audited["block"], made["id"]);

    // Thirty minutes later it has run out, everywhere.
    s.clock.advance(30 * 60);
    assert!(within(3, || async { login_page(&here).await == 200 }).await);
    assert!(within(3, || async { login_page(&there).await == 200 }).await);
    assert!(blocks(&s).await.is_empty());
}
both_engines!(
    operator_block_holds_until_expiry,
    an_operator_blocks_a_range_on_every_instance_until_it_expires
);

async fn bad_or_sparing_orders_are_refused_and_write_nothing(engine: Engine) {
    let s = scene(
        engine,
        &[],
        json!({ "sentinel_allowlist": ["198.51.100.0/24"] }),
    )
    .await;
    let tenant = s.tenant.id.to_string();
    let ok = json!({"network": "203.0.113.9", "minutes": 5, "reason": "r"});
    let with = |field: &str, value: Value| {
        let mut body = ok.clone();
        body[field] = value;
        body
    };
    for body in [
        with("network", json!("example.com")),
        with("network", json!("10.1.2.3/8")),
        with("network", json!("0.0.0.0/0")),
        with("minutes", json!(0)),
        with("minutes", json!(43_201)),
        with("reason", json!("")),
        with("reason", json!("two\nlines")),
        with("reason", json!("x".repeat(201))),
        // The tenant's allowlist, the operator's loopback, and ranges holding them.
        with("network", json!("198.51.100.7")),
        with("network", json!("198.51.0.0/16")),
        with("network", json!("127.0.0.1")),
        with("network", json!("127.0.0.0/8")),
        with("network", json!("::1")),
    ] {
        let resp = order(&s, &tenant, body.clone()).await;
        assert_problem(resp, 422, "invalid-input").await;
    }
    for body in [
        json!({"network": "203.0.113.9", "minutes": 5}),
        json!({"network": "203.0.113.9", "minutes": "5", "reason": "r"}),
        json!({"network": "203.0.113.9", "minutes": 5, "reason": "r", "tenant": "x"}),
        json!(["203.0.113.9"]),
    ] {
        let resp = order(&s, &tenant, body.clone()).await;
        assert_eq!(resp.status(), 400, "{body}");
    }
    // Another tenant's id, or none that exists.
    let resp = order(&s, "00000000-0000-4000-8000-000000000000", ok.clone()).await;
    assert_problem(resp, 404, "tenant-not-found").await;
    assert!(blocks(&s).await.is_empty(), "nothing was blocked");
    assert!(event(&s, "blocked").await.is_none(), "nothing was audited");
    assert_eq!(login_page(&from(&s.app.address, "198.51.100.7")).await, 200);
}
both_engines!(
    operator_block_refusals,
    bad_or_sparing_orders_are_refused_and_write_nothing
);
