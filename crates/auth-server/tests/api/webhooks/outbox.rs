//! The outbox under a controllable clock: failures are retried with
//! backoff, then given up, and an endpoint failing for the whole retry
//! period is disabled and its owners told; pending deliveries survive a
//! restart.
use std::sync::Arc;

use auth_server::store::audit::AuditStore;
use reqwest::Method;
use serde_json::json;
use service_kit::both_engines;
use service_kit::clock::{ManualClock, SharedClock};
use service_kit::db::Engine;

use super::{add, attempts, base, call, delivery_when, ALICE, OWNER, PRIVATE};
use crate::billing_e2e::unix_now;
use crate::dashboard_pages::{make_owner, platform_user};
use crate::helpers::{spawn_app_with_clock, PASSWORD};
use crate::webhook_receiver::Receiver;

async fn failures_are_retried_then_given_up_and_the_endpoint_disabled(engine: Engine) {
    let receiver = Receiver::start().await;
    let start = unix_now();
    let manual = Arc::new(ManualClock::new(start));
    let clock: SharedClock = manual.clone();
    let app =
        spawn_app_with_clock(engine, &[PRIVATE, ("AUTH_WEBHOOK_RETRY_HOURS", "1")], clock).await;
    let acme = app.tenant("acme", json!({})).await;
    platform_user(&app, OWNER).await;
    make_owner(&app, &acme, OWNER).await;
    let (hook, _) = add(
        &app,
        &acme,
        &format!("{}/hooks", receiver.url),
        &["user.created"],
    )
    .await;
    let hook_id = hook["id"].as_str().expect("id").to_owned();
    let test_path = format!("{}/{hook_id}/test", base(&acme));

    receiver.answer(500);
    let (status, test) = call(&app, Method::POST, &test_path, None).await;
    assert_eq!(status, 202);
    let id = test["delivery_id"].as_str().expect("id").to_owned();
    let first = delivery_when(&app, &acme, &hook_id, &id, |d| attempts(d) == 1).await;
    assert_eq!(first["state"], "pending");
    assert_eq!(first["last_status"], 500);
    // 30 s after the first failure, then twice as long each time.
    assert_eq!(first["next_attempt_at"], rfc3339(start + 30));
    manual.advance(30);
    let second = delivery_when(&app, &acme, &hook_id, &id, |d| attempts(d) == 2).await;
    assert_eq!(second["next_attempt_at"], rfc3339(start + 30 + 60));

    // A redirect is an answer that is not a success: not followed.
    receiver.answer(307);
    manual.advance(60);
    let third = delivery_when(&app, &acme, &hook_id, &id, |d| attempts(d) == 3).await;
    assert_eq!(third["last_status"], 307);
    assert_eq!(third["state"], "pending");
    assert!(receiver.received().iter().all(|r| r.path == "/hooks"));
    assert_eq!(receiver.received().len(), 3);

    // Past the retry period (an hour here) it is given up, and the
    // endpoint, failing since the first attempt, is disabled.
    manual.advance(3600);
    let given_up = delivery_when(&app, &acme, &hook_id, &id, |d| d["state"] == "failed").await;
    assert_eq!(given_up["state"], "failed");
    assert_eq!(attempts(&given_up), 4);
    let (_, endpoint) = call(
        &app,
        Method::GET,
        &format!("{}/{hook_id}", base(&acme)),
        None,
    )
    .await;
    assert_eq!(endpoint["enabled"], false, "{endpoint}");
    assert_eq!(endpoint["failing_since"], rfc3339(start));
    assert!(endpoint["disabled_reason"]
        .as_str()
        .is_some_and(|r| r.contains("1 h")));
    let mut text = String::new();
    for _ in 0..3 {
        let mail = app.mail_to(OWNER).await;
        if mail
            .subject
            .as_deref()
            .is_some_and(|s| s.contains("webhook"))
        {
            text = mail.text.unwrap_or_default();
            break;
        }
    }
    assert!(text.contains(&format!("{}/hooks", receiver.url)), "{text}");
    assert!(text.contains("/dashboard/t/acme/webhooks"), "{text}");
    let audit = AuditStore::new(app.database.pool.clone())
        .recent(acme.id, 100)
        .await
        .expect("audit");
    assert!(audit
        .iter()
        .any(|e| e.kind == "webhook" && e.outcome == "disabled"));

    // Enabled again and answering: a redelivery of the failed one goes
    // out once, and the failure record is forgotten.
    receiver.answer(200);
    let (status, enabled) = call(
        &app,
        Method::PATCH,
        &format!("{}/{hook_id}", base(&acme)),
        Some(json!({"enabled": true})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(enabled["enabled"], true);
    assert!(enabled["failing_since"].is_null());
    let (status, _) = call(
        &app,
        Method::POST,
        &format!("{}/{hook_id}/deliveries/{id}/redeliver", base(&acme)),
        None,
    )
    .await;
    assert_eq!(status, 202);
    let delivered = delivery_when(&app, &acme, &hook_id, &id, |d| d["state"] == "delivered").await;
    assert_eq!(delivered["state"], "delivered");
    assert_eq!(attempts(&delivered), 5);
    assert_eq!(delivered["attempt_log"][4]["status"], 200);
}

both_engines!(
    retries,
    failures_are_retried_then_given_up_and_the_endpoint_disabled
);

async fn the_outbox_survives_a_restart(engine: Engine) {
    let receiver = Receiver::start().await;
    let manual = Arc::new(ManualClock::new(unix_now()));
    let clock: SharedClock = manual.clone();
    // The instance that serves the pages delivers nothing; peers do.
    let app =
        spawn_app_with_clock(engine, &[PRIVATE, ("AUTH_WEBHOOKS", "off")], clock.clone()).await;
    let acme = app.tenant("acme", json!({})).await;
    let (hook, _) = add(
        &app,
        &acme,
        &format!("{}/hooks", receiver.url),
        &["user.created"],
    )
    .await;
    let hook_id = hook["id"].as_str().expect("id").to_owned();
    let (_, first_peer) = app.spawn_stoppable_peer(clock.clone(), &[PRIVATE]).await;

    // The first event is tried and refused; the instance then stops.
    receiver.answer(503);
    app.signup_verified(&app.web(), "acme", ALICE, PASSWORD)
        .await;
    let got = receiver.wait_for(1).await;
    assert_eq!(got.len(), 1);
    let alice_event = got[0].event_id.clone();
    first_peer.stop(true).await;

    // A second event while no instance delivers.
    app.signup_verified(&app.web(), "acme", "bob@example.com", PASSWORD)
        .await;
    receiver.answer(200);
    // Past the retry's time, and past the stopped instance's lease should
    // it not have given it back.
    manual.advance(31);
    app.spawn_stoppable_peer(clock, &[PRIVATE]).await;
    let got = receiver.wait_for(3).await;
    let delivered: Vec<&str> = got[1..].iter().map(|r| r.event_id.as_str()).collect();
    assert!(delivered.contains(&alice_event.as_str()), "{delivered:?}");
    assert_eq!(got.len(), 3, "each event once more, no more");
    assert!(got.iter().all(|r| r.event_type == "user.created"));
    let (_, list) = call(
        &app,
        Method::GET,
        &format!("{}/{hook_id}/deliveries", base(&acme)),
        None,
    )
    .await;
    let states: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|d| d["state"].as_str())
        .collect();
    assert_eq!(states.len(), 2);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (_, list) = call(
            &app,
            Method::GET,
            &format!("{}/{hook_id}/deliveries", base(&acme)),
            None,
        )
        .await;
        let all_delivered = list["items"]
            .as_array()
            .is_some_and(|items| items.iter().all(|d| d["state"] == "delivered"));
        if all_delivered {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{list}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

both_engines!(restart, the_outbox_survives_a_restart);

fn rfc3339(unix: i64) -> String {
    service_kit::clock::rfc3339(unix)
}
