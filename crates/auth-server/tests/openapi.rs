//! `docs/openapi.json` is the management API's OpenAPI document as the code
//! generates it, byte for byte, and it covers every `/manage/v1` route.
//!
//! When the code changes the document, regenerate the file with
//! `UPDATE_OPENAPI=1 cargo test -p auth-server --test openapi` and commit it.
use std::collections::BTreeSet;

use actix_web::{test as web_test, App};
use auth_server::http::manage::openapi::document;
use serde_json::Value;
use service_kit::testing::openapi::{
    assert_documents_exactly, assert_served, check_committed, documented_operations,
};

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
const ROUTE_TABLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/http/mod.rs");
const PREFIX: &str = "/manage/v1";

/// Every route of the `/manage/v1` scope of `src/http/mod.rs`, as
/// (method, path within the scope).
const ROUTES: &[(&str, &str)] = &[
    ("get", "/openapi.json"),
    ("get", "/reports/operator"),
    ("post", "/tenants"),
    ("get", "/tenants"),
    ("get", "/tenants/by-slug/{slug}"),
    ("get", "/tenants/{id}"),
    ("patch", "/tenants/{id}"),
    ("patch", "/tenants/{id}/settings"),
    ("post", "/tenants/{id}/disable"),
    ("get", "/tenants/{id}/users"),
    ("post", "/tenants/{id}/users/import"),
    ("get", "/tenants/{id}/users/{user_id}"),
    ("delete", "/tenants/{id}/users/{user_id}"),
    ("post", "/tenants/{id}/users/{user_id}/reset-mfa"),
    ("post", "/tenants/{id}/users/{user_id}/resend-verification"),
    ("get", "/tenants/{id}/users/{user_id}/export"),
    ("post", "/tenants/{id}/users/{user_id}/disable"),
    ("post", "/tenants/{id}/users/{user_id}/enable"),
    ("delete", "/tenants/{id}/users/{user_id}/sessions"),
    ("get", "/tenants/{id}/events"),
    ("post", "/tenants/{id}/clients"),
    ("get", "/tenants/{id}/clients"),
    ("get", "/tenants/{id}/clients/{client_id}"),
    ("patch", "/tenants/{id}/clients/{client_id}"),
    ("post", "/tenants/{id}/clients/{client_id}/rotate-secret"),
    (
        "post",
        "/tenants/{id}/clients/{client_id}/secret-compromised",
    ),
    ("post", "/tenants/{id}/clients/{client_id}/disable"),
    ("post", "/tenants/{id}/clients/{client_id}/enable"),
    ("post", "/tenants/{id}/upstream-providers"),
    ("get", "/tenants/{id}/upstream-providers"),
    ("get", "/tenants/{id}/upstream-providers/{provider_id}"),
    ("patch", "/tenants/{id}/upstream-providers/{provider_id}"),
    ("delete", "/tenants/{id}/upstream-providers/{provider_id}"),
    ("get", "/tenants/{id}/users/{user_id}/upstream-tokens"),
    ("get", "/tenants/{id}/keys"),
    ("post", "/tenants/{id}/keys/rotate"),
    ("post", "/tenants/{id}/keys/{kid}/revoke"),
    ("post", "/tenants/{id}/keys/{kid}/compromised"),
    ("post", "/tenants/{id}/owners"),
    ("get", "/tenants/{id}/owners"),
    ("delete", "/tenants/{id}/owners/{user_id}"),
    ("patch", "/tenants/{id}/owners/{user_id}"),
    ("post", "/tenants/{id}/invitations"),
    ("get", "/tenants/{id}/invitations"),
    ("delete", "/tenants/{id}/invitations/{email}"),
    ("get", "/tenants/{id}/blocks"),
    ("post", "/tenants/{id}/blocks"),
    ("delete", "/tenants/{id}/blocks/{block_id}"),
    ("get", "/tenants/{id}/webhooks"),
    ("post", "/tenants/{id}/webhooks"),
    ("get", "/tenants/{id}/webhooks/{webhook_id}"),
    ("patch", "/tenants/{id}/webhooks/{webhook_id}"),
    ("delete", "/tenants/{id}/webhooks/{webhook_id}"),
    ("post", "/tenants/{id}/webhooks/{webhook_id}/rotate-secret"),
    ("post", "/tenants/{id}/webhooks/{webhook_id}/test"),
    ("get", "/tenants/{id}/webhooks/{webhook_id}/deliveries"),
    (
        "get",
        "/tenants/{id}/webhooks/{webhook_id}/deliveries/{delivery_id}",
    ),
    (
        "post",
        "/tenants/{id}/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    ),
];

fn rendered() -> String {
    document().to_owned()
}

fn parsed() -> Value {
    serde_json::from_str(&rendered()).expect("the document is JSON")
}

#[test]
fn committed_document_is_the_generated_one() {
    let rendered = rendered();
    if check_committed(
        COMMITTED,
        &rendered,
        "UPDATE_OPENAPI=1 cargo test -p auth-server --test openapi",
    ) {
        assert_eq!(document(), rendered, "the served document is the same text");
    }
}

#[test]
fn document_has_exactly_the_management_routes() {
    let listed: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), format!("{PREFIX}{p}")))
        .collect();
    assert_eq!(listed.len(), ROUTES.len(), "ROUTES has duplicates");
    let title = "ConnectAuth management API";
    assert_documents_exactly(&parsed(), title, env!("CARGO_PKG_VERSION"), &listed);
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
    // Each path is one `web::resource("…")` followed by its `.get(…)`,
    // `.post(…)`… methods.
    let mut routed = Vec::new();
    for chunk in scope.split("web::resource(").skip(1) {
        let path = chunk.split('"').nth(1).expect("a quoted path");
        for method in ["get", "post", "put", "patch", "delete"] {
            let call = format!(".{method}(");
            let mut at = 0;
            let mut found = Vec::new();
            while let Some(i) = chunk[at..].find(&call) {
                found.push(at + i);
                at += i + call.len();
            }
            for i in found {
                routed.push((i, method.to_owned(), path.to_owned()));
            }
        }
    }
    // Within one resource, in the order the methods are written.
    let mut ordered = Vec::new();
    let mut current: Vec<(usize, String, String)> = Vec::new();
    for (i, m, p) in routed {
        if current.last().is_some_and(|(_, _, last)| *last != p) {
            current.sort();
            ordered.extend(current.drain(..).map(|(_, m, p)| (m, p)));
        }
        current.push((i, m, p));
    }
    current.sort();
    ordered.extend(current.into_iter().map(|(_, m, p)| (m, p)));
    let routed = ordered;
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
fn every_operation_but_the_document_needs_a_bearer_token() {
    let doc = parsed();
    for name in ["operator_token", "api_credential"] {
        let scheme = &doc["components"]["securitySchemes"][name];
        assert_eq!(scheme["type"], "http", "{name}");
        assert_eq!(scheme["scheme"], "bearer", "{name}");
    }
    assert_eq!(
        doc["security"],
        serde_json::json!([{ "operator_token": [] }, { "api_credential": [] }])
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
    assert_served(resp, &rendered()).await;
}
