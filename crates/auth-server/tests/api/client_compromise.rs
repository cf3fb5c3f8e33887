//! A client's secret marked compromised through the management API: a new
//! secret at once and the old one refused, the client's refresh tokens and
//! access tokens revoked, its earlier client_credentials tokens inactive,
//! the client working again with the new secret, a security incident in the
//! audit trail and mailed to the owners (never the secret; once per alert
//! interval; a mark made by another process, as the CLI's, mailed by the
//! running server); bad reasons, public clients and other tenants' clients
//! are refused with nothing changed.
use std::sync::Arc;

use auth_server::domain::tenant::TenantId;
use auth_server::store::audit::AuditStore;
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::clock::ManualClock;
use service_kit::db::Engine;

use crate::helpers::{assert_problem, spawn_app_with_clock, TestApp, PASSWORD};
use crate::oidc::{code_flow, create_client, introspect, token, TestClient};

fn now() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    i64::try_from(secs).expect("i64")
}

async fn mark(app: &TestApp, tenant: &str, client: &str, body: Value) -> reqwest::Response {
    app.admin(
        Method::POST,
        &format!("/manage/v1/tenants/{tenant}/clients/{client}/secret-compromised"),
    )
    .json(&body)
    .send()
    .await
    .expect("sent")
}

async fn cc_token(app: &TestApp, client: &TestClient) -> (u16, Value) {
    token(
        app,
        "acme",
        client,
        &[("grant_type", "client_credentials"), ("scope", "api:read")],
    )
    .await
}

/// The tenant's `sentinel` events: (outcome, detail).
async fn incidents(app: &TestApp, tenant: &str) -> Vec<(String, Value)> {
    let tenant = TenantId::parse(tenant).expect("tenant id");
    AuditStore::new(app.database.pool.clone())
        .recent(tenant, 100)
        .await
        .expect("audit")
        .into_iter()
        .filter(|e| e.kind == "sentinel")
        .map(|e| {
            let detail = serde_json::from_str(&e.detail).expect("detail is JSON");
            (e.outcome, detail)
        })
        .collect()
}

