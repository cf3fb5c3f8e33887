//! Event webhooks on the real server (docs/webhooks.md): a tenant's
//! endpoint receives the events it subscribed to, signed with its secret;
//! failures are retried with backoff under a controllable clock, then given
//! up, and an endpoint failing for the whole retry period is disabled and
//! its owners told; the outbox survives a restart; endpoints inside the
//! server's network are refused; bad input changes nothing.
use std::sync::Arc;

use auth_server::domain::tenant::Tenant;
use auth_server::store::audit::AuditStore;
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::clock::{ManualClock, SharedClock};
use service_kit::db::Engine;

use crate::billing_e2e::unix_now;
use crate::dashboard_pages::{make_owner, platform_user};
use crate::helpers::{assert_problem, spawn_app_with, spawn_app_with_clock, TestApp, PASSWORD};
use crate::webhook_receiver::Receiver;

const ALICE: &str = "alice@example.com";
const OWNER: &str = "founder@acme.example";
/// Loopback receivers need private endpoints allowed.
const PRIVATE: (&str, &str) = ("AUTH_WEBHOOK_ALLOW_PRIVATE", "true");

fn base(tenant: &Tenant) -> String {
    format!("/manage/v1/tenants/{}/webhooks", tenant.id)
}

/// Adds an endpoint; its view and secret.
async fn add(app: &TestApp, tenant: &Tenant, url: &str, events: &[&str]) -> (Value, String) {
    let resp = app
        .admin(Method::POST, &base(tenant))
        .json(&json!({"url": url, "events": events, "description": "test receiver"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 201);
    assert_eq!(
        resp.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let body: Value = resp.json().await.expect("json");
    let secret = body["secret"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    (body, secret)
}

async fn call(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = app.admin(method, path);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.expect("sent");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// The delivery `id` of endpoint `webhook`, once `done` holds of it (within 10 s).
async fn delivery_when(
    app: &TestApp,
    tenant: &Tenant,
    webhook: &str,
    id: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let path = format!("{}/{webhook}/deliveries/{id}", base(tenant));
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (status, delivery) = call(app, Method::GET, &path, None).await;
        assert_eq!(status, 200, "{delivery}");
        if done(&delivery) || tokio::time::Instant::now() >= deadline {
            return delivery;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

fn attempts(delivery: &Value) -> usize {
    delivery["attempt_log"].as_array().map_or(0, Vec::len)
}

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

async fn endpoints_inside_the_network_are_refused(engine: Engine) {
    let receiver = Receiver::start().await;
    let app = spawn_app_with(engine, &[]).await;
    let acme = app.tenant("acme", json!({})).await;
    for url in [
        format!("http://hooks.acme.example:{}/", receiver.port),
        format!("https://127.0.0.1:{}/", receiver.port),
        "https://169.254.169.254/latest/meta-data".to_owned(),
        "https://[::1]/".to_owned(),
    ] {
        let resp = app
            .admin(Method::POST, &base(&acme))
            .json(&json!({"url": url, "events": ["user.created"]}))
            .send()
            .await
            .expect("sent");
        assert_problem(resp, 422, "invalid-input").await;
    }
    // A name is checked when it is resolved: localhost has no public address.
    let (hook, _) = add(
        &app,
        &acme,
        &format!("https://localhost:{}/hooks", receiver.port),
        &["user.created"],
    )
    .await;
    let hook_id = hook["id"].as_str().expect("id").to_owned();
    let (_, test) = call(
        &app,
        Method::POST,
        &format!("{}/{hook_id}/test", base(&acme)),
        None,
    )
    .await;
    let id = test["delivery_id"].as_str().expect("id").to_owned();
    let tried = delivery_when(&app, &acme, &hook_id, &id, |d| attempts(d) == 1).await;
    let error = tried["last_error"].as_str().unwrap_or_default();
    assert!(error.contains("no public address"), "{tried}");
    assert!(tried["last_status"].is_null());
    assert!(receiver.received().is_empty());
}

both_engines!(ssrf, endpoints_inside_the_network_are_refused);

async fn bad_input_is_refused_and_changes_nothing(engine: Engine) {
    let app = spawn_app_with(engine, &[("AUTH_WEBHOOKS", "off")]).await;
    let acme = app.tenant("acme", json!({})).await;
    let beta = app.tenant("beta", json!({})).await;
    let url = "https://hooks.acme.example/in";
    for (body, status, code) in [
        (json!({"url": url, "events": []}), 422, "invalid-input"),
        (
            json!({"url": url, "events": ["user.*"]}),
            422,
            "invalid-input",
        ),
        (
            json!({"url": "ftp://hooks.acme.example/", "events": ["user.created"]}),
            422,
            "invalid-input",
        ),
        (
            json!({"url": url, "events": ["user.created"], "description": "x".repeat(201)}),
            422,
            "invalid-input",
        ),
        (
            json!({"url": url, "events": ["user.created"], "secret": "mine"}),
            400,
            "bad-request",
        ),
        (json!({"url": url}), 400, "bad-request"),
        (json!([]), 400, "bad-request"),
    ] {
        let resp = app
            .admin(Method::POST, &base(&acme))
            .json(&body)
            .send()
            .await
            .expect("sent");
        assert_problem(resp, status, code).await;
    }
    let (_, list) = call(&app, Method::GET, &base(&acme), None).await;
    assert_eq!(list["items"], json!([]), "nothing was created");

    let (hook, _) = add(&app, &acme, url, &["user.created"]).await;
    let hook_id = hook["id"].as_str().expect("id").to_owned();
    let path = format!("{}/{hook_id}", base(&acme));
    let resp = app
        .admin(Method::PATCH, &path)
        .json(&json!({"events": ["login.failed", "nope"]}))
        .send()
        .await
        .expect("sent");
    assert_problem(resp, 422, "invalid-input").await;
    let (_, after) = call(&app, Method::GET, &path, None).await;
    assert_eq!(after["events"], json!(["user.created"]), "unchanged");

    // Another tenant's path does not reach it; neither does a delivery of
    // another endpoint, nor a page cursor that is not one.
    for method in [Method::GET, Method::PATCH, Method::DELETE] {
        let resp = app
            .admin(method, &format!("{}/{hook_id}", base(&beta)))
            .json(&json!({}))
            .send()
            .await
            .expect("sent");
        assert_problem(resp, 404, "not-found").await;
    }
    let (_, test) = call(&app, Method::POST, &format!("{path}/test"), None).await;
    let delivery = test["delivery_id"].as_str().expect("id").to_owned();
    let (other, _) = add(
        &app,
        &acme,
        "https://crm.acme.example/in",
        &["login.failed"],
    )
    .await;
    let other_id = other["id"].as_str().expect("id");
    let resp = app
        .admin(
            Method::GET,
            &format!("{}/{other_id}/deliveries/{delivery}", base(&acme)),
        )
        .send()
        .await
        .expect("sent");
    assert_problem(resp, 404, "not-found").await;
    let resp = app
        .admin(Method::GET, &format!("{path}/deliveries?after=zzz"))
        .send()
        .await
        .expect("sent");
    assert_problem(resp, 422, "invalid-input").await;

    // At most 20 endpoints.
    for n in 2..20 {
        add(
            &app,
            &acme,
            &format!("https://h{n}.acme.example/"),
            &["user.created"],
        )
        .await;
    }
    let resp = app
        .admin(Method::POST, &base(&acme))
        .json(&json!({"url": url, "events": ["user.created"]}))
        .send()
        .await
        .expect("sent");
    assert_problem(resp, 422, "invalid-input").await;
    let (_, list) = call(&app, Method::GET, &base(&acme), None).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(20));

    // Deleted with its deliveries.
    let (status, _) = call(&app, Method::DELETE, &path, None).await;
    assert_eq!(status, 204);
    let resp = app
        .admin(Method::GET, &format!("{path}/deliveries/{delivery}"))
        .send()
        .await
        .expect("sent");
    assert_problem(resp, 404, "not-found").await;
}

both_engines!(refusals, bad_input_is_refused_and_changes_nothing);

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

fn rfc3339(unix: i64) -> String {
    service_kit::clock::rfc3339(unix)
}

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
