//! The checks every service's OpenAPI test shares: the committed copy under
//! `docs/` is the generated document, the operations it lists, and how the
//! running service serves it.
use std::collections::BTreeSet;

use actix_web::dev::ServiceResponse;
use actix_web::http::header;
use serde_json::Value;

/// The HTTP methods an OpenAPI path item may hold.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// (method, path) of every operation in the document.
pub fn documented_operations(doc: &Value) -> BTreeSet<(String, String)> {
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

/// `doc` is an OpenAPI 3.1 document titled `title` at `version` that leaves
/// `servers` to the reader, documents exactly the operations `routed`, and
/// whose every `$ref` names something in its components.
pub fn assert_documents_exactly(
    doc: &Value,
    title: &str,
    version: &str,
    routed: &BTreeSet<(String, String)>,
) {
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], title);
    assert_eq!(doc["info"]["version"], version);
    assert!(
        doc.get("servers").is_none(),
        "servers are left to the reader"
    );
    let documented = documented_operations(doc);
    let missing: Vec<_> = routed.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(routed).collect();
    assert!(
        missing.is_empty(),
        "routes missing from the document: {missing:?}"
    );
    assert!(extra.is_empty(), "documented but not routed: {extra:?}");
    let dangling = dangling_refs(doc, doc);
    assert!(dangling.is_empty(), "references to nothing: {dangling:?}");
}

/// Every `$ref` under `value` that does not lead to a value of `doc`
/// (`#/components/responses/NotFound` with no such response).
pub fn dangling_refs(doc: &Value, value: &Value) -> Vec<String> {
    match value {
        Value::Object(map) => {
            let own = map
                .get("$ref")
                .and_then(Value::as_str)
                .filter(|r| {
                    r.strip_prefix('#')
                        .and_then(|pointer| doc.pointer(pointer))
                        .is_none()
                })
                .map(str::to_owned);
            own.into_iter()
                .chain(map.values().flat_map(|v| dangling_refs(doc, v)))
                .collect()
        }
        Value::Array(items) => items.iter().flat_map(|v| dangling_refs(doc, v)).collect(),
        _ => Vec::new(),
    }
}

/// Panics, saying where and how to regenerate, unless the file at `committed`
/// holds `rendered`. With `UPDATE_OPENAPI=1` it writes the file instead and
/// returns false.
pub fn check_committed(committed: &str, rendered: &str, regenerate: &str) -> bool {
    let name = committed.rsplit('/').next().unwrap_or(committed);
    if std::env::var("UPDATE_OPENAPI").as_deref() == Ok("1") {
        std::fs::write(committed, rendered).unwrap_or_else(|e| panic!("write {name}: {e}"));
        return false;
    }
    let text = std::fs::read_to_string(committed).unwrap_or_default();
    if text != rendered {
        let line = text
            .lines()
            .zip(rendered.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| text.lines().count().min(rendered.lines().count()));
        panic!(
            "docs/{name} differs from the document the code generates \
             (first difference at line {}:\n  committed: {:?}\n  generated: {:?}).\n\
             Regenerate it with `{regenerate}` and commit it.",
            line + 1,
            text.lines().nth(line).unwrap_or("<end of file>"),
            rendered.lines().nth(line).unwrap_or("<end of file>"),
        );
    }
    true
}

/// The answer to `GET …/openapi.json` is `rendered`, public, cacheable for
/// 5 minutes, as JSON.
pub async fn assert_served(resp: ServiceResponse, rendered: &str) {
    assert_eq!(resp.status(), 200);
    let headers = resp.headers().clone();
    let value = |name| headers.get(name).and_then(|v| v.to_str().ok());
    assert_eq!(value(header::CACHE_CONTROL), Some("public, max-age=300"));
    assert_eq!(value(header::CONTENT_TYPE), Some("application/json"));
    let body = actix_web::test::read_body(resp).await;
    assert_eq!(body, rendered.as_bytes());
}
