//! The first customer end to end: the real auth server and the real Connect
//! People API over HTTP. Sign up → authorize → token → call the API → data
//! stored; key rotation while the API runs; a revoked key's tokens refused
//! after the API's next JWKS refresh; foreign, mis-addressed, under-scoped
//! and tampered tokens refused.
use std::sync::Arc;

use auth_server::domain::signing_alg::SigningAlg;
use auth_server::keys::keyring::KeyService;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::clock::SystemClock;
use service_kit::config::Env;
use service_kit::db::{self, Engine};
use service_kit::testing::TestDb;

use crate::helpers::{spawn_app_on_known_port, TestApp, PASSWORD};
use crate::oidc::{
    authorize, authorize_path, create_client, header, param, pkce, token, TestClient, REDIRECT,
};

const API_SCOPES: &str =
    "openid profile profile:read profile:write connections:read connections:write";

async fn spawn_people(engine: Engine, issuer: &str) -> (String, TestDb) {
    let test_db = TestDb::new(engine).await;
    let env = Env::from_pairs([
        ("PEOPLE_BIND", "127.0.0.1:0"),
        ("PEOPLE_DATABASE_URL", test_db.url.as_str()),
        ("PEOPLE_ISSUER", issuer),
        ("PEOPLE_AUDIENCE", "connect-people-api"),
        ("PEOPLE_JWKS_MIN_REFETCH_SECS", "1"),
        // Revocation is tested below: every request checks its signature.
        ("PEOPLE_TOKEN_CACHE_SECS", "0"),
    ]);
    let config = people_api::PeopleConfig::from_env(&env).expect("people config");
    let database = db::connect(&config.database_url, config.pool)
        .await
        .expect("connect");
    db::migrate(&database, &people_api::MIGRATIONS)
        .await
        .expect("migrate");
    let app = people_api::Application::build_with_db(config, database).expect("build");
    let address = format!("http://127.0.0.1:{}", app.running().port());
    tokio::spawn(app.run_until_stopped());
    (address, test_db)
}

