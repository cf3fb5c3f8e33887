//! `/manage/v1/tenants/{id}/clients` over HTTP, on both engines.
mod bad_input;
mod concurrent_updates;
mod isolation;
mod lifecycle;
mod secret_rotation;

use auth_server::domain::client::{Client, ClientId};
use auth_server::domain::tenant::Tenant;
use auth_server::store::clients::ClientStore;
use reqwest::{Method, Response};
use serde_json::{json, Value};

use crate::helpers::TestApp;

pub(super) fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

pub(super) fn clients_path(tenant: &Tenant) -> String {
    format!("/manage/v1/tenants/{}/clients", tenant.id)
}

pub(super) async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> Response {
    let req = app.admin(method, path);
    let req = match body {
        Some(b) => req.json(b),
        None => req,
    };
    req.send().await.expect("request sent")
}

pub(super) async fn json_of(resp: Response, status: u16) -> Value {
    assert_eq!(resp.status().as_u16(), status);
    resp.json().await.expect("json body")
}

/// Creates a client; returns its answer (with the secret, if any).
pub(super) async fn create(app: &TestApp, tenant: &Tenant, body: Value) -> Value {
    json_of(
        send(app, Method::POST, &clients_path(tenant), Some(&body)).await,
        201,
    )
    .await
}

pub(super) fn web_app() -> Value {
    json!({"name": "Web app", "redirect_uris": ["https://app.example/cb"]})
}

pub(super) async fn stored(app: &TestApp, tenant: &Tenant, client_id: &str) -> Client {
    let id = ClientId::parse(client_id).expect("client id");
    ClientStore::new(app.database.pool.clone())
        .get(tenant.id, &id)
        .await
        .expect("client stored")
}

pub(super) async fn count(app: &TestApp, tenant: &Tenant) -> i64 {
    ClientStore::new(app.database.pool.clone())
        .count(tenant.id)
        .await
        .expect("count")
}
