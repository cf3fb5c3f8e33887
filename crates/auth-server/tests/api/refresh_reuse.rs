//! A spent refresh token presented again: the family is revoked at once by
//! default; a client's `refresh_token_reuse_interval_secs` lets it get the
//! same pair within the interval (a lost response, two refreshes racing).
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::helpers::{spawn_app, TestApp, PASSWORD};
use crate::oidc::{code_flow, create_client, token, TestClient};
use crate::web::Web;

struct Setup {
    app: TestApp,
    web: Web,
    tenant_id: String,
}

async fn setup(engine: Engine) -> Setup {
    let app = spawn_app(engine).await;
    let tenant = app.tenant("acme", json!({})).await;
    let web = app.web();
    app.signup_verified(&web, "acme", "alice@example.com", PASSWORD)
        .await;
    Setup {
        app,
        web,
        tenant_id: tenant.id.to_string(),
    }
}

impl Setup {
    async fn client(&self, interval: Option<i64>) -> TestClient {
        let mut extra = json!({"first_party": true});
        if let Some(secs) = interval {
            extra["refresh_token_reuse_interval_secs"] = json!(secs);
        }
        create_client(&self.app, &self.tenant_id, extra).await
    }

    /// A fresh login's refresh token.
    async fn refresh_token(&self, client: &TestClient) -> String {
        let tokens = code_flow(
            &self.app,
            &self.web,
            "acme",
            client,
            "alice@example.com",
            PASSWORD,
        )
        .await;
        tokens["refresh_token"].as_str().expect("rt").to_owned()
    }

    async fn refresh(&self, client: &TestClient, refresh_token: &str) -> (u16, Value) {
        token(
            &self.app,
            "acme",
            client,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ],
        )
        .await
    }
}

fn next_token(response: &Value) -> String {
    response["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_owned()
}

async fn invalid_grant(s: &Setup, client: &TestClient, refresh_token: &str, why: &str) {
    let (status, body) = s.refresh(client, refresh_token).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{why}: {body}"
    );
}

async fn default_revokes_at_once(engine: Engine) {
    let s = setup(engine).await;
    let client = s.client(None).await;
    let first = s.refresh_token(&client).await;
    let (status, rotated) = s.refresh(&client, &first).await;
    assert_eq!(status, 200, "{rotated}");
    invalid_grant(&s, &client, &first, "an immediate replay is reuse").await;
    invalid_grant(&s, &client, &next_token(&rotated), "the family is revoked").await;
}
both_engines!(
    refresh_replay_revokes_the_family_at_once_by_default,
    default_revokes_at_once
);

async fn same_pair_within_then_revocation(engine: Engine) {
    let s = setup(engine).await;
    let client = s.client(Some(2)).await;
    let first = s.refresh_token(&client).await;
    let (status, rotated) = s.refresh(&client, &first).await;
    assert_eq!(status, 200, "{rotated}");
    let (status, again) = s.refresh(&client, &first).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again, rotated, "the same pair within the interval");

    // Real time: the window is fixed in the row when the token is spent.
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    invalid_grant(&s, &client, &first, "a replay after the interval").await;
    invalid_grant(&s, &client, &next_token(&rotated), "the family is revoked").await;
}
both_engines!(
    refresh_replay_within_the_interval_gets_the_same_pair,
    same_pair_within_then_revocation
);

async fn concurrent_refreshes(engine: Engine) {
    let s = setup(engine).await;
    let client = s.client(Some(30)).await;
    let mut current = s.refresh_token(&client).await;
    for round in 0..3 {
        let (a, b) = tokio::join!(s.refresh(&client, &current), s.refresh(&client, &current));
        assert_eq!((a.0, b.0), (200, 200), "round {round}: {} / {}", a.1, b.1);
        assert_eq!(a.1, b.1, "round {round}: both get the one new pair");
        current = next_token(&a.1);
    }
    let (status, body) = s.refresh(&client, &current).await;
    assert_eq!(status, 200, "the family is alive: {body}");

    // A client with no interval racing with itself trips reuse detection.
    let strict = s.client(Some(0)).await;
    let token = s.refresh_token(&strict).await;
    let (a, b) = tokio::join!(s.refresh(&strict, &token), s.refresh(&strict, &token));
    let mut statuses = [a.0, b.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 400]);
    let winner = if a.0 == 200 { a.1 } else { b.1 };
    invalid_grant(&s, &strict, &next_token(&winner), "revoked").await;
}
both_engines!(
    concurrent_refreshes_within_the_interval_keep_the_family,
    concurrent_refreshes
);

/// The write that spends a token also stores the answer a retry within the
/// interval gets: an instance that dies right after it (before answering)
/// leaves the client's retry an answer, on any instance, not a token spent
/// for nothing (`crates/cli/tests/scale_out.rs` kills one under load).
async fn rotation_stores_the_replay_in_its_write(engine: Engine) {
    use auth_server::domain::tenant::TenantId;
    use auth_server::store::refresh_tokens::{RefreshRecord, RefreshTokenStore, ReplayWindow};

    let s = setup(engine).await;
    let client = s.client(Some(10)).await;
    let spent = auth_server::opaque_secret::digest(&s.refresh_token(&client).await);
    let tenant = TenantId::parse(&s.tenant_id).expect("tenant id");
    let store = RefreshTokenStore::new(s.app.database.pool.clone(), s.app.database.engine);
    let before = store
        .find(tenant, &spent)
        .await
        .expect("find")
        .expect("the token")
        .record;
    let now = before.created_at + 5;
    let next = RefreshRecord {
        created_at: now,
        ..before.clone()
    };
    let window = |sealed| {
        Some(ReplayWindow {
            until: now + 10,
            sealed_response: sealed,
        })
    };
    assert!(store
        .rotate(&spent, now, window("the first answer"), "successor", &next)
        .await
        .expect("rotate"));
    let after = store
        .find(tenant, &spent)
        .await
        .expect("find")
        .expect("the token")
        .record;
    assert_eq!(after.used_at, Some(now));
    assert_eq!(after.retry_until, Some(now + 10));
    assert_eq!(after.retry_response.as_deref(), Some("the first answer"));
    assert!(store
        .find(tenant, "successor")
        .await
        .expect("find")
        .is_some());
    // A second rotation of the spent token changes nothing.
    assert!(!store
        .rotate(&spent, now + 1, window("another answer"), "other", &next)
        .await
        .expect("rotate"));
    let kept = store
        .find(tenant, &spent)
        .await
        .expect("find")
        .expect("the token")
        .record;
    assert_eq!(kept.retry_response.as_deref(), Some("the first answer"));
    assert!(store.find(tenant, "other").await.expect("find").is_none());
}
both_engines!(
    refresh_rotation_stores_its_replay_in_the_same_write,
    rotation_stores_the_replay_in_its_write
);
