//! What each instance caches for the token endpoints stays true: a change is
//! honoured at once by the instance that made it and within one second
//! (`STALE_BOUND_SECS`) by every other instance on the same database.
//! client_credentials tokens have no grant row and stay revocable.
use std::sync::Arc;

use auth_server::cache::STALE_BOUND_SECS;
use auth_server::domain::retention::EventRetention;
use auth_server::domain::signing_alg::SigningAlg;
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::clock::ManualClock;
use service_kit::db::Engine;

use crate::helpers::{spawn_app_with_clock, TestApp};
use crate::oidc::{basic, claims, create_client, introspect, TestClient};

const START: i64 = 1_900_000_000;

struct Peer {
    address: String,
    clock: Arc<ManualClock>,
}

impl Peer {
    async fn start(app: &TestApp) -> Self {
        let clock = Arc::new(ManualClock::new(START));
        let address = app.spawn_peer(clock.clone()).await;
        Self { address, clock }
    }

    /// Time moves on by the bound, as it does between two requests a second apart.
    fn wait_out_the_bound(&self) {
        self.clock.advance(STALE_BOUND_SECS);
    }
}

async fn cc_token_at(app: &TestApp, base: &str, client: &TestClient) -> (u16, Value) {
    let resp = app
        .client
        .post(format!("{base}/t/acme/token"))
        .header("authorization", basic(client))
        .form(&[("grant_type", "client_credentials"), ("scope", "api:read")])
        .send()
        .await
        .expect("sent");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn introspect_at(base: &str, app: &TestApp, caller: &TestClient, token: &str) -> Value {
    app.client
        .post(format!("{base}/t/acme/introspect"))
        .header("authorization", basic(caller))
        .form(&[("token", token)])
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json")
}

async fn grant_rows(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM oauth_grants")
        .fetch_one(&app.database.pool)
        .await
        .expect("count")
}

async fn setup(engine: Engine) -> (TestApp, Arc<ManualClock>, String, TestClient) {
    let clock = Arc::new(ManualClock::new(START));
    let app = spawn_app_with_clock(engine, &[], clock.clone()).await;
    let tenant = app
        .create_tenant(&json!({"slug": "acme", "display_name": "Acme"}))
        .await;
    assert_eq!(tenant.status().as_u16(), 201);
    let tenant_id = tenant.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let service = create_client(&app, &tenant_id, json!({})).await;
    (app, clock, tenant_id, service)
}

async fn client_credentials_tokens_are_stateless_and_revocable(engine: Engine) {
    let (app, clock, tenant_id, service) = setup(engine).await;
    let api = create_client(&app, &tenant_id, json!({"privileges": ["introspect:any"]})).await;
    let rows = grant_rows(&app).await;
    let (status, first) = cc_token_at(&app, &app.address, &service).await;
    assert_eq!(status, 200, "{first}");
    let (_, second) = cc_token_at(&app, &app.address, &service).await;
    assert_eq!(grant_rows(&app).await, rows, "no row is written per token");
    let first = first["access_token"].as_str().expect("at");
    let second = second["access_token"].as_str().expect("at");
    assert!(claims(first).get("gid").is_none());
    assert_eq!(introspect(&app, "acme", &api, first).await["active"], true);

    // Revoking one token refuses that one only, at once.
    let revoked = app
        .client
        .post(app.url("/t/acme/revoke"))
        .header("authorization", basic(&service))
        .form(&[("token", first)])
        .send()
        .await
        .expect("sent");
    assert_eq!(revoked.status().as_u16(), 200);
    assert_eq!(introspect(&app, "acme", &api, first).await["active"], false);
    assert_eq!(introspect(&app, "acme", &api, second).await["active"], true);
    // Another client cannot revoke it.
    let third = cc_token_at(&app, &app.address, &service).await.1;
    let third = third["access_token"].as_str().expect("at");
    app.client
        .post(app.url("/t/acme/revoke"))
        .header("authorization", basic(&api))
        .form(&[("token", third)])
        .send()
        .await
        .expect("sent");
    assert_eq!(introspect(&app, "acme", &api, third).await["active"], true);

    // Rotating the secret ends the tokens issued before it.
    clock.advance(5);
    let rotated = app
        .admin(
            Method::POST,
            &format!(
                "/manage/v1/tenants/{tenant_id}/clients/{}/rotate-secret",
                service.id
            ),
        )
        .json(&json!({"overlap_secs": 0}))
        .send()
        .await
        .expect("sent");
    assert_eq!(rotated.status().as_u16(), 200);
    let new_secret = rotated.json::<Value>().await.expect("json")["client_secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    assert_eq!(
        introspect(&app, "acme", &api, second).await["active"],
        false
    );
    let service = TestClient {
        id: service.id,
        secret: Some(new_secret),
    };
    let (status, fresh) = cc_token_at(&app, &app.address, &service).await;
    assert_eq!(status, 200, "{fresh}");
    let fresh = fresh["access_token"].as_str().expect("at");
    assert_eq!(introspect(&app, "acme", &api, fresh).await["active"], true);

    // Disabling the client ends its tokens, though no grant row held them.
    let disabled = app
        .admin(
            Method::POST,
            &format!(
                "/manage/v1/tenants/{tenant_id}/clients/{}/disable",
                service.id
            ),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(disabled.status().as_u16(), 200);
    assert_eq!(introspect(&app, "acme", &api, fresh).await["active"], false);
    assert_eq!(cc_token_at(&app, &app.address, &service).await.0, 401);
}

both_engines!(
    client_credentials_tokens_have_no_grant_row_and_stay_revocable,
    client_credentials_tokens_are_stateless_and_revocable
);

async fn documents_answer_not_modified(engine: Engine) {
    let (app, _clock, _tenant_id, _service) = setup(engine).await;
    for path in [
        "/t/acme/jwks.json",
        "/t/acme/.well-known/openid-configuration",
    ] {
        let first = app.client.get(app.url(path)).send().await.expect("sent");
        assert_eq!(first.status().as_u16(), 200, "{path}");
        let etag = first
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .expect("an ETag")
            .to_owned();
        assert!(first.headers().contains_key("cache-control"), "{path}");
        let body = first.bytes().await.expect("body");
        let again = app
            .client
            .get(app.url(path))
            .header("if-none-match", &etag)
            .send()
            .await
            .expect("sent");
        assert_eq!(again.status().as_u16(), 304, "{path}");
        assert_eq!(
            again.headers().get("etag").and_then(|v| v.to_str().ok()),
            Some(etag.as_str())
        );
        let other = app
            .client
            .get(app.url(path))
            .header("if-none-match", "\"something-else\"")
            .send()
            .await
            .expect("sent");
        assert_eq!(other.status().as_u16(), 200, "{path}");
        assert_eq!(other.bytes().await.expect("body"), body, "{path}");
    }
}

both_engines!(
    jwks_and_discovery_answer_304_to_their_etag,
    documents_answer_not_modified
);

#[tokio::test]
async fn a_disabled_client_is_refused_by_every_instance_within_the_bound() {
    let (app, _clock, tenant_id, service) = setup(Engine::Postgres).await;
    let peer = Peer::start(&app).await;
    // The peer has the client cached.
    assert_eq!(cc_token_at(&app, &peer.address, &service).await.0, 200);
    let disabled = app
        .admin(
            Method::POST,
            &format!(
                "/manage/v1/tenants/{tenant_id}/clients/{}/disable",
                service.id
            ),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(disabled.status().as_u16(), 200);
    assert_eq!(
        cc_token_at(&app, &app.address, &service).await.0,
        401,
        "the instance that disabled it refuses at once"
    );
    peer.wait_out_the_bound();
    let (status, body) = cc_token_at(&app, &peer.address, &service).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
}

#[tokio::test]
async fn a_disabled_tenant_is_unknown_to_every_instance_within_the_bound() {
    let (app, _clock, tenant_id, service) = setup(Engine::Postgres).await;
    let peer = Peer::start(&app).await;
    assert_eq!(cc_token_at(&app, &peer.address, &service).await.0, 200);
    let disabled = app
        .admin(
            Method::POST,
            &format!("/manage/v1/tenants/{tenant_id}/disable"),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(disabled.status().as_u16(), 200);
    assert_eq!(cc_token_at(&app, &app.address, &service).await.0, 400);
    peer.wait_out_the_bound();
    let (status, body) = cc_token_at(&app, &peer.address, &service).await;
    assert_eq!(
        (status, body["error_description"].as_str()),
        (400, Some("unknown tenant"))
    );
}

#[tokio::test]
async fn a_revoked_signing_key_leaves_every_instance_within_the_bound() {
    let (app, _clock, tenant_id, service) = setup(Engine::Postgres).await;
    let api = create_client(&app, &tenant_id, json!({"privileges": ["introspect:any"]})).await;
    let peer = Peer::start(&app).await;
    let (_, issued) = cc_token_at(&app, &peer.address, &service).await;
    let token = issued["access_token"].as_str().expect("at").to_owned();
    let kid = crate::oidc::header(&token)["kid"]
        .as_str()
        .expect("kid")
        .to_owned();
    assert_eq!(
        introspect_at(&peer.address, &app, &api, &token).await["active"],
        true
    );

    // Revoked elsewhere (the CLI's key service on the same database).
    let keys = app.key_service(peer.clock.clone());
    let tenant = auth_server::domain::tenant::TenantId::parse(&tenant_id).expect("id");
    keys.revoke(tenant, &kid).await.expect("revoked");

    peer.wait_out_the_bound();
    assert_eq!(
        introspect_at(&peer.address, &app, &api, &token).await["active"],
        false,
        "a token signed by a revoked key is refused"
    );
    let jwks: Value = app
        .client
        .get(format!("{}/t/acme/jwks.json", peer.address))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter_map(|k| k["kid"].as_str())
        .collect();
    assert!(!kids.contains(&kid.as_str()), "{kids:?}");
    let (_, next) = cc_token_at(&app, &peer.address, &service).await;
    let next = next["access_token"].as_str().expect("at");
    assert_ne!(
        crate::oidc::header(next)["kid"].as_str(),
        Some(kid.as_str())
    );
    assert_eq!(
        crate::oidc::header(next)["alg"].as_str(),
        Some(SigningAlg::ES256.as_str())
    );
}

async fn expired_revocations_are_purged(engine: Engine) {
    use auth_server::store::revoked_tokens::{RevokedToken, RevokedTokenStore};
    let (app, clock, tenant_id, service) = setup(engine).await;
    let tenant = auth_server::domain::tenant::TenantId::parse(&tenant_id).expect("id");
    let store = RevokedTokenStore::new(app.database.pool.clone());
    for (jti, expires_at) in [("gone", START + 10), ("kept", START + 100)] {
        let row = RevokedToken {
            tenant,
            jti,
            client_id: &service.id,
            expires_at,
            revoked_at: START,
        };
        store.insert(&row).await.expect("inserted");
        // Revoking twice keeps the first row.
        store.insert(&row).await.expect("again");
    }
    assert_eq!(store.live(tenant, START).await.expect("live").len(), 2);
    clock.set(START + 10);
    let cleanup = crate::cleanup::runner(&app.database, clock, EventRetention::default());
    assert_eq!(
        crate::cleanup::pass(&cleanup).await.revoked_access_tokens,
        1
    );
    assert_eq!(
        store.live(tenant, START).await.expect("live"),
        vec!["kept".to_owned()]
    );
}

both_engines!(
    revoked_tokens_are_forgotten_once_they_expire,
    expired_revocations_are_purged
);

async fn userinfo_at(app: &TestApp, base: &str, access: &str) -> u16 {
    app.client
        .get(format!("{base}/t/acme/userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .expect("sent")
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_revoked_grant_and_a_disabled_user_reach_every_instance_within_the_bound() {
    let (app, _clock, tenant_id, _service) = setup(Engine::Postgres).await;
    let api = create_client(&app, &tenant_id, json!({"privileges": ["introspect:any"]})).await;
    let web = app.web();
    app.signup_verified(&web, "acme", "alice@example.com", crate::helpers::PASSWORD)
        .await;
    let client = create_client(&app, &tenant_id, json!({"first_party": true})).await;
    let peer = Peer::start(&app).await;
    let first = crate::oidc::code_flow(
        &app,
        &web,
        "acme",
        &client,
        "alice@example.com",
        crate::helpers::PASSWORD,
    )
    .await;
    let first = first["access_token"].as_str().expect("at").to_owned();
    // The peer has the grant and the user cached.
    assert_eq!(userinfo_at(&app, &peer.address, &first).await, 200);
    assert_eq!(
        introspect_at(&peer.address, &app, &api, &first).await["active"],
        true
    );

    // The client revokes its token on the first instance.
    let revoked = app
        .client
        .post(app.url("/t/acme/revoke"))
        .header("authorization", basic(&client))
        .form(&[("token", first.as_str())])
        .send()
        .await
        .expect("sent");
    assert_eq!(revoked.status().as_u16(), 200);
    assert_eq!(
        userinfo_at(&app, &app.address, &first).await,
        401,
        "at once here"
    );
    peer.wait_out_the_bound();
    assert_eq!(userinfo_at(&app, &peer.address, &first).await, 401);
    assert_eq!(
        introspect_at(&peer.address, &app, &api, &first).await["active"],
        false
    );

    // A new login, then the operator disables the user on the first instance.
    let second = crate::oidc::code_flow(
        &app,
        &web,
        "acme",
        &client,
        "alice@example.com",
        crate::helpers::PASSWORD,
    )
    .await;
    let second = second["access_token"].as_str().expect("at").to_owned();
    assert_eq!(userinfo_at(&app, &peer.address, &second).await, 200);
    let user_id = claims(&second)["sub"].as_str().expect("sub").to_owned();
    let disabled = app
        .admin(
            Method::POST,
            &format!("/manage/v1/tenants/{tenant_id}/users/{user_id}/disable"),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(disabled.status().as_u16(), 200);
    assert_eq!(
        userinfo_at(&app, &app.address, &second).await,
        401,
        "at once here"
    );
    peer.wait_out_the_bound();
    assert_eq!(userinfo_at(&app, &peer.address, &second).await, 401);
}
