//! A signing key marked compromised through the management API: the
//! emergency rotation. The key (and, when it signed, the next key beside
//! it) leaves the key set at once, a key made now signs at once, the
//! tokens it signed are refused at introspection and userinfo here and on
//! another instance within the cache bound, refresh tokens keep working and
//! get tokens of the new key; the incident, the `key_rotated` event and the
//! owner's alert mail (no secret in it); a key revoked before is refused
//! with no second incident; bad input changes nothing.
use std::sync::Arc;

use auth_server::domain::tenant::Tenant;
use auth_server::store::audit::AuditStore;
use auth_server::store::sentinel::SentinelStore;
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::clock::{Clock, ManualClock, SharedClock, SystemClock};
use service_kit::db::Engine;

use crate::dashboard_pages::{make_owner, platform_user};
use crate::helpers::{
    assert_problem, spawn_app_with_clock, within_the_cache_bound, TestApp, PASSWORD,
};
use crate::oidc::{basic, code_flow, create_client, header, introspect, token, TestClient};

const OWNER: &str = "keeper@acme.example";

async fn mark(app: &TestApp, tenant: &str, kid: &str, body: Value) -> reqwest::Response {
    app.admin(
        Method::POST,
        &format!("/manage/v1/tenants/{tenant}/keys/{kid}/compromised"),
    )
    .json(&body)
    .send()
    .await
    .expect("sent")
}

async fn keys(app: &TestApp, tenant: &Tenant) -> Vec<Value> {
    let list = app
        .admin_json(&format!("/manage/v1/tenants/{}/keys", tenant.id))
        .await;
    list["items"].as_array().expect("items").clone()
}

fn kid_of<'a>(keys: &'a [Value], alg: &str, state: &str) -> &'a str {
    keys.iter()
        .find(|k| k["alg"] == alg && k["state"] == state)
        .and_then(|k| k["kid"].as_str())
        .unwrap_or_else(|| panic!("no {state} {alg} key in {keys:?}"))
}

fn state_of(keys: &[Value], kid: &str) -> String {
    keys.iter()
        .find(|k| k["kid"] == kid)
        .and_then(|k| k["state"].as_str())
        .unwrap_or("absent")
        .to_owned()
}

/// The kids the tenant `slug` publishes (reading them makes the tenant's
/// keys when it has none yet).
async fn published_kids(base: &str, slug: &str) -> Vec<String> {
    let jwks: Value = reqwest::get(format!("{base}/t/{slug}/jwks.json"))
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter_map(|k| k["kid"].as_str().map(str::to_owned))
        .collect()
}

async fn jwks_kids(base: &str) -> Vec<String> {
    published_kids(base, "acme").await
}

/// The next security alert mailed to the owner: its text.
async fn alert(app: &TestApp) -> String {
    for _ in 0..3 {
        let mail = app.mail_to(OWNER).await;
        if mail
            .subject
            .as_deref()
            .is_some_and(|t| t.contains("sécurité"))
        {
            return mail.text.unwrap_or_default();
        }
    }
    panic!("no security alert for {OWNER}");
}

