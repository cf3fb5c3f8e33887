//! Who gets in: RFC 6750 answers for missing, invalid and under-scoped tokens.
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::db::Engine;

use crate::helpers::{
    assert_problem, claims, forged_key, other_tenant_key, send, sign, spawn_app, tenant_key,
    unix_now, www_authenticate, ALL_SCOPES, CLIENT_ID, OTHER_TENANT_ID,
};

#[tokio::test]
async fn no_token_is_401_with_a_bare_bearer_challenge() {
    let app = spawn_app(Engine::Sqlite).await;
    for request in [
        app.client.get(app.url("/v1/me")),
        app.client
            .get(app.url("/v1/me"))
            .header("authorization", "Basic dXNlcjpwYXNz"),
        app.client.get(app.url("/v1/connections")),
    ] {
        let resp = send(request).await;
        assert_eq!(www_authenticate(&resp), "Bearer");
        assert_problem(resp, 401, "unauthorized").await;
    }
}

/// Replaces the payload of a signed token, keeping header and signature.
fn with_payload(token: &str, payload: &Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let body = URL_SAFE_NO_PAD.encode(payload.to_string());
    format!("{}.{body}.{}", parts[0], parts[2])
}

fn unsigned(header: &Value, payload: &Value) -> String {
    let enc = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!("{}.{}.", enc(header), enc(payload))
}

#[tokio::test]
async fn invalid_tokens_are_401_invalid_token_and_create_nobody() {
    let app = spawn_app(Engine::Sqlite).await;
    let good = claims(&app.issuer, "mallory", ALL_SCOPES);
    let altered = |f: &dyn Fn(&mut serde_json::Map<String, Value>)| {
        let mut c = good.clone();
        f(&mut c);
        c
    };
    let cases: Vec<(&str, String)> = vec![
        (
            "expired",
            sign(
                tenant_key(),
                &altered(&|c| {
                    c.insert("exp".into(), json!(unix_now() - 3600));
                }),
            ),
        ),
        (
            "wrong audience",
            sign(
                tenant_key(),
                &altered(&|c| {
                    c.insert("aud".into(), json!(["billing-api"]));
                }),
            ),
        ),
        (
            "another tenant's token, from its own issuer",
            sign(
                other_tenant_key(),
                &altered(&|c| {
                    c.insert("iss".into(), json!(app.other_issuer));
                    c.insert("tid".into(), json!(OTHER_TENANT_ID));
                }),
            ),
        ),
        (
            "another tenant's key claiming our issuer",
            sign(other_tenant_key(), &good),
        ),
        ("a forged key with our kid", sign(forged_key(), &good)),
        (
            "alg none",
            unsigned(
                &json!({"alg": "none", "typ": "at+jwt", "kid": tenant_key().kid}),
                &Value::Object(good.clone()),
            ),
        ),
        (
            "tampered payload",
            with_payload(
                &app.token("user-alice", "profile:read"),
                &Value::Object(good.clone()),
            ),
        ),
        (
            "no tid",
            sign(
                tenant_key(),
                &altered(&|c| {
                    c.remove("tid");
                }),
            ),
        ),
        (
            "a client's own token (client credentials)",
            sign(
                tenant_key(),
                &altered(&|c| {
                    c.insert("sub".into(), json!(CLIENT_ID));
                }),
            ),
        ),
        ("garbage", "not.a.token".to_owned()),
    ];
    for (case, token) in &cases {
        let resp = send(app.with_token(token, Method::GET, "/v1/me")).await;
        let challenge = www_authenticate(&resp);
        assert!(
            challenge.starts_with("Bearer error=\"invalid_token\""),
            "{case}: {challenge}"
        );
        let body = assert_problem(resp, 401, "invalid-token").await;
        assert!(!body.to_string().contains("mallory"), "{case}");
    }
    let expired = send(app.with_token(&cases[0].1, Method::GET, "/v1/me")).await;
    assert!(www_authenticate(&expired).contains("expired"));
    // None of them made mallory exist.
    let lookup = send(app.as_person("user-alice", Method::GET, "/v1/people/mallory")).await;
    assert_problem(lookup, 404, "person-not-found").await;
}

#[tokio::test]
async fn missing_scopes_are_403_insufficient_scope() {
    let app = spawn_app(Engine::Sqlite).await;
    let read_only = app.token("user-alice", "profile:read");
    let ok = send(app.with_token(&read_only, Method::GET, "/v1/me")).await;
    assert_eq!(ok.status().as_u16(), 200);
    let cases = [
        (
            Method::PUT,
            "/v1/me",
            "profile:write",
            json!({"display_name": "A"}),
        ),
        (
            Method::GET,
            "/v1/connections",
            "connections:read",
            Value::Null,
        ),
        (
            Method::POST,
            "/v1/connections",
            "connections:write",
            json!({"person_id": "user-bob"}),
        ),
        (
            Method::DELETE,
            "/v1/connections/0190f3a0-0000-7000-8000-000000000000",
            "connections:write",
            Value::Null,
        ),
    ];
    for (method, path, scope, body) in cases {
        let resp = send(app.with_token(&read_only, method, path).json(&body)).await;
        let challenge = www_authenticate(&resp);
        assert!(
            challenge.contains("error=\"insufficient_scope\"")
                && challenge.contains(&format!("scope=\"{scope}\"")),
            "{path}: {challenge}"
        );
        assert_problem(resp, 403, "insufficient-scope").await;
    }
    let write_only = app.token("user-alice", "connections:write");
    for path in ["/v1/me", "/v1/people/user-alice"] {
        let resp = send(app.with_token(&write_only, Method::GET, path)).await;
        assert_problem(resp, 403, "insufficient-scope").await;
    }
}