async fn a_leaked_secret_is_replaced_and_what_it_got_is_revoked(engine: Engine) {
    let clock = Arc::new(ManualClock::new(now()));
    let app = spawn_app_with_clock(engine, &[], clock.clone()).await;
    let tenant = app.tenant("acme", json!({})).await.id.to_string();
    let web = app.web();
    app.signup_verified(&web, "acme", "alice@example.com", PASSWORD)
        .await;
    let client = create_client(&app, &tenant, json!({"first_party": true})).await;
    let api = create_client(&app, &tenant, json!({"privileges": ["introspect:any"]})).await;
    let tokens = code_flow(&app, &web, "acme", &client, "alice@example.com", PASSWORD).await;
    let access = tokens["access_token"].as_str().expect("at").to_owned();
    let refresh = tokens["refresh_token"].as_str().expect("rt").to_owned();
    let (status, cc) = cc_token(&app, &client).await;
    assert_eq!(status, 200, "{cc}");
    let cc = cc["access_token"].as_str().expect("cc token").to_owned();
    for t in [&access, &refresh, &cc] {
        assert_eq!(introspect(&app, "acme", &api, t).await["active"], true);
    }

    clock.advance(1);
    let resp = mark(
        &app,
        &tenant,
        &client.id,
        json!({"reason": "pushed to GitHub"}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let body: Value = resp.json().await.expect("json");
    let new_secret = body["client_secret"]
        .as_str()
        .expect("new secret")
        .to_owned();
    assert_ne!(Some(new_secret.as_str()), client.secret.as_deref());

    // The old secret is refused at once, with no overlap.
    let (status, _) = cc_token(&app, &client).await;
    assert_eq!(status, 401, "the old secret");
    // What the client held is revoked.
    for (what, t) in [
        ("access token", &access),
        ("refresh token", &refresh),
        ("client_credentials token", &cc),
    ] {
        assert_eq!(
            introspect(&app, "acme", &api, t).await["active"],
            false,
            "{what}"
        );
    }
    let renewed = TestClient {
        id: client.id.clone(),
        secret: Some(new_secret),
    };
    let (status, refused) = token(
        &app,
        "acme",
        &renewed,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["error"], "invalid_grant");
    // The client works again with its new secret.
    clock.advance(1);
    let (status, fresh) = cc_token(&app, &renewed).await;
    assert_eq!(status, 200, "{fresh}");
    let fresh = fresh["access_token"].as_str().expect("token");
    assert_eq!(introspect(&app, "acme", &api, fresh).await["active"], true);

    let found = incidents(&app, &tenant).await;
    let (_, detail) = found
        .iter()
        .find(|(o, _)| o == "client_secret_compromised")
        .expect("the incident is recorded");
    assert_eq!(detail["subject"], client.id.as_str());
    assert_eq!(detail["reason"], "pushed to GitHub");
    assert_eq!(detail["by"], "by the operator");
    assert_eq!(detail["evidence"]["grants_revoked"], 1);
    assert!(detail["incident"].as_str().is_some_and(|i| !i.is_empty()));
}
both_engines!(
    secret_compromised,
    a_leaked_secret_is_replaced_and_what_it_got_is_revoked
);

async fn bad_marks_change_nothing(engine: Engine) {
    let clock = Arc::new(ManualClock::new(now()));
    let app = spawn_app_with_clock(engine, &[], clock.clone()).await;
    let tenant = app.tenant("acme", json!({})).await.id.to_string();
    let other = app.tenant("other", json!({})).await.id.to_string();
    let client = create_client(&app, &tenant, json!({})).await;
    let public = create_client(
        &app,
        &tenant,
        json!({"kind": "public", "grant_types": ["authorization_code", "refresh_token"], "scopes": ["openid"]}),
    )
    .await;
    for reason in [
        json!(""),
        json!("   "),
        json!("two\nlines"),
        json!("x".repeat(201)),
    ] {
        let resp = mark(&app, &tenant, &client.id, json!({ "reason": reason })).await;
        assert_problem(resp, 422, "invalid-input").await;
    }
    for body in [
        json!({}),
        json!({"reason": 5}),
        json!({"reason": "r", "why": "x"}),
    ] {
        let resp = mark(&app, &tenant, &client.id, body.clone()).await;
        assert_eq!(resp.status(), 400, "{body}");
    }
    let resp = mark(&app, &tenant, &public.id, json!({"reason": "r"})).await;
    assert_problem(resp, 409, "client-has-no-secret").await;
    let resp = mark(&app, &other, &client.id, json!({"reason": "r"})).await;
    assert_problem(resp, 404, "client-not-found").await;

    // The secret still works and nothing was recorded.
    let (status, body) = cc_token(&app, &client).await;
    assert_eq!(status, 200, "{body}");
    assert!(incidents(&app, &tenant)
        .await
        .iter()
        .all(|(o, _)| o != "client_secret_compromised"));
}
both_engines!(secret_compromised_refusals, bad_marks_change_nothing);

/// The next security alert mailed to `to`: its text.
async fn alert_to(app: &TestApp, to: &str) -> String {
    for _ in 0..3 {
        let mail = app.mail_to(to).await;
        if mail
            .subject
            .as_deref()
            .is_some_and(|t| t.contains("sécurité"))
        {
            return mail.text.unwrap_or_default();
        }
    }
    panic!("no security alert for {to}");
}

async fn alerted(app: &TestApp, tenant: &str) -> usize {
    incidents(app, tenant)
        .await
        .iter()
        .filter(|(o, _)| o == "alerted")
        .count()
}

async fn the_owners_are_mailed_without_the_secret_once_per_interval(engine: Engine) {
    const OWNER: &str = "owner@acme.example";
    let clock = Arc::new(ManualClock::new(now()));
    let app = spawn_app_with_clock(engine, &[("AUTH_SENTINEL", "on")], clock.clone()).await;
    let acme = app.tenant("acme", json!({})).await;
    let tenant = acme.id.to_string();
    crate::dashboard_pages::platform_user(&app, OWNER).await;
    crate::dashboard_pages::make_owner(&app, &acme, OWNER).await;
    let client = create_client(&app, &tenant, json!({})).await;
    let old_secret = client.secret.clone().expect("secret");

    let resp = mark(
        &app,
        &tenant,
        &client.id,
        json!({"reason": "pasted in a ticket"}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("json");
    let new_secret = body["client_secret"].as_str().expect("secret").to_owned();
    let text = alert_to(&app, OWNER).await;
    for expected in [
        client.id.as_str(),
        "pasted in a ticket",
        "l'opérateur",
        "the operator",
        "/dashboard/t/acme/events",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    assert!(
        !text.contains(&new_secret),
        "the new secret is never mailed"
    );
    assert!(!text.contains(&old_secret));
    let stored = AuditStore::new(app.database.pool.clone())
        .recent(acme.id, 100)
        .await
        .expect("audit");
    assert!(stored.iter().all(|e| !e.detail.contains(&new_secret)));

    // Marked again by another process on the same database (as the CLI
    // does: it sends no mail itself), within the alert interval: recorded,
    // not mailed.
    let other = app.instance_state(clock.clone());
    let id = auth_server::domain::client::ClientId::parse(&client.id).expect("id");
    let reason = |r: &str| auth_server::domain::sentinel::reason::Reason::parse(r).expect("r");
    other
        .manage
        .clients
        .secret_compromised(
            acme.id,
            &id,
            &reason("second leak"),
            &auth_server::manage::Actor::Operator,
        )
        .await
        .expect("marked");
    let waiting = auth_server::store::reported_incidents::ReportedIncidentStore::new(
        app.database.pool.clone(),
    );
    assert!(
        crate::sentinel::within(5, || async { waiting.due().await.expect("due").is_empty() }).await,
        "the sentinel took the alert"
    );
    assert_eq!(alerted(&app, &tenant).await, 1, "one alert per interval");

    // After the interval, the running server mails what the other process
    // recorded.
    clock.advance(901);
    other
        .manage
        .clients
        .secret_compromised(
            acme.id,
            &id,
            &reason("third leak"),
            &auth_server::manage::Actor::Operator,
        )
        .await
        .expect("marked");
    let text = alert_to(&app, OWNER).await;
    assert!(text.contains("third leak"), "{text}");
    assert_eq!(alerted(&app, &tenant).await, 2);
}
both_engines!(
    secret_compromised_alert,
    the_owners_are_mailed_without_the_secret_once_per_interval
);
