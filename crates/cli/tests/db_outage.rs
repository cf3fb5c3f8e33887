//! A database outage as a real `connectauth serve auth` sees it: PostgreSQL
//! is reached through a proxy the test takes down (every connection closed,
//! new ones refused) and brings back. The machine's PostgreSQL itself is
//! never touched: other tests use it at the same time.
mod common;

use std::time::{Duration, Instant};

use common::auth_process::{password_hash, Deployment, Manage};
use common::browser::{token, Browser};
use common::pausable_proxy::{through, upstream_of, PausableProxy};
use serde_json::json;
use service_kit::db::Engine;
use service_kit::testing::TestDb;

const SLUG: &str = "outage";
const EMAIL: &str = "ann@outage.test";
const PASSWORD: &str = "Quartz-violet-harbour-42";
/// What "quickly" means: under the pool's 3 s wait for a connection plus a
/// margin, far under any client's or proxy's request timeout.
const QUICK: Duration = Duration::from_millis(3500);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_is_answered_503_at_once_and_recovered_from_without_a_restart() {
    let db = TestDb::new(Engine::Postgres).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let proxy = PausableProxy::start(upstream_of(&db.url)).await;
    let deployment = Deployment::new(&through(&db.url, proxy.addr));
    deployment.migrate(dir.path());
    let server = deployment.spawn(dir.path());
    server.ready().await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let base = server.url("");
    let manage = Manage {
        http: &http,
        base: &base,
        token: &deployment.admin_token,
    };

    // Before: a tenant, a client, a user, a session, a token.
    let tenant_id = manage.tenant(SLUG, json!({})).await;
    let (id, secret) = manage
        .client(
            &tenant_id,
            json!({ "name": "Backend", "kind": "confidential",
                    "grant_types": ["client_credentials"], "scopes": ["api:read"] }),
        )
        .await;
    let client = (id.as_str(), secret.as_str());
    let cc = [("grant_type", "client_credentials"), ("scope", "api:read")];
    assert_eq!(
        manage
            .import_users(&tenant_id, &[EMAIL.to_owned()], &password_hash(PASSWORD))
            .await,
        200
    );
    let before = Browser::new(http.clone(), &base);
    let login = before.log_in(SLUG, EMAIL, PASSWORD).await.expect("login");
    assert_eq!(login.status, 303, "{}", login.body);
    assert!(before.has_session(SLUG));
    let (status, _) = token(&http, &base, SLUG, client, &cc).await.expect("token");
    assert_eq!(status, 200);

    proxy.stop();

    let started = Instant::now();
    let ready = http
        .get(server.url("/readyz"))
        .send()
        .await
        .expect("readyz");
    let readyz_took = started.elapsed();
    assert_eq!(ready.status().as_u16(), 503);
    assert_eq!(ready.headers()["retry-after"], "5");

    // The client and the keys are in memory: tokens may still be issued
    // until the cache bound (1 s) asks the database whether they changed.
    let outage = Instant::now();
    let mut cached_tokens = 0;
    let (token_status, token_body, token_took) = loop {
        let started = Instant::now();
        let (status, body) = token(&http, &base, SLUG, client, &cc).await.expect("token");
        let took = started.elapsed();
        if status != 200 || outage.elapsed() > Duration::from_secs(5) {
            break (status, body, took);
        }
        assert!(took < QUICK, "a token took {took:?}");
        cached_tokens += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let tokens_for = outage.elapsed();

    let during = Browser::new(http.clone(), &base);
    let started = Instant::now();
    let login = during.log_in(SLUG, EMAIL, PASSWORD).await.expect("login");
    let login_took = started.elapsed();

    let started = Instant::now();
    let (manage_status, manage_body) = manage.get(&format!("/tenants/{tenant_id}/users")).await;
    let manage_took = started.elapsed();
    let again = http
        .post(format!("{base}/t/{SLUG}/token"))
        .basic_auth(client.0, Some(client.1))
        .form(&cc)
        .send()
        .await
        .expect("token");
    assert_eq!(again.status().as_u16(), 503);
    assert_eq!(again.headers()["retry-after"], "5");

    let health = http
        .get(server.url("/healthz"))
        .send()
        .await
        .expect("healthz");
    eprintln!(
        "outage: /readyz 503 in {readyz_took:?}; {cached_tokens} token(s) from memory for \
         {tokens_for:?}, then {token_status} in {token_took:?} ({token_body}); login {} in {login_took:?}; management API {manage_status} in {manage_took:?}",
        login.status
    );
    assert!(
        tokens_for < Duration::from_secs(1) + QUICK,
        "tokens from memory only within the cache bound: {tokens_for:?}"
    );
    assert_eq!(health.status().as_u16(), 200, "the process itself is fine");
    assert!(
        readyz_took < Duration::from_secs(3),
        "/readyz took {readyz_took:?}"
    );
    assert_eq!(token_status, 503, "{token_body}");
    assert_eq!(token_body["error"], "temporarily_unavailable");
    assert!(token_took < QUICK, "the token request took {token_took:?}");
    assert_eq!(login.status, 503, "{}", login.body);
    assert!(
        login.body.contains("try again in a few seconds"),
        "{}",
        login.body
    );
    assert!(login_took < QUICK, "the login took {login_took:?}");
    assert_eq!(login.retry_after.as_deref(), Some("5"));
    assert_eq!(manage_status, 503, "{manage_body}");
    assert_eq!(manage_body["code"], "service-unavailable", "{manage_body}");
    assert!(
        manage_took < QUICK,
        "the management API took {manage_took:?}"
    );

    proxy.resume().await;

    // Back by itself: ready, tokens, logins, within seconds, no restart.
    let resumed = Instant::now();
    let deadline = resumed + Duration::from_secs(15);
    loop {
        let ready = http
            .get(server.url("/readyz"))
            .send()
            .await
            .expect("readyz");
        if ready.status().as_u16() == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "/readyz never answered 200 again"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ready_again = resumed.elapsed();
    let mut failed_after_ready = 0;
    loop {
        let (status, _) = token(&http, &base, SLUG, client, &cc).await.expect("token");
        if status == 200 {
            break;
        }
        failed_after_ready += 1;
        assert!(
            Instant::now() < deadline,
            "tokens never came back: {status}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "recovery: ready {ready_again:?} after the database came back; \
         {failed_after_ready} token request(s) failed after that"
    );
    for _ in 0..20 {
        let (status, body) = token(&http, &base, SLUG, client, &cc).await.expect("token");
        assert_eq!(status, 200, "{body}");
    }
    let after = Browser::new(http.clone(), &base);
    let login = after.log_in(SLUG, EMAIL, PASSWORD).await.expect("login");
    assert_eq!(login.status, 303, "{}", login.body);
    // What was acknowledged before the outage is still there: the session
    // of the first login, the user and the client (just used).
    let account = before
        .get(&format!("/t/{SLUG}/account"))
        .await
        .expect("account");
    assert_eq!(account.status, 200, "the session from before the outage");
    assert!(account.body.contains(EMAIL));
    let (status, users) = manage.get(&format!("/tenants/{tenant_id}/users")).await;
    assert_eq!(status, 200);
    assert!(users.to_string().contains(EMAIL), "{users}");
    assert!(server.pid() > 0, "the same process throughout");
}
