//! Bad client settings are 422 (malformed bodies 400) and nothing is
//! written, on create and on update.
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use super::{clients_path, count, create, json_of, send, web_app};
use crate::helpers::{assert_problem, spawn_app};

async fn bad_input(engine: Engine) {
    let app = spawn_app(engine).await;
    let a = app.tenant("tenant-a", json!({})).await;
    let with = |extra: Value| {
        let mut body = web_app();
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        body
    };
    let refused = [
        (
            with(json!({"redirect_uris": ["http://evil.example/cb"]})),
            "must use https",
        ),
        (
            with(json!({"redirect_uris": ["https://app.example/cb#frag"]})),
            "fragment",
        ),
        (
            with(json!({"redirect_uris": ["https://*.app.example/cb"]})),
            "wildcard",
        ),
        (
            with(json!({"redirect_uris": ["https://u:p@app.example/cb"]})),
            "user name",
        ),
        (with(json!({"redirect_uris": ["/cb"]})), "absolute"),
        (
            with(json!({"redirect_uris": [format!("https://app.example/{}", "a".repeat(2000))]})),
            "2000 bytes",
        ),
        (
            with(json!({"redirect_uris": []})),
            "at least one redirect URI",
        ),
        (
            with(json!({"post_logout_redirect_uris": ["http://evil.example/bye"]})),
            "post_logout_redirect_uris",
        ),
        (
            with(json!({"grant_types": ["implicit"]})),
            "implicit grant is not allowed",
        ),
        (
            with(json!({"grant_types": ["password"]})),
            "password grant is not allowed",
        ),
        (
            with(json!({"grant_types": ["device_code"]})),
            "unknown grant type",
        ),
        (with(json!({"grant_types": []})), "at least one grant"),
        (
            with(json!({"grant_types": ["refresh_token"]})),
            "refresh_token needs authorization_code",
        ),
        (
            with(json!({"kind": "public", "grant_types": ["client_credentials"]})),
            "public client cannot use client_credentials",
        ),
        (with(json!({"kind": "spa"})), "kind must be"),
        (
            with(json!({"allowed_resources": ["https://api.example/#x"]})),
            "allowed_resources",
        ),
        (
            with(json!({"allowed_resources": ["two words"]})),
            "allowed_resources",
        ),
        (
            with(json!({"allowed_resources": [""]})),
            "allowed_resources",
        ),
        (
            with(json!({"allowed_resources": ["r".repeat(513)]})),
            "512 visible ASCII",
        ),
        (
            with(
                json!({"allowed_resources": (0..51).map(|i| format!("r{i}")).collect::<Vec<_>>()}),
            ),
            "allowed_resources: at most 50",
        ),
        (with(json!({"privileges": ["admin"]})), "is not a privilege"),
        (
            with(json!({"kind": "public", "require_pkce": false})),
            "public client must use PKCE",
        ),
        (with(json!({"scopes": ["open id"]})), "scopes"),
        (with(json!({"scopes": ["a\"b"]})), "scopes"),
        (with(json!({"scopes": ["s".repeat(101)]})), "100 characters"),
        (
            with(json!({"scopes": (0..51).map(|i| format!("s{i}")).collect::<Vec<_>>()})),
            "at most 50",
        ),
        (
            with(json!({"cors_origins": ["https://app.example/"]})),
            "no path",
        ),
        (with(json!({"cors_origins": ["*"]})), "wildcard"),
        (
            with(json!({"access_token_lifetime_secs": 59})),
            "access_token_lifetime_secs",
        ),
        (
            with(json!({"access_token_lifetime_secs": 86_401})),
            "access_token_lifetime_secs",
        ),
        (
            with(json!({"refresh_token_lifetime_secs": -5})),
            "refresh_token_lifetime_secs",
        ),
        (
            with(json!({"refresh_token_idle_secs": 31 * 86_400})),
            "refresh_token_idle_secs",
        ),
        (
            with(json!({"refresh_token_reuse_interval_secs": 61})),
            "refresh_token_reuse_interval_secs must be between 0 and 60",
        ),
        (
            with(json!({"refresh_token_reuse_interval_secs": -1})),
            "refresh_token_reuse_interval_secs",
        ),
        (with(json!({"id_token_alg": "none"})), "id_token_alg"),
        (with(json!({"id_token_alg": "HS256"})), "id_token_alg"),
        (with(json!({"name": "  "})), "name"),
        (with(json!({"name": "x".repeat(101)})), "name"),
    ];
    for (body, message) in refused {
        let resp = send(&app, Method::POST, &clients_path(&a), Some(&body)).await;
        let problem = assert_problem(resp, 422, "invalid-input").await;
        let detail = problem["detail"].as_str().unwrap_or_default().to_owned();
        assert!(detail.contains(message), "{body}: {detail}");
    }
    for malformed in [
        json!({"redirect_uris": ["https://app.example/cb"]}),
        with(json!({"client_id": "cli_AAAAAAAAAAAAAAAAAAAAAA"})),
        with(json!({"client_secret": "chosen"})),
        with(json!({"redirect_uris": "https://app.example/cb"})),
        with(json!({"first_party": "yes"})),
        with(json!({"refresh_token_reuse_interval_secs": "30"})),
        with(json!({"refresh_token_reuse_interval_secs": 1.5})),
    ] {
        let resp = send(&app, Method::POST, &clients_path(&a), Some(&malformed)).await;
        assert_problem(resp, 400, "bad-request").await;
    }
    assert_eq!(count(&app, &a).await, 0, "nothing written");

    let created = create(&app, &a, web_app()).await;
    let path = format!(
        "{}/{}",
        clients_path(&a),
        created["client_id"].as_str().expect("id")
    );
    let before = json_of(send(&app, Method::GET, &path, None).await, 200).await;
    for (patch, message) in [
        (
            json!({"redirect_uris": ["http://evil.example/cb"]}),
            "must use https",
        ),
        (json!({"redirect_uris": []}), "at least one redirect URI"),
        (json!({"grant_types": ["implicit"]}), "implicit"),
        (
            json!({"refresh_token_lifetime_secs": 3600}),
            "refresh_token_idle_secs",
        ),
        (json!({"scopes": ["x\\y"]}), "scopes"),
        (
            json!({"refresh_token_reuse_interval_secs": 61}),
            "refresh_token_reuse_interval_secs",
        ),
        (
            json!({"refresh_token_reuse_interval_secs": -5, "name": "Renamed"}),
            "refresh_token_reuse_interval_secs",
        ),
        (json!({"name": ""}), "name"),
        (json!({"allowed_resources": ["a b"]}), "allowed_resources"),
        (json!({"privileges": ["root"]}), "is not a privilege"),
    ] {
        let resp = send(&app, Method::PATCH, &path, Some(&patch)).await;
        let problem = assert_problem(resp, 422, "invalid-input").await;
        let detail = problem["detail"].as_str().unwrap_or_default().to_owned();
        assert!(detail.contains(message), "{patch}: {detail}");
    }
    assert_problem(
        send(&app, Method::PATCH, &path, Some(&json!({"kind": "public"}))).await,
        400,
        "bad-request",
    )
    .await;
    let after = json_of(send(&app, Method::GET, &path, None).await, 200).await;
    assert_eq!(after, before, "refused updates change nothing");
    for limit in ["0", "101"] {
        let resp = send(
            &app,
            Method::GET,
            &format!("{}?limit={limit}", clients_path(&a)),
            None,
        )
        .await;
        assert_problem(resp, 422, "invalid-input").await;
    }
}
both_engines!(bad_input_is_422_and_nothing_written, bad_input);