async fn userinfo(app: &TestApp, access: &str) -> u16 {
    app.client
        .get(app.url("/t/acme/userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .expect("sent")
        .status()
        .as_u16()
}

async fn introspect_at(base: &str, client: &TestClient, token: &str) -> Value {
    reqwest::Client::new()
        .post(format!("{base}/t/acme/introspect"))
        .header("authorization", basic(client))
        .form(&[("token", token)])
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json")
}

/// The tenant's events of `kind`: (outcome, detail), oldest first.
async fn events(app: &TestApp, tenant: &Tenant, kind: &str) -> Vec<(String, Value)> {
    let mut found: Vec<(String, Value)> = AuditStore::new(app.database.pool.clone())
        .recent(tenant.id, 1000)
        .await
        .expect("audit")
        .into_iter()
        .filter(|e| e.kind == kind)
        .map(|e| {
            let detail = serde_json::from_str(&e.detail).unwrap_or(Value::Null);
            (e.outcome, detail)
        })
        .collect();
    found.reverse();
    found
}

async fn incidents(app: &TestApp, tenant: &Tenant) -> i64 {
    SentinelStore::new(app.database.pool.clone())
        .incident_count(tenant.id, "signing_key_compromised")
        .await
        .expect("count")
}

struct Scene {
    app: TestApp,
    clock: Arc<ManualClock>,
    tenant: Tenant,
    client: TestClient,
    api: TestClient,
}

async fn scene(engine: Engine) -> Scene {
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let app = spawn_app_with_clock(
        engine,
        &[("AUTH_SENTINEL", "on")],
        clock.clone() as SharedClock,
    )
    .await;
    let tenant = app.tenant("acme", json!({})).await;
    platform_user(&app, OWNER).await;
    make_owner(&app, &tenant, OWNER).await;
    let id = tenant.id.to_string();
    let client = create_client(&app, &id, json!({"first_party": true})).await;
    let api = create_client(&app, &id, json!({"privileges": ["introspect:any"]})).await;
    published_kids(&app.address, "acme").await;
    Scene {
        app,
        clock,
        tenant,
        client,
        api,
    }
}

async fn the_signing_key_is_revoked_and_replaced_at_once(engine: Engine) {
    let s = scene(engine).await;
    let app = &s.app;
    let tenant = s.tenant.id.to_string();
    let peer = app.spawn_peer(s.clock.clone() as SharedClock).await;
    let web = app.web();
    app.signup_verified(&web, "acme", "alice@example.com", PASSWORD)
        .await;
    let tokens = code_flow(app, &web, "acme", &s.client, "alice@example.com", PASSWORD).await;
    let access = tokens["access_token"].as_str().expect("at").to_owned();
    let refresh = tokens["refresh_token"].as_str().expect("rt").to_owned();
    let alg = header(&access)["alg"].as_str().expect("alg").to_owned();
    let old = header(&access)["kid"].as_str().expect("kid").to_owned();
    let before = keys(app, &s.tenant).await;
    assert_eq!(kid_of(&before, &alg, "active"), old);
    let old_next = kid_of(&before, &alg, "next").to_owned();
    assert_eq!(
        introspect(app, "acme", &s.api, &access).await["active"],
        true
    );
    assert_eq!(introspect_at(&peer, &s.api, &access).await["active"], true);
    assert_eq!(userinfo(app, &access).await, 200);

    let resp = mark(
        app,
        &tenant,
        &old,
        json!({"reason": " private key found in a core dump "}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let done: Value = resp.json().await.expect("json");
    assert_eq!(done["revoked"], old.as_str());
    assert_eq!(done["alg"], alg.as_str());
    assert_eq!(done["was"], "active");
    assert_eq!(done["next_revoked"], old_next.as_str());
    let new = done["active"]
        .as_str()
        .expect("a new signing key")
        .to_owned();
    let new_next = done["next"].as_str().expect("a new next key").to_owned();
    assert!(
        ![&old, &old_next].contains(&&new) && new != new_next,
        "fresh keys, not the next key that lived beside the compromised one"
    );

    // Out of the key set, and the states say why.
    let published = jwks_kids(&app.address).await;
    assert!(!published.contains(&old) && !published.contains(&old_next));
    assert!(published.contains(&new) && published.contains(&new_next));
    let after = keys(app, &s.tenant).await;
    assert_eq!(state_of(&after, &old), "revoked");
    assert_eq!(state_of(&after, &old_next), "revoked");
    assert_eq!(state_of(&after, &new), "active", "signs with no wait");
    assert_eq!(state_of(&after, &new_next), "next");

    // Its tokens are refused here at once, on the other instance within
    // the cache bound (its clock moved by the bound: it reads the version
    // rows at most once per bound of its clock).
    assert_eq!(
        introspect(app, "acme", &s.api, &access).await["active"],
        false
    );
    assert_eq!(userinfo(app, &access).await, 401);
    s.clock.advance(auth_server::cache::STALE_BOUND_SECS);
    assert!(
        within_the_cache_bound(|| async {
            introspect_at(&peer, &s.api, &access).await["active"] == false
        })
        .await,
        "the other instance refuses it too"
    );
    assert!(jwks_kids(&peer).await.contains(&new));

    // The grant stays: its refresh token gets tokens of the new key.
    let (status, refreshed) = token(
        app,
        "acme",
        &s.client,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    let renewed = refreshed["access_token"].as_str().expect("at");
    assert_eq!(header(renewed)["kid"], new.as_str());
    assert_eq!(
        introspect(app, "acme", &s.api, renewed).await["active"],
        true
    );
    assert_eq!(userinfo(app, renewed).await, 200);

    // The incident and the rotation, for the events list and the webhooks.
    let incident = events(app, &s.tenant, "sentinel")
        .await
        .into_iter()
        .find(|(o, _)| o == "signing_key_compromised")
        .map(|(_, d)| d)
        .expect("incident recorded");
    assert_eq!(incident["incident"], done["incident"]);
    assert_eq!(incident["subject"], old.as_str());
    assert_eq!(incident["reason"], "private key found in a core dump");
    assert_eq!(incident["by"], "by the operator");
    assert_eq!(incident["evidence"]["kid"], old.as_str());
    assert_eq!(incident["evidence"]["alg"], alg.as_str());
    assert_eq!(incident["evidence"]["new_kid"], new.as_str());
    let rotated = events(app, &s.tenant, "key_rotated").await;
    assert_eq!(rotated.len(), 1, "{rotated:?}");
    assert_eq!(rotated[0].0, "compromised");
    assert_eq!(rotated[0].1["revoked"], old.as_str());
    assert_eq!(rotated[0].1["active"], new.as_str());

    // The owner is mailed (the sentinel sends the alert), in both languages.
    let text = alert(app).await;
    for expected in [
        old.as_str(),
        alg.as_str(),
        "private key found in a core dump",
        "l'opérateur",
        "the operator",
        "/dashboard/t/acme/events",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    assert!(
        crate::sentinel::within(5, || async {
            events(app, &s.tenant, "sentinel")
                .await
                .iter()
                .any(|(o, d)| o == "alerted" && d["incident"] == done["incident"])
        })
        .await,
        "the alert is recorded"
    );

    // Once revoked, marking it again changes nothing and opens nothing.
    let again = mark(app, &tenant, &old, json!({"reason": "again"})).await;
    assert_problem(again, 409, "key-revoked").await;
    assert_eq!(incidents(app, &s.tenant).await, 1);
    assert_eq!(keys(app, &s.tenant).await, after);
}
both_engines!(
    signing_key_compromised,
    the_signing_key_is_revoked_and_replaced_at_once
);

async fn next_and_retired_keys_are_revoked_without_touching_the_signer(engine: Engine) {
    let s = scene(engine).await;
    let app = &s.app;
    let tenant = s.tenant.id.to_string();
    let before = keys(app, &s.tenant).await;
    let active = kid_of(&before, "ES256", "active").to_owned();
    let next = kid_of(&before, "ES256", "next").to_owned();

    let resp = mark(app, &tenant, &next, json!({"reason": "seen in a log"})).await;
    assert_eq!(resp.status(), 200);
    let done: Value = resp.json().await.expect("json");
    assert_eq!(done["was"], "next");
    assert_eq!(
        done["active"],
        Value::Null,
        "the signer is not the one that leaked"
    );
    let fresh_next = done["next"].as_str().expect("a new next").to_owned();
    let after = keys(app, &s.tenant).await;
    assert_eq!(state_of(&after, &active), "active");
    assert_eq!(state_of(&after, &next), "revoked");
    assert_eq!(state_of(&after, &fresh_next), "next");

    // A day later the fresh next key signs; the old active one retires and
    // is then marked compromised: revoked, nothing else moves.
    s.clock.advance(24 * 3600);
    let rotated = app
        .admin(
            Method::POST,
            &format!("/manage/v1/tenants/{tenant}/keys/rotate"),
        )
        .json(&json!({"alg": "ES256"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(rotated.status(), 200);
    let resp = mark(
        app,
        &tenant,
        &active,
        json!({"reason": "old backup leaked"}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let done: Value = resp.json().await.expect("json");
    assert_eq!(done["was"], "retired");
    assert_eq!(
        (&done["active"], &done["next"]),
        (&Value::Null, &Value::Null)
    );
    let last = keys(app, &s.tenant).await;
    assert_eq!(state_of(&last, &active), "revoked");
    assert_eq!(state_of(&last, &fresh_next), "active");
    assert!(!jwks_kids(&app.address).await.contains(&active));
    assert_eq!(incidents(app, &s.tenant).await, 2);
    let rotations: Vec<String> = events(app, &s.tenant, "key_rotated")
        .await
        .into_iter()
        .map(|(o, _)| o)
        .collect();
    assert_eq!(
        rotations,
        ["compromised", "success"],
        "a retired key's revocation rotates nothing"
    );
}
both_engines!(
    next_and_retired_keys_compromised,
    next_and_retired_keys_are_revoked_without_touching_the_signer
);

async fn bad_requests_change_no_key_and_open_no_incident(engine: Engine) {
    let s = scene(engine).await;
    let app = &s.app;
    let tenant = s.tenant.id.to_string();
    let other = app.tenant("other", json!({})).await;
    published_kids(&app.address, "other").await;
    let theirs = kid_of(&keys(app, &other).await, "ES256", "active").to_owned();
    let before = keys(app, &s.tenant).await;
    let kid = kid_of(&before, "ES256", "active").to_owned();
    for reason in [
        json!(""),
        json!("   "),
        json!("two\nlines"),
        json!("x".repeat(201)),
    ] {
        let resp = mark(app, &tenant, &kid, json!({ "reason": reason })).await;
        assert_problem(resp, 422, "invalid-input").await;
    }
    for body in [
        json!({}),
        json!({"reason": 7}),
        json!({"reason": "r", "kid": "x"}),
        json!(["r"]),
    ] {
        let resp = mark(app, &tenant, &kid, body.clone()).await;
        assert_eq!(resp.status(), 400, "{body}");
    }
    let resp = mark(app, &tenant, "no-such-kid", json!({"reason": "r"})).await;
    assert_problem(resp, 404, "not-found").await;
    // Another tenant's key is no key of this tenant.
    let resp = mark(app, &tenant, &theirs, json!({"reason": "r"})).await;
    assert_problem(resp, 404, "not-found").await;
    let resp = mark(
        app,
        "00000000-0000-4000-8000-000000000000",
        &kid,
        json!({"reason": "r"}),
    )
    .await;
    assert_problem(resp, 404, "tenant-not-found").await;
    let resp = app
        .client
        .post(app.url(&format!(
            "/manage/v1/tenants/{tenant}/keys/{kid}/compromised"
        )))
        .json(&json!({"reason": "r"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 401);

    assert_eq!(keys(app, &s.tenant).await, before, "nothing moved");
    assert_eq!(state_of(&keys(app, &other).await, &theirs), "active");
    assert_eq!(incidents(app, &s.tenant).await, 0);
    assert_eq!(incidents(app, &other).await, 0);
}
both_engines!(
    key_compromise_refusals,
    bad_requests_change_no_key_and_open_no_incident
);