async fn access_token(
    app: &TestApp,
    web: &crate::web::Web,
    client: &TestClient,
    slug: &str,
    email: &str,
    scope: &str,
    extra: &[(&str, &str)],
) -> String {
    let (verifier, challenge) = pkce();
    let path = authorize_path(slug, client, &challenge, extra).replace(
        "scope=openid+profile+email",
        &format!("scope={}", scope.replace(' ', "+").replace(':', "%3A")),
    );
    let cb = authorize(web, &path, email, PASSWORD).await;
    let (status, tokens) = token(
        app,
        slug,
        client,
        &[
            ("grant_type", "authorization_code"),
            ("code", &param(&cb, "code").expect("code")),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    tokens["access_token"]
        .as_str()
        .expect("access token")
        .to_owned()
}

async fn me(people: &str, token: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{people}/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .expect("sent")
}

fn key_service(app: &TestApp) -> KeyService {
    app.key_service(Arc::new(SystemClock))
}

async fn first_customer(engine: Engine) {
    let app = spawn_app_on_known_port(engine).await;
    let tenant = app
        .tenant(
            "connect-people",
            json!({"default_audience": "connect-people-api"}),
        )
        .await;
    let issuer = format!("{}/t/connect-people", app.address);
    let (people, _people_db) = spawn_people(engine, &issuer).await;
    let client = create_client(&app, &tenant.id.to_string(), json!({
        "first_party": true,
        "scopes": ["openid", "profile", "email", "profile:read", "profile:write", "connections:read", "connections:write"],
        // Another API it may get tokens for, which the People API must refuse.
        "allowed_resources": ["https://billing.example/api"],
    })).await;
    let web = app.web();
    app.signup_verified(&web, "connect-people", "alice@example.com", PASSWORD)
        .await;

    // Sign up → authorize → token → the API: the person is created and stored.
    let token1 = access_token(
        &app,
        &web,
        &client,
        "connect-people",
        "alice@example.com",
        API_SCOPES,
        &[],
    )
    .await;
    let resp = me(&people, &token1).await;
    assert_eq!(resp.status().as_u16(), 200);
    let alice: Value = resp.json().await.expect("json");
    let sub = crate::oidc::claims(&token1)["sub"].clone();
    assert_eq!(alice["id"], sub);
    let put = reqwest::Client::new()
        .put(format!("{people}/v1/me"))
        .bearer_auth(&token1)
        .json(
            &json!({"display_name": "Alice Martin", "bio": "Hello from Lyon", "location": "Lyon"}),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(
        put.status().as_u16(),
        200,
        "{}",
        put.text().await.unwrap_or_default()
    );
    let stored: Value = me(&people, &token1).await.json().await.expect("json");
    assert_eq!(stored["bio"], "Hello from Lyon");

    // Key rotation on the auth server while the API runs: no restart needed.
    let old_kid = header(&token1)["kid"].as_str().expect("kid").to_owned();
    sqlx::query("UPDATE signing_keys SET created_at = created_at - 86400")
        .execute(&app.database.pool)
        .await
        .expect("age");
    let keys = key_service(&app);
    keys.rotate(tenant.id, SigningAlg::ES256)
        .await
        .expect("rotated");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let token2 = access_token(
        &app,
        &web,
        &client,
        "connect-people",
        "alice@example.com",
        API_SCOPES,
        &[],
    )
    .await;
    assert_ne!(header(&token2)["kid"].as_str(), Some(old_kid.as_str()));
    assert_eq!(
        me(&people, &token2).await.status().as_u16(),
        200,
        "tokens of the new key pass"
    );
    assert_eq!(
        me(&people, &token1).await.status().as_u16(),
        200,
        "tokens of the retired key still pass"
    );

    // Emergency revocation: refused once the API refreshes its JWKS. Any
    // unknown kid triggers that refresh; here a made-up one does.
    keys.revoke(tenant.id, &old_kid).await.expect("revoked");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let parts: Vec<&str> = token2.split('.').collect();
    let mut h = header(&token2);
    h["kid"] = json!("made-up-kid");
    let unknown_kid = format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(h.to_string()),
        parts[1],
        parts[2]
    );
    assert_eq!(me(&people, &unknown_kid).await.status().as_u16(), 401);
    assert_eq!(
        me(&people, &token1).await.status().as_u16(),
        401,
        "the revoked key's token is refused"
    );
    assert_eq!(me(&people, &token2).await.status().as_u16(), 200);

    // A missing scope: 403 insufficient_scope.
    let read_only = access_token(
        &app,
        &web,
        &client,
        "connect-people",
        "alice@example.com",
        "openid profile:read",
        &[],
    )
    .await;
    assert_eq!(me(&people, &read_only).await.status().as_u16(), 200);
    let denied = reqwest::Client::new()
        .put(format!("{people}/v1/me"))
        .bearer_auth(&read_only)
        .json(&json!({"display_name": "Mallory"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(denied.status().as_u16(), 403);
    assert!(denied.headers()["www-authenticate"]
        .to_str()
        .expect("ascii")
        .contains("insufficient_scope"));
    let unchanged: Value = me(&people, &token2).await.json().await.expect("json");
    assert_eq!(unchanged["display_name"], "Alice Martin");

    // The wrong audience: a token made out to another API.
    let other_api = access_token(
        &app,
        &web,
        &client,
        "connect-people",
        "alice@example.com",
        API_SCOPES,
        &[("resource", "https://billing.example/api")],
    )
    .await;
    assert_eq!(me(&people, &other_api).await.status().as_u16(), 401);

    // A token of another tenant of the same auth server.
    let other = app
        .tenant(
            "other-startup",
            json!({"default_audience": "connect-people-api"}),
        )
        .await;
    let other_client = create_client(
        &app,
        &other.id.to_string(),
        json!({
            "first_party": true, "scopes": ["openid", "profile", "profile:read"],
        }),
    )
    .await;
    let web_b = app.web();
    app.signup_verified(&web_b, "other-startup", "bob@example.com", PASSWORD)
        .await;
    let foreign = access_token(
        &app,
        &web_b,
        &other_client,
        "other-startup",
        "bob@example.com",
        "openid profile:read",
        &[],
    )
    .await;
    let refused = me(&people, &foreign).await;
    assert_eq!(refused.status().as_u16(), 401);
    assert!(refused.headers()["www-authenticate"]
        .to_str()
        .expect("ascii")
        .contains("invalid_token"));

    // An expired token, signed with the tenant's own active key as if issued long ago.
    let mut old_claims = crate::oidc::claims(&token2);
    old_claims["iat"] = json!(1_700_000_000);
    old_claims["nbf"] = json!(1_700_000_000);
    old_claims["exp"] = json!(1_700_000_900);
    let signer = keys
        .signer(tenant.id, SigningAlg::ES256)
        .await
        .expect("signer");
    let expired = signer
        .sign_jwt("at+jwt", old_claims.as_object().expect("object"))
        .expect("signed");
    let refused = me(&people, &expired).await;
    assert_eq!(refused.status().as_u16(), 401);
    assert!(refused.headers()["www-authenticate"]
        .to_str()
        .expect("ascii")
        .contains("invalid_token"));

    // Tampered payload and alg none.
    let mut claims = crate::oidc::claims(&token2);
    claims["sub"] = json!("someone-else");
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    );
    assert_eq!(me(&people, &tampered).await.status().as_u16(), 401);
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "at+jwt"}).to_string()),
        parts[1]
    );
    assert_eq!(me(&people, &none).await.status().as_u16(), 401);
}
both_engines!(connect_people_end_to_end, first_customer);
