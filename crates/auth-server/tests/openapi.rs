//! `docs/openapi.json` is the management API's OpenAPI document as the code
//! generates it, byte for byte, and it covers every `/manage/v1` route.
//!
//! When the code changes the document, regenerate the file with
//! `UPDATE_OPENAPI=1 cargo test -p auth-server --test openapi` and commit it.
use std::collections::BTreeSet;

use actix_web::{http::header, test as web_test, App};
use auth_server::http::manage::openapi::{document, ManagementApi};
use serde_json::Value;
use utoipa::OpenApi;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
const ROUTE_TABLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/http/mod.rs");
const PREFIX: &str = "/manage/v1";

/// Every route of the `/manage/v1` scope of `src/http/mod.rs`, as
/// (method, path within the scope).
const ROUTES: &[(&str, &str)] = &[
    ("get", "/openapi.json"),
    ("post", "/tenants"),
    ("get", "/tenants"),
    ("get", "/tenants/by-slug/{slug}"),
    ("get", "/tenants/{id}"),
    ("patch", "/tenants/{id}"),
    ("post", "/tenants/{id}/disable"),
    ("get", "/tenants/{id}/users"),
    ("get", "/tenants/{id}/users/{user_id}"),
    ("post", "/tenants/{id}/users/{user_id}/disable"),
    ("delete", "/tenants/{id}/users/{user_id}/sessions"),
    ("get", "/tenants/{id}/events"),
    ("post", "/tenants/{id}/clients"),
    ("get", "/tenants/{id}/clients"),
    ("get", "/tenants/{id}/clients/{client_id}"),
    ("patch", "/tenants/{id}/clients/{client_id}"),
    ("post", "/tenants/{id}/clients/{client_id}/rotate-secret"),
    ("post", "/tenants/{id}/clients/{client_id}/disable"),
    ("post", "/tenants/{id}/owners"),
    ("get", "/tenants/{id}/owners"),
    ("delete", "/tenants/{id}/owners/{user_id}"),
];

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn rendered() -> String {
    let mut text = ManagementApi::openapi()
        .to_pretty_json()
        .expect("the document serialises");
    text.push('\n');
    text
}

fn parsed() -> Value {
    serde_json::from_str(&rendered()).expect("the document is JSON")
}

/// (method, full path) of every operation in the document.
fn documented_operations(doc: &Value) -> BTreeSet<(String, String)> {
    let paths = doc["paths"].as_object().expect("paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(move |m| (m.to_string(), path.clone()))
        })
        .collect()
}

#[test]
fn committed_document_is_the_generated_one() {
    let rendered = rendered();
    if std::env::var("UPDATE_OPENAPI").as_deref() == Ok("1") {
        std::fs::write(COMMITTED, &rendered).expect("write docs/openapi.json");
        return;
    }
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    if committed != rendered {
        let line = committed
            .lines()
            .zip(rendered.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(rendered.lines().count()));
        panic!(
            "docs/openapi.json differs from the document the code generates \
             (first difference at line {}:\n  committed: {:?}\n  generated: {:?}).\n\
             Regenerate it with `UPDATE_OPENAPI=1 cargo test -p auth-server --test openapi` \
             and commit it.",
            line + 1,
            committed.lines().nth(line).unwrap_or("<end of file>"),
            rendered.lines().nth(line).unwrap_or("<end of file>"),
        );
    }
    assert_eq!(document(), rendered, "the served document is the same text");
}

#[test]
fn document_has_exactly_the_management_routes() {
    let doc = parsed();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "ConnectAuth management API");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        doc.get("servers").is_none(),
        "servers are left to the reader"
    );

    let listed: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), format!("{PREFIX}{p}")))
        .collect();
    assert_eq!(listed.len(), ROUTES.len(), "ROUTES has duplicates");
    let documented = documented_operations(&doc);
    let missing: Vec<_> = listed.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "routes missing from the document: {missing:?}"
    );
    assert!(extra.is_empty(), "documented but not routed: {extra:?}");
}

/// The list above is the `/manage/v1` scope of the route table, read from
/// its source: a route added there without a line here fails this test.
#[test]
fn route_list_matches_the_route_table() {
    let source = std::fs::read_to_string(ROUTE_TABLE).expect("read src/http/mod.rs");
    let start = source
        .find("web::scope(\"/manage/v1\")")
        .expect("the /manage/v1 scope");
    let scope = &source[start..];
    let scope = &scope[..scope.find("cfg.").unwrap_or(scope.len())];
    let mut routed = Vec::new();
    for chunk in scope.split(".route(").skip(1) {
        let path = chunk.split('"').nth(1).expect("a quoted path");
        let method = chunk
            .split("web::")
            .nth(1)
            .and_then(|rest| rest.split("()").next())
            .expect("web::<method>()");
        routed.push((method.to_owned(), path.to_owned()));
    }
    let listed: Vec<_> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(
        routed, listed,
        "ROUTES in tests/openapi.rs must list the /manage/v1 scope of src/http/mod.rs, in order"
    );
}

#[test]
fn every_operation_but_the_document_needs_the_operator_token() {
    let doc = parsed();
    let scheme = &doc["components"]["securitySchemes"]["operator_token"];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
    assert_eq!(
        doc["security"],
        serde_json::json!([{ "operator_token": [] }])
    );
    for (method, path) in documented_operations(&doc) {
        let op = &doc["paths"][&path][&method];
        if path == format!("{PREFIX}/openapi.json") {
            assert_eq!(op["security"], serde_json::json!([{}]), "public");
            continue;
        }
        assert!(
            op.get("security").is_none(),
            "{method} {path} overrides security"
        );
        assert!(
            op["responses"].get("401").is_some(),
            "{method} {path} documents no 401"
        );
    }
}

/// Served by the real route table, without a token.
#[actix_web::test]
async fn document_is_served_publicly() {
    let app = web_test::init_service(App::new().configure(auth_server::http::configure)).await;
    let resp = web_test::call_service(
        &app,
        web_test::TestRequest::get()
            .uri("/manage/v1/openapi.json")
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let headers = resp.headers().clone();
    assert_eq!(
        headers
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok()),
        Some("public, max-age=300")
    );
    assert_eq!(
        headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    let body = web_test::read_body(resp).await;
    assert_eq!(body, rendered().as_bytes());
}
