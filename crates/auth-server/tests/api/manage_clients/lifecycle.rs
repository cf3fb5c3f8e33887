//! A client's life: created with its secret shown once, read without it,
//! listed page by page, updated, disabled.
use auth_server::domain::client::verify_secret;
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use super::{clients_path, create, json_of, now, send, stored, web_app};
use crate::helpers::spawn_app;

async fn lifecycle(engine: Engine) {
    let app = spawn_app(engine).await;
    let a = app.tenant("tenant-a", json!({})).await;
    let resp = send(&app, Method::POST, &clients_path(&a), Some(&web_app())).await;
    assert_eq!(resp.status().as_u16(), 201);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let location = resp.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let created: Value = resp.json().await.expect("json");
    let id = created["client_id"].as_str().expect("client_id").to_owned();
    let secret = created["client_secret"]
        .as_str()
        .expect("secret shown once")
        .to_owned();
    assert!(id.starts_with("cli_") && id.len() == 26, "{id}");
    assert_eq!(secret.len(), 43);
    assert_eq!(location, format!("{}/{id}", clients_path(&a)));
    assert_eq!(created["kind"], "confidential");
    assert_eq!(
        created["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(
        created["scopes"],
        json!(["openid", "profile", "email", "offline_access"])
    );
    assert_eq!(created["access_token_lifetime_secs"], 900);
    assert_eq!(created["refresh_token_lifetime_secs"], 30 * 86_400);
    assert_eq!(created["refresh_token_idle_secs"], 7 * 86_400);
    assert_eq!(created["refresh_token_reuse_interval_secs"], 0);
    assert_eq!(created["id_token_alg"], "ES256");
    assert_eq!(created["first_party"], false);
    assert_eq!(created["allowed_resources"], json!([]));
    assert_eq!(created["require_pkce"], true);
    assert_eq!(created["privileges"], json!([]));
    assert_eq!(created["status"], "active");

    // The secret never comes back: not in clear, not as its digest.
    let digest = auth_server::opaque_secret::digest(&secret);
    let got = send(&app, Method::GET, &location, None).await;
    let text = got.text().await.expect("body");
    assert!(!text.contains(&secret) && !text.contains(&digest), "{text}");
    let got: Value = serde_json::from_str(&text).expect("json");
    let mut expected = created.clone();
    if let Some(fields) = expected.as_object_mut() {
        fields.remove("client_secret");
    }
    assert_eq!(got, expected);
    assert!(verify_secret(&stored(&app, &a, &id).await, &secret, now()));

    let spa = create(
        &app,
        &a,
        json!({"name": "SPA", "kind": "public", "redirect_uris": ["http://localhost:3000/cb"],
               "grant_types": ["authorization_code"], "scopes": ["openid"]}),
    )
    .await;
    assert!(
        spa.get("client_secret").is_none(),
        "public clients have no secret"
    );
    assert_eq!(spa["kind"], "public");

    // A setting given as `null` is one left out: it takes its default (in
    // a tenant of its own, so the listing below sees only the two above).
    let n = app.tenant("tenant-n", json!({})).await;
    let settings_of = |mut client: Value| {
        if let Some(fields) = client.as_object_mut() {
            for varies in [
                "client_id",
                "client_secret",
                "name",
                "created_at",
                "updated_at",
            ] {
                fields.remove(varies);
            }
        }
        client
    };
    let left_out = create(
        &app,
        &n,
        json!({"name": "Worker", "grant_types": ["client_credentials"]}),
    )
    .await;
    let nulls = create(
        &app,
        &n,
        json!({"name": "Worker too", "kind": null, "grant_types": ["client_credentials"],
               "redirect_uris": null, "post_logout_redirect_uris": null, "scopes": null,
               "cors_origins": null, "access_token_lifetime_secs": null,
               "refresh_token_lifetime_secs": null, "refresh_token_idle_secs": null,
               "refresh_token_reuse_interval_secs": null, "id_token_alg": null,
               "first_party": null, "allowed_resources": null, "require_pkce": null,
               "privileges": null}),
    )
    .await;
    assert_eq!(settings_of(nulls), settings_of(left_out));

    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let page = json_of(
            send(
                &app,
                Method::GET,
                &format!("{}?limit=1&after={after}", clients_path(&a)),
                None,
            )
            .await,
            200,
        )
        .await;
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= 1);
        for item in items {
            assert!(item.get("client_secret").is_none());
            seen.push(item["client_id"].as_str().expect("id").to_owned());
        }
        match page["next_after"].as_str() {
            Some(next) => after = next.to_owned(),
            None => break,
        }
    }
    seen.sort();
    let mut both = vec![
        id.clone(),
        spa["client_id"].as_str().expect("id").to_owned(),
    ];
    both.sort();
    assert_eq!(seen, both);

    let patch = json!({
        "name": "Web app v2",
        "redirect_uris": ["https://app.example/cb2", "http://127.0.0.1:8080/cb"],
        "post_logout_redirect_uris": ["https://app.example/bye"],
        "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
        "scopes": ["openid", "orders:read"],
        "cors_origins": ["https://App.Example:443"],
        "access_token_lifetime_secs": 300,
        "refresh_token_lifetime_secs": 86_400,
        "refresh_token_idle_secs": 3_600,
        "refresh_token_reuse_interval_secs": 60,
        "id_token_alg": "RS256",
        "first_party": true,
        "allowed_resources": ["https://api.app.example", "connectauth-billing"],
        "require_pkce": false,
        "privileges": ["introspect:any"],
    });
    let updated = json_of(
        send(&app, Method::PATCH, &location, Some(&patch)).await,
        200,
    )
    .await;
    for key in [
        "name",
        "redirect_uris",
        "post_logout_redirect_uris",
        "grant_types",
        "scopes",
        "access_token_lifetime_secs",
        "refresh_token_lifetime_secs",
        "refresh_token_idle_secs",
        "refresh_token_reuse_interval_secs",
        "id_token_alg",
        "first_party",
        "allowed_resources",
        "require_pkce",
        "privileges",
    ] {
        assert_eq!(updated[key], patch[key], "{key}");
    }
    assert_eq!(
        updated["cors_origins"],
        json!(["https://app.example"]),
        "stored as browsers send it"
    );
    assert_eq!(
        json_of(send(&app, Method::GET, &location, None).await, 200).await,
        updated
    );
    let partial = json_of(
        send(
            &app,
            Method::PATCH,
            &location,
            Some(&json!({"first_party": false})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(partial["first_party"], false);
    assert_eq!(partial["name"], "Web app v2", "other settings untouched");
    assert!(
        verify_secret(&stored(&app, &a, &id).await, &secret, now()),
        "updates keep the secret"
    );

    let disabled = json_of(
        send(&app, Method::POST, &format!("{location}/disable"), None).await,
        200,
    )
    .await;
    assert_eq!(disabled["status"], "disabled");
    assert!(disabled["disabled_at"].is_string());
    assert!(
        !verify_secret(&stored(&app, &a, &id).await, &secret, now()),
        "disabled clients do not authenticate"
    );
}
both_engines!(create_get_list_patch_disable_client, lifecycle);
