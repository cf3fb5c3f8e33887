//! Security events end to end: a detected attack and a compromised signing
//! key reach the tenant's endpoint, signed.
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use super::{add, PRIVATE};
use crate::billing_e2e::unix_now;
use crate::helpers::spawn_app_with;
use crate::webhook_receiver::Receiver;

/// The whole chain: a password spray is detected by the sentinel, which
/// blocks the address; the tenant's endpoint receives the incident and the
/// block, signed.
async fn a_detected_attack_reaches_the_tenants_endpoint(engine: Engine) {
    let receiver = Receiver::start().await;
    let app = spawn_app_with(
        engine,
        &[
            PRIVATE,
            ("AUTH_SENTINEL", "on"),
            ("AUTH_TRUSTED_PROXIES", "127.0.0.1"),
        ],
    )
    .await;
    let acme = app.tenant("acme", json!({})).await;
    let (_, secret) = add(
        &app,
        &acme,
        &format!("{}/security", receiver.url),
        &["security.incident", "security.ip_blocked"],
    )
    .await;
    let mut attacker = crate::web::Web::new(&app.address);
    attacker.forwarded_for = Some("203.0.113.7".to_owned());
    for i in 0..10 {
        let page = app
            .login(
                &attacker,
                "acme",
                &format!("user{i}@acme.example"),
                "guess!",
            )
            .await;
        assert_eq!(page.status, 401);
    }
    let got = receiver.wait_for(2).await;
    let mut types: Vec<&str> = got.iter().map(|r| r.event_type.as_str()).collect();
    types.sort_unstable();
    assert_eq!(types, ["security.incident", "security.ip_blocked"]);
    for r in &got {
        assert!(r.signed_by(&secret, unix_now()), "{}", r.signature);
        let body = r.json();
        assert_eq!(body["tenant"]["slug"], "acme");
        let detail = &body["data"]["detail"];
        assert_eq!(detail["detector"], "password_spray", "{body}");
        if r.event_type == "security.incident" {
            assert_eq!(detail["subject"], "203.0.113.7/32");
            assert_eq!(detail["evidence"]["accounts"], 10);
        } else {
            assert_eq!(detail["network"], "203.0.113.7/32");
        }
    }
}

both_engines!(attack_chain, a_detected_attack_reaches_the_tenants_endpoint);

/// A signing key marked compromised reaches the tenant's endpoint as the
/// incident and the rotation, signed.
async fn a_compromised_key_reaches_the_tenants_endpoint(engine: Engine) {
    let receiver = Receiver::start().await;
    let app = spawn_app_with(engine, &[PRIVATE]).await;
    let acme = app.tenant("acme", json!({})).await;
    let (_, secret) = add(
        &app,
        &acme,
        &format!("{}/keys", receiver.url),
        &["security.incident", "key.rotated"],
    )
    .await;
    app.client
        .get(app.url("/t/acme/jwks.json"))
        .send()
        .await
        .expect("keys made");
    let keys = app
        .admin_json(&format!("/manage/v1/tenants/{}/keys", acme.id))
        .await;
    let kid = keys["items"]
        .as_array()
        .and_then(|items| {
            items
                .iter()
                .find(|k| k["alg"] == "ES256" && k["state"] == "active")
        })
        .and_then(|k| k["kid"].as_str())
        .expect("an active ES256 key")
        .to_owned();
    let resp = app
        .admin(
            Method::POST,
            &format!("/manage/v1/tenants/{}/keys/{kid}/compromised", acme.id),
        )
        .json(&json!({"reason": "found in a public bucket"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 200);
    let done: Value = resp.json().await.expect("json");
    let got = receiver.wait_for(2).await;
    let mut types: Vec<&str> = got.iter().map(|r| r.event_type.as_str()).collect();
    types.sort_unstable();
    assert_eq!(types, ["key.rotated", "security.incident"]);
    for r in &got {
        assert!(r.signed_by(&secret, unix_now()), "{}", r.signature);
        let body = r.json();
        let detail = &body["data"]["detail"];
        if r.event_type == "security.incident" {
            assert_eq!(body["data"]["outcome"], "signing_key_compromised", "{body}");
            assert_eq!(detail["subject"], kid.as_str());
            assert_eq!(detail["reason"], "found in a public bucket");
            assert_eq!(detail["evidence"]["new_kid"], done["active"]);
        } else {
            assert_eq!(detail["revoked"], kid.as_str(), "{body}");
            assert_eq!(detail["compromised"], true);
            assert_eq!(detail["active"], done["active"]);
        }
    }
}

both_engines!(
    key_compromise_chain,
    a_compromised_key_reaches_the_tenants_endpoint
);
