//! Two updates of one endpoint at the same moment, each naming another
//! field: both stay. The one that read the endpoint before the other wrote
//! is made again on that one's result, never written over it (a URL moved
//! away from a compromised receiver does not come back).
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
