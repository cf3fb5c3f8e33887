//! What the OIDC provider refuses, and how (RFC 6749 errors, no open
//! redirects, tenant isolation, key rotation and revocation).
mod authorize_endpoint;
mod signing;
mod tokens;

use serde_json::{json, Value};
use service_kit::db::Engine;

use crate::helpers::{spawn_app, TestApp, PASSWORD};
use crate::oidc::{create_client, TestClient};

pub(super) async fn logged_in_app() -> (
    TestApp,
    TestClient,
    crate::web::Web,
    auth_server::domain::tenant::Tenant,
) {
    let app = spawn_app(Engine::Sqlite).await;
    let tenant = app.tenant("acme", json!({})).await;
    let web = app.web();
    app.signup_verified(&web, "acme", "alice@example.com", PASSWORD)
        .await;
    app.login(&web, "acme", "alice@example.com", PASSWORD).await;
    let client = create_client(&app, &tenant.id.to_string(), json!({"first_party": true})).await;
    (app, client, web, tenant)
}

pub(super) async fn tokens_for(app: &TestApp, web: &crate::web::Web, client: &TestClient) -> Value {
    crate::oidc::code_flow(app, web, "acme", client, "alice@example.com", PASSWORD).await
}
