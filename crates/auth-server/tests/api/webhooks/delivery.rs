//! Signed delivery: an endpoint receives the events it subscribed to and
//! no other tenant's, signed with its secret (both secrets for a day after
//! a rotation, and after two rotations at once both new secrets); the
//! delivery log and the audit trail record it.
use auth_server::store::audit::AuditStore;
use reqwest::Method;
use serde_json::json;
use service_kit::both_engines;
use service_kit::db::Engine;

use super::{add, base, call, delivery_when, ALICE, PRIVATE};
use crate::billing_e2e::unix_now;
use crate::helpers::{spawn_app_with, PASSWORD};
use crate::webhook_receiver::Receiver;

async fn signed_events_reach_the_endpoint_that_wants_them(engine: Engine) {
    let receiver = Receiver::start().await;
    let app = spawn_app_with(engine, &[PRIVATE]).await;
    let acme = app.tenant("acme", json!({})).await;
    let other = app.tenant("other", json!({})).await;
    let (hook, secret) = add(
        &app,
        &acme,
        &format!("{}/acme", receiver.url),
        &["user.created", "login.failed"],
    )
    .await;
    let hook_id = hook["id"].as_str().expect("id").to_owned();
    assert_eq!(hook["events"], json!(["user.created", "login.failed"]));
    assert_eq!(hook["enabled"], true);
    add(
        &app,
        &other,
        &format!("{}/other", receiver.url),
        &["user.created"],
    )
    .await;

    let web = app.web();
    app.signup_verified(&web, "acme", ALICE, PASSWORD).await;
    app.login(&app.web(), "acme", ALICE, "not the password")
        .await;
    let got = receiver.wait_for(2).await;
    let mut acme_got: Vec<_> = got.iter().filter(|r| r.path == "/acme").collect();
    // Deliveries go out side by side: their order is not the events'.
    acme_got.sort_by_key(|r| r.event_type != "user.created");
    assert_eq!(
        acme_got
            .iter()
            .map(|r| r.event_type.as_str())
            .collect::<Vec<_>>(),
        ["user.created", "login.failed"],
        "only the subscribed events"
    );
    for r in &acme_got {
        assert!(r.signed_by(&secret, unix_now()), "{}", r.signature);
        assert!(!r.signed_by("whsec_another", unix_now()));
        let body = r.json();
        assert_eq!(body["id"], r.event_id.as_str());
        assert_eq!(body["type"], r.event_type.as_str());
        assert_eq!(body["tenant"]["slug"], "acme");
        assert_eq!(body["tenant"]["id"], acme.id.to_string());
        let text = String::from_utf8_lossy(&r.body);
        assert!(!text.contains(PASSWORD) && !text.contains("not the password"));
        assert!(!text.contains(ALICE), "no email address in {text}");
    }
    let failed = acme_got[1].json();
    assert_eq!(failed["data"]["ip"], "127.0.0.1");
    assert!(failed["data"]["user_id"].is_string());

    // The other tenant's endpoint gets its own tenant's events only: one
    // made after acme's reaches it, and nothing of acme's did.
    app.signup_verified(&app.web(), "other", "bob@example.com", PASSWORD)
        .await;
    let got = receiver.wait_for(3).await;
    let other_got: Vec<_> = got.iter().filter(|r| r.path == "/other").collect();
    assert_eq!(other_got.len(), 1);
    assert_eq!(other_got[0].json()["tenant"]["slug"], "other");

    // The delivery log: delivered at the first attempt, with the body sent.
    let (status, list) = call(
        &app,
        Method::GET,
        &format!("{}/{hook_id}/deliveries", base(&acme)),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    for item in items {
        assert_eq!(item["state"], "delivered");
        assert_eq!(item["last_status"], 200);
        assert_eq!(item["attempts"], 1);
    }
    let detail = delivery_when(&app, &acme, &hook_id, &acme_got[0].delivery_id, |_| true).await;
    assert_eq!(
        detail["payload"].as_str().expect("payload").as_bytes(),
        acme_got[0].body.as_slice()
    );
    assert_eq!(detail["attempt_log"][0]["status"], 200);

    // A rotated secret: for a day deliveries carry both signatures.
    let (status, rotated) = call(
        &app,
        Method::POST,
        &format!("{}/{hook_id}/rotate-secret", base(&acme)),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let new_secret = rotated["secret"].as_str().expect("secret").to_owned();
    assert_ne!(new_secret, secret);
    assert!(rotated["previous_secret_until"].is_string());
    let (status, _) = call(
        &app,
        Method::GET,
        &format!("{}/{hook_id}", base(&acme)),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, test) = call(
        &app,
        Method::POST,
        &format!("{}/{hook_id}/test", base(&acme)),
        None,
    )
    .await;
    assert_eq!(status, 202);
    let got = receiver.wait_for(4).await;
    let ping = got.last().expect("the test event");
    assert_eq!(ping.event_type, "webhook.test");
    assert_eq!(ping.delivery_id, test["delivery_id"].as_str().expect("id"));
    assert!(ping.signed_by(&new_secret, unix_now()));
    assert!(ping.signed_by(&secret, unix_now()));
    assert_eq!(ping.signature.matches("v1=").count(), 2);

    // Owners see each change in the audit trail.
    let kinds = AuditStore::new(app.database.pool.clone())
        .recent(acme.id, 100)
        .await
        .expect("audit");
    let outcomes: Vec<&str> = kinds
        .iter()
        .filter(|e| e.kind == "webhook")
        .map(|e| e.outcome.as_str())
        .collect();
    assert!(outcomes.contains(&"created") && outcomes.contains(&"secret_rotated"));
}

both_engines!(
    signed_delivery,
    signed_events_reach_the_endpoint_that_wants_them
);

/// Two rotations at the same moment (a double click, two deploy scripts):
/// the second replaces the first's secret rather than the one both read,
/// so the next delivery is signed by both secrets handed out, and neither
/// receiver is left with a secret nothing signs with.
async fn rotations_at_once_keep_both_secrets(engine: Engine) {
    let receiver = Receiver::start().await;
    let app = spawn_app_with(engine, &[PRIVATE]).await;
    let acme = app.tenant("acme", json!({})).await;
    let (hook, _) = add(
        &app,
        &acme,
        &format!("{}/acme", receiver.url),
        &["user.created"],
    )
    .await;
    let hook_id = hook["id"].as_str().expect("id").to_owned();
    let rotate = format!("{}/{hook_id}/rotate-secret", base(&acme));
    let test = format!("{}/{hook_id}/test", base(&acme));

    for round in 1..=3 {
        let (first, second) = tokio::join!(
            call(&app, Method::POST, &rotate, None),
            call(&app, Method::POST, &rotate, None),
        );
        assert_eq!((first.0, second.0), (200, 200), "{first:?} {second:?}");
        let secrets =
            [&first.1, &second.1].map(|r| r["secret"].as_str().expect("secret").to_owned());
        assert_ne!(secrets[0], secrets[1]);

        let (status, _) = call(&app, Method::POST, &test, None).await;
        assert_eq!(status, 202);
        let got = receiver.wait_for(round).await;
        let ping = got.last().expect("the test event");
        for secret in &secrets {
            assert!(
                ping.signed_by(secret, unix_now()),
                "round {round}: a secret handed out signs nothing"
            );
        }
    }
}
both_engines!(
    rotations_at_the_same_moment,
    rotations_at_once_keep_both_secrets
);
