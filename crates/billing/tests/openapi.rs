//! `docs/billing-openapi.json` is the billing API's OpenAPI document as the
//! code generates it, byte for byte, and it covers every route of the URL
//! table (`/v1/…` and `/webhooks/stripe`).
//!
//! When the code changes the document, regenerate the file with
//! `UPDATE_OPENAPI=1 cargo test -p billing --test openapi` and commit it.
use std::collections::BTreeSet;

use actix_web::{test as web_test, App};
use billing::http::openapi::{document, BillingApi};
use serde_json::{json, Value};
use service_kit::openapi;
use service_kit::testing::openapi::{
    assert_documents_exactly, assert_served, check_committed, documented_operations,
};
use utoipa::OpenApi;

const COMMITTED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../docs/billing-openapi.json"
);
const ROUTE_TABLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/http/mod.rs");

/// Every route of `src/http/mod.rs`, as (method, full path), in the order of
/// the table.
const ROUTES: &[(&str, &str)] = &[
    ("post", "/webhooks/stripe"),
    ("get", "/v1/openapi.json"),
    ("get", "/v1/plans"),
    ("post", "/v1/usage"),
    ("get", "/v1/tenants/{tenant_id}/entitlements"),
    ("get", "/v1/tenants/{tenant_id}/subscription"),
    ("put", "/v1/tenants/{tenant_id}/plan"),
    ("get", "/v1/tenants/{tenant_id}/usage"),
    ("get", "/v1/tenants/{tenant_id}/account"),
    ("put", "/v1/tenants/{tenant_id}/account"),
    ("get", "/v1/tenants/{tenant_id}/invoices"),
    ("post", "/v1/tenants/{tenant_id}/checkout"),
    ("post", "/v1/tenants/{tenant_id}/portal"),
];

/// Operations anyone may call.
const PUBLIC: &[&str] = &["/v1/plans", "/v1/openapi.json"];

fn rendered() -> String {
    openapi::render(&BillingApi::openapi())
}

fn parsed() -> Value {
    serde_json::from_str(&rendered()).expect("the document is JSON")
}

fn listed() -> BTreeSet<(String, String)> {
    let listed: BTreeSet<_> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(listed.len(), ROUTES.len(), "ROUTES has duplicates");
    listed
}

/// The routes of `configure` in `src/http/mod.rs`, read from its source:
/// each `web::resource("…")` with its `.get(…)`, `.put(…)`… methods and the
/// paths of the `web::scope("…")`s it is nested in. A scope or a resource
/// applies inside the `.service(…)` that holds it.
fn routes_in_source(source: &str) -> Vec<(String, String)> {
    const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];
    let start = source
        .find("pub fn configure(")
        .expect("fn configure in src/http/mod.rs");
    let body = &source[start..];
    let body = &body[..body.find("\n}\n").expect("the end of fn configure")];

    // (paren depth inside the `.service(`, scope path, resource path)
    let mut services: Vec<(usize, Option<String>, Option<String>)> = Vec::new();
    let mut routes = Vec::new();
    let mut depth = 0usize;
    let mut rest = body;
    'scan: while let Some(c) = rest.chars().next() {
        if rest.starts_with(".service(") {
            depth += 1;
            services.push((depth, None, None));
            rest = &rest[".service(".len()..];
            continue;
        }
        for (kind, prefix) in [(1, "web::scope(\""), (2, "web::resource(\"")] {
            if let Some(after) = rest.strip_prefix(prefix) {
                let path = &after[..after.find('"').expect("a quoted path")];
                let service = services
                    .last_mut()
                    .expect("a scope or resource inside a .service(…)");
                let slot = if kind == 1 {
                    &mut service.1
                } else {
                    &mut service.2
                };
                assert!(slot.is_none(), "two scopes or resources in one .service(…)");
                *slot = Some(path.to_owned());
                // Past the closing `")`.
                rest = &after[path.len() + 2..];
                continue 'scan;
            }
        }
        for method in METHODS {
            if let Some(after) = rest.strip_prefix(&format!(".{method}(")) {
                let resource = services
                    .iter()
                    .rev()
                    .find_map(|(_, _, r)| r.clone())
                    .expect("a method of a web::resource");
                let prefix: String = services
                    .iter()
                    .filter_map(|(_, p, _)| p.as_deref())
                    .collect();
                routes.push((method.to_owned(), format!("{prefix}{resource}")));
                depth += 1;
                rest = after;
                continue 'scan;
            }
        }
        match c {
            '(' => depth += 1,
            ')' => {
                if services.last().is_some_and(|(d, _, _)| *d == depth) {
                    services.pop();
                }
                depth = depth.checked_sub(1).expect("balanced parentheses");
            }
            _ => {}
        }
        rest = &rest[c.len_utf8()..];
    }
    assert!(services.is_empty(), "unbalanced .service(…)");
    routes
}

#[test]
fn committed_document_is_the_generated_one() {
    let rendered = rendered();
    if check_committed(
        COMMITTED,
        &rendered,
        "UPDATE_OPENAPI=1 cargo test -p billing --test openapi",
    ) {
        assert_eq!(document(), rendered, "the served document is the same text");
    }
}

#[test]
fn document_has_exactly_the_routes() {
    let title = "ConnectAuth billing API";
    assert_documents_exactly(&parsed(), title, env!("CARGO_PKG_VERSION"), &listed());
}

/// The list above is the route table, read from its source: a route added
/// there without a line here fails this test.
#[test]
fn route_list_matches_the_route_table() {
    let source = std::fs::read_to_string(ROUTE_TABLE).expect("read src/http/mod.rs");
    let routed = routes_in_source(&source);
    let listed: Vec<_> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(
        routed, listed,
        "ROUTES in tests/openapi.rs must list the routes of src/http/mod.rs, in order"
    );
}

