//! Changes at the same moment: two updates of one endpoint, each naming
//! another field, both stay (the one that read the endpoint before the
//! other wrote is made again on that one's result, so a URL moved away from
//! a compromised receiver does not come back); creations never take a
//! tenant past its 20 endpoints.
use reqwest::Method;
use serde_json::json;
use service_kit::both_engines;
use service_kit::db::Engine;

use super::{add, base, call};
use crate::helpers::spawn_app;

async fn both_updates_stay(engine: Engine) {
    let app = spawn_app(engine).await;
    let acme = app.tenant("acme", json!({})).await;
    for round in 0..8 {
        let (hook, _) = add(
            &app,
            &acme,
            "https://old-receiver.example/hooks",
            &["user.created"],
        )
        .await;
        let path = format!("{}/{}", base(&acme), hook["id"].as_str().expect("id"));
        let moved = json!({ "url": format!("https://new-receiver.example/hooks/{round}") });
        let described = json!({ "description": format!("round {round}") });
        let ((moved_status, _), (described_status, _)) = tokio::join!(
            call(&app, Method::PATCH, &path, Some(moved.clone())),
            call(&app, Method::PATCH, &path, Some(described.clone())),
        );
        assert_eq!(
            (moved_status, described_status),
            (200, 200),
            "round {round}"
        );
        let (_, stored) = call(&app, Method::GET, &path, None).await;
        assert_eq!(
            (&stored["url"], &stored["description"]),
            (&moved["url"], &described["description"]),
            "round {round}: an update was lost: {stored}"
        );
    }
}
both_engines!(two_updates_at_once_both_stay, both_updates_stay);

async fn creations_stop_at_the_cap(engine: Engine) {
    let app = spawn_app(engine).await;
    let acme = app.tenant("acme", json!({})).await;
    for n in 0..18 {
        add(
            &app,
            &acme,
            &format!("https://receiver.example/hooks/{n}"),
            &["user.created"],
        )
        .await;
    }
    let create = |n: usize| {
        let body =
            json!({"url": format!("https://late.example/hooks/{n}"), "events": ["user.created"]});
        let request = app.admin(Method::POST, &base(&acme)).json(&body);
        async move { request.send().await.expect("sent").status().as_u16() }
    };
    let statuses = futures_util::future::join_all((0..6).map(create)).await;
    let created = statuses.iter().filter(|s| **s == 201).count();
    let refused = statuses.iter().filter(|s| **s == 422).count();
    assert_eq!((created, refused), (2, 4), "{statuses:?}");
    let (_, list) = call(&app, Method::GET, &base(&acme), None).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(20), "{list}");
}
both_engines!(creations_at_once_stop_at_twenty, creations_stop_at_the_cap);
