//! Probing the management API: bad bearer tokens from one address, sent
//! from a socket bound to that loopback address, get it blocked on the
//! management API of every instance within seconds (403, whatever token it
//! sends), while the operator's valid token from another address works and
//! the address's tenant pages stay open; the reports, the incident and the
//! block are recorded on the `platform` tenant, the block is listed and
//! lifted like any other. Fewer 401s than the threshold, or from a
//! never-blocked address, block nothing.
use std::net::IpAddr;
use std::sync::Arc;

use auth_server::domain::tenant::Tenant;
use auth_server::store::audit::AuditStore;
use auth_server::store::tenants::TenantStore;
use reqwest::{Client, Method};
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::clock::{Clock, ManualClock, SharedClock, SystemClock};
use service_kit::db::Engine;

use crate::helpers::{assert_problem, spawn_app_with_clock, TestApp};
use crate::sentinel::within;

/// An HTTP client whose connections come from `ip` (any 127.x address is
/// the loopback interface on Linux).
fn client_at(ip: &str) -> Client {
    Client::builder()
        .local_address(ip.parse::<IpAddr>().expect("ip"))
        .build()
        .expect("client")
}

/// `GET /manage/v1/tenants` with `token`: the status.
async fn list_tenants(app: &TestApp, client: &Client, token: &str) -> u16 {
    client
        .get(app.url("/manage/v1/tenants"))
        .bearer_auth(token)
        .send()
        .await
        .expect("sent")
        .status()
        .as_u16()
}

async fn platform(app: &TestApp) -> Tenant {
    TenantStore::new(app.database.pool.clone())
        .get_by_slug("platform")
        .await
        .expect("platform tenant")
}

/// The platform tenant's events of `kind`: (outcome, ip, detail).
async fn events(app: &TestApp, kind: &str) -> Vec<(String, String, Value)> {
    let platform = platform(app).await;
    AuditStore::new(app.database.pool.clone())
        .recent(platform.id, 10_000)
        .await
        .expect("audit")
        .into_iter()
        .filter(|e| e.kind == kind)
        .map(|e| {
            let detail = serde_json::from_str(&e.detail).unwrap_or(Value::Null);
            (e.outcome, e.ip, detail)
        })
        .collect()
}

/// 401s reported for `ip`.
async fn reported(app: &TestApp, ip: &str) -> u64 {
    events(app, "manage_auth")
        .await
        .iter()
        .filter(|(_, at, _)| at == ip)
        .map(|(_, _, d)| d["failures"].as_u64().unwrap_or(0))
        .sum()
}

async fn platform_blocks(app: &TestApp) -> Vec<Value> {
    let platform = platform(app).await;
    let list = app
        .admin_json(&format!("/manage/v1/tenants/{}/blocks", platform.id))
        .await;
    list["items"].as_array().expect("items").clone()
}

async fn start(engine: Engine, extra: &[(&str, &str)]) -> (TestApp, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let mut env = vec![("AUTH_SENTINEL", "on")];
    env.extend_from_slice(extra);
    let app = spawn_app_with_clock(engine, &env, clock.clone() as SharedClock).await;
    (app, clock)
}

