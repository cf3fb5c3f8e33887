//! Malformed input gives errors, never panics.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use connectauth_verify::{KeySet, ValidationError};
use jsonwebtoken::Algorithm as JwtAlg;
use serde_json::json;

fn check(token: &str) -> Result<connectauth_verify::Claims, ValidationError> {
    validator().validate_at(token, &standard_keyset(), now())
}

#[test]
fn malformed_token_strings_are_errors() {
    let good = token(ec(), JwtAlg::ES256, &claims());
    let parts: Vec<&str> = good.split('.').collect();
    let cases: Vec<String> = vec![
        String::new(),
        " ".into(),
        ".".into(),
        "..".into(),
        format!("{}.{}", parts[0], parts[1]),
        format!("{}.{}.", parts[0], parts[1]),
        format!("{good}."),
        format!("{good}.x.y"),
        format!("Bearer {good}"),
        format!(" {good}"),
        format!("{good}\n"),
        "%%%.%%%.%%%".into(),
        "not-base64!.e30.AA".into(),
        format!("{}=.{}.{}", parts[0], parts[1], parts[2]),
        format!("{}.{}.{}=", parts[0], parts[1], parts[2]),
        format!("{}.{}.{}", parts[0], "%%%", parts[2]),
        format!("{}.{}.{}", parts[0], parts[1], "!!"),
        format!("{}.{}.{}", b64(b"not json"), parts[1], parts[2]),
        format!("{}.{}.{}", b64(b"[1,2]"), parts[1], parts[2]),
        format!("{}.{}.{}", b64(b"{\"alg\":null}"), parts[1], parts[2]),
        format!("{}.{}.{}", b64(&[0xff, 0xfe, 0x00]), parts[1], parts[2]),
        "\u{202e}.\u{0}.\u{1F600}".into(),
        "a".repeat(20_000),
        ".".repeat(5_000),
    ];
    for t in &cases {
        let err = check(t).unwrap_err();
        assert_eq!(err.status_code(), 401, "{t:?} -> {err}");
    }
}

#[test]
fn jwe_compact_is_refused() {
    let jwe = format!(
        "{}.AAAA.AAAA.AAAA.AAAA",
        b64(br#"{"alg":"RSA-OAEP","enc":"A256GCM"}"#)
    );
    assert!(matches!(check(&jwe), Err(ValidationError::Malformed(_))));
}

#[test]
fn signed_but_non_object_payload_is_an_error() {
    // A correctly signed JWS whose payload is not a claims object.
    for payload in [&b"[]"[..], b"\"text\"", b"not json", b""] {
        let h = json!({"alg": "EdDSA", "typ": "at+jwt", "kid": "ed-1"});
        let input = format!("{}.{}", b64(h.to_string().as_bytes()), b64(payload));
        let mut signer = openssl::sign::Signer::new_without_digest(&ed().pkey).unwrap();
        let t = format!(
            "{input}.{}",
            b64(&signer.sign_oneshot_to_vec(input.as_bytes()).unwrap())
        );
        assert!(
            matches!(check(&t), Err(ValidationError::Malformed(_))),
            "{payload:?}"
        );
    }
}

#[test]
fn wrong_header_member_types_are_errors() {
    for h in [
        json!({"alg": "ES256", "typ": "at+jwt", "kid": 1}),
        json!({"alg": "ES256", "typ": ["at+jwt"], "kid": "ec-1"}),
        json!({"alg": ["ES256"], "typ": "at+jwt", "kid": "ec-1"}),
        json!({"typ": "at+jwt", "kid": "ec-1"}),
    ] {
        let t = raw_token(&h, &claims(), &[1; 64]);
        assert!(
            matches!(check(&t), Err(ValidationError::Malformed(_))),
            "{h}"
        );
    }
}

#[test]
fn huge_attacker_strings_are_truncated_in_errors() {
    let kid = "k".repeat(5_000);
    let t = raw_token(
        &json!({"alg": "ES256", "typ": "at+jwt", "kid": kid}),
        &claims(),
        &[1; 64],
    );
    match check(&t) {
        Err(ValidationError::UnknownKey { kid }) => assert!(kid.len() < 100),
        other => panic!("{other:?}"),
    }
}

#[test]
fn malformed_jwks_documents_are_errors() {
    for doc in [
        "",
        "null",
        "[]",
        "{\"keys\":{}}",
        "{\"keys\":\"x\"}",
        "{\"keys\":[",
        "\u{0}",
    ] {
        assert!(KeySet::from_jwks_json(doc).is_err(), "{doc:?}");
    }
}