/// The reader of the source is checked on a table of another shape.
#[test]
fn the_source_reader_follows_nested_scopes() {
    let source = r#"
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/a").post(a::b))
        .service(
            web::scope("/v1")
                .wrap(DefaultHeaders::new().add((header::CACHE_CONTROL, "no-store")))
                .service(web::resource("/x").get(x))
                .service(web::scope("/t/{id}").service(web::resource("/y").put(y)))
                .service(web::resource("/z").delete(z)),
        )
        .service(web::resource("/b").get(b));
}
"#;
    let routes = routes_in_source(source);
    let expected = [
        ("post", "/a"),
        ("get", "/v1/x"),
        ("put", "/v1/t/{id}/y"),
        ("delete", "/v1/z"),
        ("get", "/b"),
    ];
    let expected: Vec<_> = expected
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(routes, expected);
}

/// Each documented operation reaches a handler of the real route table
/// (neither 404 nor 405), whatever the handler then answers without its
/// application data.
#[actix_web::test]
async fn every_documented_operation_is_routed() {
    let app = web_test::init_service(App::new().configure(billing::http::configure)).await;
    for (method, path) in documented_operations(&parsed()) {
        let uri = path.replace("{tenant_id}", "6f1c1d3e-8a3b-4c1f-9d2e-2b7a4c5d6e7f");
        let method = actix_web::http::Method::from_bytes(method.to_uppercase().as_bytes())
            .expect("a method");
        let resp = web_test::call_service(
            &app,
            web_test::TestRequest::default()
                .method(method.clone())
                .uri(&uri)
                .to_request(),
        )
        .await;
        assert!(
            ![404, 405].contains(&resp.status().as_u16()),
            "{method} {uri} is not routed: {}",
            resp.status()
        );
    }
}

#[test]
fn security_is_described() {
    let doc = parsed();
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["platform_token"]["type"], "http");
    assert_eq!(schemes["platform_token"]["scheme"], "bearer");
    assert_eq!(schemes["platform_token"]["bearerFormat"], "JWT");
    assert_eq!(schemes["stripe_signature"]["type"], "apiKey");
    assert_eq!(schemes["stripe_signature"]["in"], "header");
    assert_eq!(schemes["stripe_signature"]["name"], "Stripe-Signature");
    assert!(doc.get("security").is_none(), "security is per operation");

    let scopes = |op: &Value| -> BTreeSet<String> {
        op["security"]
            .as_array()
            .expect("security")
            .iter()
            .map(|req| {
                let req = req.as_object().expect("a requirement");
                assert_eq!(req.len(), 1, "one scheme per requirement");
                let scopes = req["platform_token"].as_array().expect("platform_token");
                assert_eq!(scopes.len(), 1, "one scope per requirement");
                scopes[0].as_str().expect("scope").to_owned()
            })
            .collect()
    };
    let set = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    for (method, path) in documented_operations(&doc) {
        let op = &doc["paths"][&path][&method];
        if PUBLIC.contains(&path.as_str()) {
            assert_eq!(op["security"], json!([{}]), "{path} is public");
            continue;
        }
        if path == "/webhooks/stripe" {
            assert_eq!(op["security"], json!([{ "stripe_signature": [] }]));
            assert!(op["responses"].get("400").is_some());
            continue;
        }
        let expected = match (method.as_str(), path.as_str()) {
            ("post", "/v1/usage") => set(&["billing:usage", "billing:admin"]),
            ("get", "/v1/tenants/{tenant_id}/entitlements") => {
                set(&["billing:entitlements", "billing:admin", "billing:manage"])
            }
            ("put", "/v1/tenants/{tenant_id}/plan") => set(&["billing:admin"]),
            _ => set(&["billing:admin", "billing:manage"]),
        };
        assert_eq!(scopes(op), expected, "{method} {path}");
        for status in ["401", "403"] {
            assert!(
                op["responses"].get(status).is_some(),
                "{method} {path} documents no {status}"
            );
        }
        if path.starts_with("/v1/tenants/") {
            assert!(
                op["responses"].get("422").is_some(),
                "{method} {path}: a bad tenant id is 422"
            );
        }
    }
    for path in [
        "/v1/tenants/{tenant_id}/checkout",
        "/v1/tenants/{tenant_id}/portal",
        "/webhooks/stripe",
    ] {
        let responses = &doc["paths"][path]["post"]["responses"];
        for status in ["409", "502", "503"] {
            assert!(
                responses.get(status).is_some(),
                "{path} calls Stripe: documents {status}"
            );
        }
    }
}

/// Every error response is a problem.
#[test]
fn errors_are_problems() {
    let doc = parsed();
    let responses = doc["components"]["responses"]
        .as_object()
        .expect("responses");
    for (name, response) in responses {
        assert_eq!(
            response["content"]["application/problem+json"]["schema"]["$ref"],
            "#/components/schemas/Problem",
            "{name}"
        );
    }
    for (method, path) in documented_operations(&doc) {
        let op = &doc["paths"][&path][&method];
        for (status, response) in op["responses"].as_object().expect("responses") {
            if status.starts_with('4') || status.starts_with('5') {
                assert!(
                    response.get("$ref").is_some(),
                    "{method} {path} {status} is not a shared problem response"
                );
            }
        }
    }
}

/// Served by the real route table, without a token, and not `no-store` like
/// the rest of `/v1`.
#[actix_web::test]
async fn document_is_served_publicly() {
    let app = web_test::init_service(App::new().configure(billing::http::configure)).await;
    let resp = web_test::call_service(
        &app,
        web_test::TestRequest::get()
            .uri("/v1/openapi.json")
            .to_request(),
    )
    .await;
    assert_served(resp, &rendered()).await;
}
