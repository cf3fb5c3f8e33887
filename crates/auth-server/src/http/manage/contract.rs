//! The single-field rules the management API enforces, written into its
//! OpenAPI document from the domain's own limits (lengths, ranges, patterns,
//! enums, reserved values), so a client or a fuzzer reading the document
//! knows what the server accepts. Rules between fields or on stored state
//! (a public client has no secret, an owner must have signed up) are the
//! operations' documented 409/422 responses instead.
use serde_json::{json, Map, Value};

use crate::domain::client::{
    ACCESS_TOKEN_SECS, INTROSPECT_ANY, MAX_URIS, REFRESH_TOKEN_SECS, RESOURCE_MAX_BYTES,
    SECRET_OVERLAP_MAX_SECS, URI_MAX_BYTES,
};
use crate::domain::display_name::DISPLAY_NAME_MAX;
use crate::domain::scope::SCOPE_MAX_CHARS;
use crate::domain::tenant::{RESERVED_SLUGS, SLUG_MAX, SLUG_MIN};
use crate::domain::webhook::endpoint::{
    MAX_DESCRIPTION_LEN as WEBHOOK_DESCRIPTION_MAX, MAX_URL_LEN as WEBHOOK_URL_MAX,
};
use crate::domain::webhook::event::EventType;
use service_kit::mail::EMAIL_MAX;

/// Whitespace in Rust's sense (`char::is_whitespace`) and control characters:
/// a name neither starts nor ends with one.
const NAME_EDGE: &str = r"[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]";
/// Inside a name: anything but control characters.
const NAME_INNER: &str = r"[^\x00-\x1f\x7f-\x9f]";
const LABEL: &str = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
/// The last label starts with a letter: a host of digits alone would be read
/// as an IPv4 address, which has rules of its own.
const TOP_LABEL: &str = "[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
const PORT: &str =
    "(?::(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?";
/// What `web_url` accepts after the authority, byte for byte.
const URI_REST: &str = r"(?:[/?][A-Za-z0-9\-._~:/?\[\]@!$&'()+,;=%]*)?";

fn name() -> Value {
    json!({
        "minLength": 1,
        "maxLength": DISPLAY_NAME_MAX,
        "pattern": format!("^{NAME_EDGE}(?:{NAME_INNER}*{NAME_EDGE})?$"),
    })
}

/// An https origin, or http on a loopback host.
fn origin_prefix() -> String {
    format!(
        "(?:https://(?:{LABEL}\\.)*{TOP_LABEL}|http://(?:127\\.0\\.0\\.1|localhost|\\[::1\\])){PORT}"
    )
}

fn uri_list() -> Value {
    json!({
        "maxItems": MAX_URIS,
        "items": {
            "maxLength": URI_MAX_BYTES,
            "pattern": format!("^{}{URI_REST}$", origin_prefix()),
        },
    })
}

fn rules() -> Vec<(&'static str, &'static str, Value)> {
    let slug = json!({
        "minLength": SLUG_MIN,
        "maxLength": SLUG_MAX,
        "pattern": "^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$",
        "not": { "enum": RESERVED_SLUGS },
    });
    let origins = json!({
        "maxItems": MAX_URIS,
        "items": { "pattern": format!("^{}$", origin_prefix()) },
    });
    let grants = json!({
        "minItems": 1,
        "items": { "enum": ["authorization_code", "refresh_token", "client_credentials"] },
    });
    let scopes = json!({
        "items": {
            "minLength": 1,
            "maxLength": SCOPE_MAX_CHARS,
            "pattern": r"^[\x21\x23-\x5b\x5d-\x7e]+$",
        },
    });
    let resources = json!({
        "maxItems": MAX_URIS,
        "items": {
            "minLength": 1,
            "maxLength": RESOURCE_MAX_BYTES,
            "pattern": r"^[\x21\x22\x24-\x7e]+$",
        },
    });
    let range = |(min, max): (i64, i64)| json!({ "minimum": min, "maximum": max });
    let mut rules = vec![
        ("CreateTenantBody", "slug", slug),
        ("CreateTenantBody", "display_name", name()),
        ("UpdateTenantBody", "display_name", name()),
        (
            "InviteBody",
            "email",
            json!({ "format": "email", "maxLength": EMAIL_MAX }),
        ),
        (
            "AddOwnerBody",
            "email",
            json!({ "format": "email", "maxLength": EMAIL_MAX }),
        ),
        (
            "RotateSecretBody",
            "overlap_secs",
            range((0, SECRET_OVERLAP_MAX_SECS)),
        ),
    ];
    for body in ["CreateClientBody", "UpdateClientBody"] {
        rules.extend([
            (body, "name", name()),
            (body, "redirect_uris", uri_list()),
            (body, "post_logout_redirect_uris", uri_list()),
            (body, "cors_origins", origins.clone()),
            (body, "grant_types", grants.clone()),
            (body, "scopes", scopes.clone()),
            (body, "allowed_resources", resources.clone()),
            (
                body,
                "privileges",
                json!({ "items": { "enum": [INTROSPECT_ANY] } }),
            ),
            (body, "access_token_lifetime_secs", range(ACCESS_TOKEN_SECS)),
            (
                body,
                "refresh_token_lifetime_secs",
                range(REFRESH_TOKEN_SECS),
            ),
            // Its upper bound is the absolute lifetime: a rule between fields.
            (body, "refresh_token_idle_secs", range(REFRESH_TOKEN_SECS)),
            (
                body,
                "id_token_alg",
                json!({ "enum": ["RS256", "ES256", "EdDSA", null] }),
            ),
        ]);
    }
    let webhook_url = json!({
        "maxLength": WEBHOOK_URL_MAX,
        "pattern": format!("^https://(?:{LABEL}\\.)*{TOP_LABEL}{PORT}{URI_REST}$"),
    });
    let webhook_events = json!({
        "minItems": 1,
        "items": { "enum": EventType::ALL.iter().map(|e| e.as_str()).collect::<Vec<_>>() },
    });
    let description = json!({
        "maxLength": WEBHOOK_DESCRIPTION_MAX,
        "pattern": format!("^{NAME_INNER}*$"),
    });
    for body in ["CreateWebhookBody", "UpdateWebhookBody"] {
        rules.extend([
            (body, "url", webhook_url.clone()),
            (body, "events", webhook_events.clone()),
            (body, "description", description.clone()),
        ]);
    }
    rules.push((
        "CreateClientBody",
        "kind",
        json!({ "enum": ["confidential", "public", null] }),
    ));
    rules
}

