//! Rotating a client's secret, with an optional overlap for the old one;
//! a public client has no secret to rotate.
use auth_server::domain::client::verify_secret;
use reqwest::Method;
use serde_json::json;
use service_kit::both_engines;
use service_kit::db::Engine;

use super::{clients_path, create, json_of, now, send, stored, web_app};
use crate::helpers::{assert_problem, spawn_app};

async fn rotation(engine: Engine) {
    let app = spawn_app(engine).await;
    let a = app.tenant("tenant-a", json!({})).await;
    let created = create(&app, &a, web_app()).await;
    let id = created["client_id"].as_str().expect("id").to_owned();
    let old = created["client_secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let rotate = format!("{}/{id}/rotate-secret", clients_path(&a));

    let resp = send(
        &app,
        Method::POST,
        &rotate,
        Some(&json!({"overlap_secs": 3600})),
    )
    .await;
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let rotated = json_of(resp, 200).await;
    let new = rotated["client_secret"]
        .as_str()
        .expect("new secret shown once")
        .to_owned();
    assert_ne!(new, old);
    assert!(rotated["previous_secret_expires_at"].is_string());
    let client = stored(&app, &a, &id).await;
    assert!(
        verify_secret(&client, &old, now()),
        "old secret valid during the overlap"
    );
    assert!(verify_secret(&client, &new, now()));
    let got = send(
        &app,
        Method::GET,
        &format!("{}/{id}", clients_path(&a)),
        None,
    )
    .await;
    let text = got.text().await.expect("body");
    assert!(!text.contains(&new) && !text.contains(&old));

    // The overlap is over.
    sqlx::query("UPDATE clients SET previous_secret_expires_at = $1 WHERE id = $2")
        .bind(now() - 1)
        .bind(&id)
        .execute(&app.database.pool)
        .await
        .expect("expire the previous secret");
    let client = stored(&app, &a, &id).await;
    assert!(
        !verify_secret(&client, &old, now()),
        "old secret refused after the overlap"
    );
    assert!(verify_secret(&client, &new, now()));

    for bad in [
        json!({"overlap_secs": -1}),
        json!({"overlap_secs": 604_801}),
    ] {
        assert_problem(
            send(&app, Method::POST, &rotate, Some(&bad)).await,
            422,
            "invalid-input",
        )
        .await;
    }
    assert_problem(
        send(&app, Method::POST, &rotate, Some(&json!({"overlap": 1}))).await,
        400,
        "bad-request",
    )
    .await;
    assert!(
        verify_secret(&stored(&app, &a, &id).await, &new, now()),
        "refused rotations change nothing"
    );

    let newest = json_of(
        send(&app, Method::POST, &rotate, Some(&json!({}))).await,
        200,
    )
    .await;
    let newest = newest["client_secret"].as_str().expect("secret").to_owned();
    let client = stored(&app, &a, &id).await;
    assert!(verify_secret(&client, &newest, now()));
    assert!(
        !verify_secret(&client, &new, now()),
        "no overlap by default"
    );

    let spa = create(
        &app,
        &a,
        json!({"name": "SPA", "kind": "public", "redirect_uris": ["https://spa.example/cb"]}),
    )
    .await;
    let spa_rotate = format!(
        "{}/{}/rotate-secret",
        clients_path(&a),
        spa["client_id"].as_str().expect("id")
    );
    let refused = assert_problem(
        send(&app, Method::POST, &spa_rotate, Some(&json!({}))).await,
        409,
        "client-has-no-secret",
    )
    .await;
    assert!(refused["detail"]
        .as_str()
        .is_some_and(|d| d.contains("public client has no secret")));
}
both_engines!(rotate_secret_with_overlap, rotation);
