//! Discovery advertises only what the tenant's JWKS can back: every ID-token
//! algorithm it lists has a published key of that algorithm.
use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::helpers::{spawn_app, TestApp};
use crate::oidc::create_client;

async fn get_json(app: &TestApp, path: &str) -> Value {
    let resp = app.client.get(app.url(path)).send().await.expect("sent");
    assert_eq!(resp.status().as_u16(), 200, "{path}");
    resp.json().await.expect("json")
}

/// The advertised ID-token algorithms, after checking each has a key in the
/// JWKS fetched afterwards.
async fn advertised_algs(app: &TestApp, slug: &str) -> BTreeSet<String> {
    let meta = get_json(app, &format!("/t/{slug}/.well-known/openid-configuration")).await;
    let algs: BTreeSet<String> = meta["id_token_signing_alg_values_supported"]
        .as_array()
        .expect("algs")
        .iter()
        .map(|a| a.as_str().expect("alg name").to_owned())
        .collect();
    let jwks = get_json(app, &format!("/t/{slug}/jwks.json")).await;
    let published: BTreeSet<String> = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k["alg"].as_str().expect("alg member").to_owned())
        .collect();
    assert!(algs.contains("RS256"), "OIDC requires RS256: {algs:?}");
    assert!(
        algs.is_subset(&published),
        "advertised {algs:?}, published {published:?}"
    );
    algs
}

fn set(algs: &[&str]) -> BTreeSet<String> {
    algs.iter().map(|a| (*a).to_owned()).collect()
}

async fn only_published_algorithms(engine: Engine) {
    let app = spawn_app(engine).await;
    let acme = app.tenant("acme", json!({})).await;
    assert_eq!(
        advertised_algs(&app, "acme").await,
        set(&["ES256", "RS256"]),
        "no EdDSA key, no EdDSA"
    );

    // A client that wants EdDSA ID tokens gets the key published at once.
    create_client(&app, &acme.id.to_string(), json!({"id_token_alg": "EdDSA"})).await;
    assert_eq!(
        advertised_algs(&app, "acme").await,
        set(&["EdDSA", "ES256", "RS256"])
    );

    // So does one switched to EdDSA later; the other tenant is unaffected.
    let other = app.tenant("other", json!({})).await;
    let client = create_client(&app, &other.id.to_string(), json!({})).await;
    assert_eq!(
        advertised_algs(&app, "other").await,
        set(&["ES256", "RS256"])
    );
    let resp = app
        .admin(
            Method::PATCH,
            &format!("/manage/v1/tenants/{}/clients/{}", other.id, client.id),
        )
        .json(&json!({"id_token_alg": "EdDSA"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        advertised_algs(&app, "other").await,
        set(&["EdDSA", "ES256", "RS256"])
    );
}
both_engines!(
    discovery_lists_only_published_algorithms,
    only_published_algorithms
);