/// Writes the rules into the document's component schemas; every body
/// schema also refuses properties it does not name.
pub fn apply(document: &mut Value) {
    let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (schema, field, rule) in rules() {
        let property = schemas
            .get_mut(schema)
            .and_then(|s| s.pointer_mut(&format!("/properties/{field}")));
        match property {
            Some(property) => merge(property, rule),
            None => panic!("the contract names {schema}.{field}, which the document lacks"),
        }
    }
    for (name, schema) in schemas.iter_mut() {
        if name.ends_with("Body") {
            schema["additionalProperties"] = Value::Bool(false);
        }
    }
}

fn merge(target: &mut Value, rule: Value) {
    let (Some(target), Value::Object(rule)) = (target.as_object_mut(), rule) else {
        return;
    };
    for (key, value) in rule {
        match (target.get_mut(&key), value) {
            (Some(Value::Object(inner)), Value::Object(more)) => {
                merge_map(inner, more);
            }
            (_, value) => {
                target.insert(key, value);
            }
        }
    }
}

fn merge_map(inner: &mut Map<String, Value>, more: Map<String, Value>) {
    for (k, v) in more {
        inner.insert(k, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &Value, text: &str) -> bool {
        let pattern = pattern.as_str().expect("a pattern");
        regex_lite::Regex::new(pattern)
            .expect("the pattern compiles")
            .is_match(text)
    }

    #[test]
    fn name_pattern_agrees_with_display_name() {
        use crate::domain::display_name::DisplayName;
        let pattern = &name()["pattern"];
        for text in [
            "Acme",
            "A",
            "Zoé & Co",
            " Acme",
            "Acme ",
            "a\u{7}b",
            "\u{3000}x",
            "x\u{a0}",
        ] {
            assert_eq!(
                matches(pattern, text),
                DisplayName::parse_exact(text).is_ok(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn uri_pattern_agrees_with_redirect_uris() {
        use crate::domain::client::RedirectUri;
        let pattern = &uri_list()["items"]["pattern"];
        for text in [
            "https://app.example/cb",
            "https://app.example:8443/cb?x=1",
            "http://127.0.0.1:8080/callback",
            "http://localhost/cb",
            "http://[::1]:3000/",
            "http://app.example/cb",
            "https://app.example/cb#frag",
            "https://user@app.example/cb",
            "https://app.example/é",
            "ftp://app.example/",
            "https://*.example/cb",
        ] {
            assert_eq!(
                matches(pattern, text),
                RedirectUri::parse(text).is_ok(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn webhook_url_pattern_agrees_with_the_endpoint_rule() {
        use crate::domain::webhook::endpoint::{parse_url, PrivateEndpoints};
        let rules = rules();
        let (_, _, rule) = rules
            .iter()
            .find(|(body, field, _)| *body == "CreateWebhookBody" && *field == "url")
            .expect("a url rule");
        for text in [
            "https://hooks.acme.example/connectauth",
            "https://hooks.acme.example:8443/in?x=1&y=%20",
            "https://localhost/",
            "http://hooks.acme.example/",
            "https://hooks.acme.example/#frag",
            "https://user@hooks.acme.example/",
            "https://hooks.acme.example/é",
            "https://8.8.8.8/",
            "https://[2001:4860::8888]/",
            "https:hooks.acme.example",
            " https://hooks.acme.example/",
            "ftp://hooks.acme.example/",
        ] {
            assert_eq!(
                matches(&rule["pattern"], text),
                parse_url(text, PrivateEndpoints::Refused).is_ok(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn reserved_slugs_are_listed() {
        let rules = rules();
        let slug = &rules[0].2;
        assert_eq!(slug["not"]["enum"][0], "platform");
    }
}
