//! Two updates of one client at the same moment, each naming other settings:
//! both stay. An update that read the client before the other wrote is
//! applied again to what the other wrote, never written over it (a removed
//! redirect URI does not come back because someone renamed the app).
use reqwest::Method;
use serde_json::json;
use service_kit::both_engines;
use service_kit::db::Engine;

use super::{clients_path, create, json_of, send, web_app};
use crate::helpers::spawn_app;

async fn both_updates_stay(engine: Engine) {
    let app = spawn_app(engine).await;
    let tenant = app.tenant("acme", json!({})).await;
    for round in 0..8 {
        let mut body = web_app();
        body["redirect_uris"] = json!(["https://app.example/cb", "https://old.example/cb"]);
        let created = create(&app, &tenant, body).await;
        let path = format!(
            "{}/{}",
            clients_path(&tenant),
            created["client_id"].as_str().expect("client id")
        );
        let name = format!("Renamed {round}");
        let rename = json!({ "name": name });
        let narrow = json!({ "redirect_uris": ["https://app.example/cb"] });
        let (renamed, narrowed) = tokio::join!(
            send(&app, Method::PATCH, &path, Some(&rename)),
            send(&app, Method::PATCH, &path, Some(&narrow)),
        );
        assert_eq!(renamed.status(), 200, "round {round}");
        assert_eq!(narrowed.status(), 200, "round {round}");
        let client = json_of(send(&app, Method::GET, &path, None).await, 200).await;
        assert_eq!(client["name"], json!(name), "round {round}: {client}");
        assert_eq!(
            client["redirect_uris"],
            json!(["https://app.example/cb"]),
            "round {round}: the removed URI came back: {client}"
        );
    }
}
both_engines!(two_updates_at_once_both_stay, both_updates_stay);
