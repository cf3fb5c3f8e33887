//! Signing keys as relying parties see them: rotation keeps old tokens
//! valid and revocation kills them; ID tokens in RS256 or EdDSA for a
//! client that asks.
use std::sync::Arc;

use auth_server::domain::signing_alg::SigningAlg;
use serde_json::{json, Value};
use service_kit::clock::SystemClock;

use super::{logged_in_app, tokens_for};
use crate::helpers::{within_the_cache_bound, TestApp, PASSWORD};
use crate::oidc::{authorize, authorize_path, create_client, header, param, pkce, TestClient};

#[tokio::test]
async fn rotation_keeps_old_tokens_valid_and_revocation_kills_them() {
    let (app, client, web, tenant) = logged_in_app().await;
    let tokens = tokens_for(&app, &web, &client).await;
    let before = tokens["access_token"].as_str().expect("at").to_owned();
    let kid = header(&before)["kid"].as_str().expect("kid").to_owned();
    // Operate on the keys as `connectauth keys …` would, beside the running server.
    // The next key must have been published longer than a JWKS cache lives:
    // age the keys by a day instead of waiting.
    sqlx::query("UPDATE signing_keys SET created_at = created_at - 86400")
        .execute(&app.database.pool)
        .await
        .expect("age");
    let keys = app.key_service(Arc::new(SystemClock));
    keys.rotate(tenant.id, SigningAlg::ES256)
        .await
        .expect("rotated");
    let jwks: Value = app
        .client
        .get(app.url("/t/acme/jwks.json"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert!(
        jwks["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .any(|k| k["kid"] == kid.as_str()),
        "the retired key stays published"
    );
    let still = app
        .client
        .get(app.url("/t/acme/userinfo"))
        .bearer_auth(&before)
        .send()
        .await
        .expect("sent");
    assert_eq!(
        still.status().as_u16(),
        200,
        "a token signed before rotation still verifies"
    );
    // The rotation happened beside the server: it signs with the new key
    // within the cache bound.
    let after = std::cell::RefCell::new(String::new());
    assert!(
        within_the_cache_bound(|| async {
            let token = tokens_for(&app, &web, &client).await["access_token"]
                .as_str()
                .expect("at")
                .to_owned();
            let rotated = header(&token)["kid"].as_str() != Some(kid.as_str());
            *after.borrow_mut() = token;
            rotated
        })
        .await,
        "new tokens use the new key"
    );
    let after = after.into_inner();

    keys.revoke(tenant.id, &kid).await.expect("revoked");
    let published = || async {
        let jwks: Value = app
            .client
            .get(app.url("/t/acme/jwks.json"))
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("json");
        jwks["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .any(|k| k["kid"] == kid.as_str())
    };
    assert!(
        within_the_cache_bound(|| async { !published().await }).await,
        "a revoked key leaves JWKS within the cache bound"
    );
    let refused = app
        .client
        .get(app.url("/t/acme/userinfo"))
        .bearer_auth(&before)
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status().as_u16(), 401, "its tokens are refused");
    assert_eq!(
        app.client
            .get(app.url("/t/acme/userinfo"))
            .bearer_auth(&after)
            .send()
            .await
            .expect("sent")
            .status()
            .as_u16(),
        200
    );
}

/// Gets `client` an ID token, checks it is signed with `alg`, and answers
/// the key of the tenant's JWKS that signed it.
async fn id_token_key(
    app: &TestApp,
    web: &crate::web::Web,
    client: &TestClient,
    alg: &str,
) -> Value {
    let tokens = tokens_for(app, web, client).await;
    let id_token = tokens["id_token"].as_str().expect("id token");
    assert_eq!(header(id_token)["alg"], alg);
    let jwks: Value = app
        .client
        .get(app.url("/t/acme/jwks.json"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .find(|k| k["kid"] == header(id_token)["kid"])
        .cloned()
        .expect("the signing key is published")
}

/// ES256 is the default of a new client; one that asks for RS256 (a relying
/// party that knows only the algorithm every provider must offer) gets it,
/// signed by an RSA key the JWKS publishes.
#[tokio::test]
async fn rs256_id_tokens_for_a_client_that_asks() {
    let (app, _, web, tenant) = logged_in_app().await;
    let client = create_client(
        &app,
        &tenant.id.to_string(),
        json!({"first_party": true, "id_token_alg": "RS256"}),
    )
    .await;
    let key = id_token_key(&app, &web, &client, "RS256").await;
    assert_eq!(key["kty"], "RSA");
    let default = create_client(&app, &tenant.id.to_string(), json!({"first_party": true})).await;
    let tokens = tokens_for(&app, &web, &default).await;
    let id_token = tokens["id_token"].as_str().expect("id token");
    assert_eq!(header(id_token)["alg"], "ES256");
}

#[tokio::test]
async fn eddsa_id_tokens_and_prompt_login_and_max_age() {
    let (app, _, web, tenant) = logged_in_app().await;
    let client = create_client(
        &app,
        &tenant.id.to_string(),
        json!({"first_party": true, "id_token_alg": "EdDSA"}),
    )
    .await;
    let key = id_token_key(&app, &web, &client, "EdDSA").await;
    assert_eq!(key["crv"], "Ed25519");
    // prompt=login asks for the password again even with a session.
    let login_again = web
        .get(&authorize_path(
            "acme",
            &client,
            &pkce().1,
            &[("prompt", "login")],
        ))
        .await;
    assert!(
        login_again
            .location
            .as_deref()
            .is_some_and(|l| l.starts_with("/t/acme/login?")),
        "{:?}",
        login_again.location
    );
    // max_age=0 after a login long ago does too; a fresh login satisfies it.
    sqlx::query("UPDATE sessions SET auth_time = auth_time - 3600")
        .execute(&app.database.pool)
        .await
        .expect("age");
    let stale = web
        .get(&authorize_path(
            "acme",
            &client,
            &pkce().1,
            &[("max_age", "60")],
        ))
        .await;
    assert!(stale
        .location
        .as_deref()
        .is_some_and(|l| l.starts_with("/t/acme/login?")));
    let cb = authorize(
        &web,
        &authorize_path("acme", &client, &pkce().1, &[("max_age", "60")]),
        "alice@example.com",
        PASSWORD,
    )
    .await;
    assert!(param(&cb, "code").is_some());
}