async fn a_burst_of_bad_tokens_blocks_that_address_on_the_management_api(engine: Engine) {
    let (app, clock) = start(engine, &[]).await;
    let peer = app.spawn_peer(clock.clone() as SharedClock).await;
    app.tenant("acme", json!({})).await;
    let attacker = client_at("127.0.1.7");
    let operator = client_at("127.0.2.9");
    for i in 0..25 {
        let status = list_tenants(&app, &attacker, &format!("guess-{i}")).await;
        assert!(status == 401 || status == 403, "{status}");
    }
    assert!(
        within(5, || async {
            list_tenants(&app, &attacker, "guess-again").await == 403
        })
        .await,
        "blocked within 5 s"
    );
    let refused = attacker
        .get(app.url("/manage/v1/tenants"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .expect("sent");
    assert!(refused.headers().get("retry-after").is_some());
    assert_eq!(refused.headers()["cache-control"], "no-store");
    assert_problem(refused, 403, "forbidden").await;
    // The other instance refuses it too, within its refresh.
    let at_peer = || async {
        attacker
            .get(format!("{peer}/manage/v1/tenants"))
            .bearer_auth("guess")
            .send()
            .await
            .expect("sent")
            .status()
            .as_u16()
            == 403
    };
    assert!(within(3, at_peer).await, "every instance");

    // The operator from elsewhere is not locked out, and the address's
    // tenant pages are not blocked.
    assert_eq!(list_tenants(&app, &operator, &app.admin_token).await, 200);
    let page = attacker
        .get(app.url("/t/acme/.well-known/openid-configuration"))
        .send()
        .await
        .expect("sent");
    assert_eq!(page.status(), 200);

    // What the trail and the block list say.
    assert!(reported(&app, "127.0.1.7").await >= 20);
    let incident = events(&app, "sentinel")
        .await
        .into_iter()
        .find(|(o, _, _)| o == "manage_probe")
        .map(|(_, _, d)| d)
        .expect("incident recorded");
    assert_eq!(incident["subject"], "127.0.1.7/32");
    assert_eq!(incident["blocking"], json!(["127.0.1.7/32"]));
    assert!(incident["evidence"]["failures"].as_u64() >= Some(20));
    let blocked = events(&app, "sentinel")
        .await
        .into_iter()
        .find(|(o, _, _)| o == "blocked")
        .map(|(_, _, d)| d)
        .expect("block recorded");
    assert_eq!(blocked["applies_to"], "manage");
    assert_eq!(blocked["incident"], incident["incident"]);
    let listed = platform_blocks(&app).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["network"], "127.0.1.7/32");
    assert_eq!(listed[0]["applies_to"], "manage");
    assert_eq!(listed[0]["created_by"], "sentinel");

    // The operator lifts it: the address is answered again (401 for a bad
    // token), on both instances.
    let platform = platform(&app).await;
    let lifted = app
        .admin(
            Method::DELETE,
            &format!(
                "/manage/v1/tenants/{}/blocks/{}",
                platform.id,
                listed[0]["id"].as_str().expect("id")
            ),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(lifted.status(), 204);
    assert!(
        within(3, || async {
            list_tenants(&app, &attacker, "guess").await == 401
        })
        .await
    );
}
both_engines!(
    manage_probe_blocked,
    a_burst_of_bad_tokens_blocks_that_address_on_the_management_api
);

async fn below_the_threshold_or_never_blocked_nothing_is_blocked(engine: Engine) {
    let (app, clock) = start(
        engine,
        &[("AUTH_SENTINEL_NEVER_BLOCK", "127.0.0.1,::1,127.0.3.0/24")],
    )
    .await;
    let prober = client_at("127.0.1.8");
    let spared = client_at("127.0.3.3");
    for i in 0..19 {
        assert_eq!(
            list_tenants(&app, &prober, &format!("guess-{i}")).await,
            401
        );
    }
    for i in 0..25 {
        assert_eq!(
            list_tenants(&app, &spared, &format!("guess-{i}")).await,
            401
        );
    }
    // The first 401s are reported at once, the others within a minute.
    assert!(within(3, || async { reported(&app, "127.0.1.8").await >= 1 }).await);
    clock.advance(61);
    assert!(within(3, || async { reported(&app, "127.0.1.8").await == 19 }).await);
    assert!(within(3, || async { reported(&app, "127.0.3.3").await == 25 }).await);
    // The never-blocked address raised an incident that spared it.
    assert!(
        within(5, || async {
            events(&app, "sentinel")
                .await
                .iter()
                .any(|(o, _, d)| o == "manage_probe" && d["spared"] == json!(["127.0.3.3/32"]))
        })
        .await
    );
    // Two more sentinel rounds: 19 in the window stay under the threshold.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(list_tenants(&app, &spared, "guess").await, 401);
    assert!(platform_blocks(&app).await.is_empty());
    let incidents: Vec<Value> = events(&app, "sentinel")
        .await
        .into_iter()
        .filter(|(o, _, _)| o == "manage_probe")
        .map(|(_, _, d)| d)
        .collect();
    assert_eq!(incidents.len(), 1, "only the spared address: {incidents:?}");
    // One more makes 20 within the window: blocked.
    assert!(
        within(5, || async {
            list_tenants(&app, &prober, "guess").await == 403
        })
        .await,
        "the threshold is reached"
    );
}
both_engines!(
    manage_probe_threshold,
    below_the_threshold_or_never_blocked_nothing_is_blocked
);
