//! Claim, type, time and scope checks (RFC 9068 §4), on tokens minted by the
//! independent `jsonwebtoken` crate.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use connectauth_verify::{
    require_scopes, Claims, MissingTyp, ValidationConfig, ValidationError, Validator,
};
use jsonwebtoken::Algorithm as JwtAlg;
use serde_json::{json, Value};

fn es256(claims: &Value) -> String {
    token(ec(), JwtAlg::ES256, claims)
}

fn check_with(config: ValidationConfig, token: &str) -> Result<Claims, ValidationError> {
    Validator::new(config)
        .unwrap()
        .validate_at(token, &standard_keyset(), now())
}

fn check(token: &str) -> Result<Claims, ValidationError> {
    check_with(config(), token)
}

fn with(changes: Value) -> Value {
    let mut c = claims();
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    c
}

fn leeway(secs: u64) -> ValidationConfig {
    ValidationConfig {
        leeway: Duration::from_secs(secs),
        ..config()
    }
}

#[test]
fn expired_token() {
    let t = es256(&with(json!({"exp": NOW - 10})));
    assert_eq!(check_with(leeway(0), &t), Err(ValidationError::Expired));
    assert!(check_with(leeway(30), &t).is_ok(), "within leeway");
    assert!(check(&t).is_ok(), "default leeway is 30 s");
    let t = es256(&with(json!({"exp": NOW - 31})));
    assert_eq!(check(&t), Err(ValidationError::Expired));
    // exp is exclusive: a token is expired at exp itself.
    let t = es256(&with(json!({"exp": NOW})));
    assert_eq!(check_with(leeway(0), &t), Err(ValidationError::Expired));
    let t = es256(&with(json!({"exp": NOW + 1})));
    assert!(check_with(leeway(0), &t).is_ok());
    assert_eq!(
        ValidationError::Expired.www_authenticate(Some("orders")),
        r#"Bearer realm="orders", error="invalid_token", error_description="The access token expired""#
    );
}

#[test]
fn missing_or_fractional_exp() {
    assert_eq!(
        check(&es256(&with(json!({"exp": null})))),
        Err(ValidationError::MissingClaim("exp".into()))
    );
    assert_eq!(
        check(&es256(&with(json!({"exp": "2099"})))),
        Err(ValidationError::InvalidClaim("exp"))
    );
    let c = check(&es256(&with(json!({"exp": NOW as f64 + 100.75})))).unwrap();
    assert_eq!(c.exp, NOW + 100);
}

#[test]
fn not_yet_valid_token() {
    let t = es256(&with(json!({"nbf": NOW + 10})));
    assert_eq!(check_with(leeway(0), &t), Err(ValidationError::NotYetValid));
    assert!(check_with(leeway(10), &t).is_ok());
    let t = es256(&with(json!({"nbf": NOW + 100})));
    assert_eq!(check(&t), Err(ValidationError::NotYetValid));
    assert!(check_with(leeway(300), &t).is_ok());
}

#[test]
fn issued_in_the_future() {
    let t = es256(&with(json!({"iat": NOW + 10})));
    assert_eq!(
        check_with(leeway(0), &t),
        Err(ValidationError::IssuedInFuture)
    );
    assert!(check(&t).is_ok());
    // At the edge of the leeway it is still accepted.
    assert!(check_with(leeway(10), &t).is_ok());
    let now = es256(&with(json!({"iat": NOW})));
    assert!(check_with(leeway(0), &now).is_ok());
    let t = es256(&with(json!({"iat": NOW + 120})));
    assert_eq!(check(&t), Err(ValidationError::IssuedInFuture));
}

#[test]
fn leeway_is_capped() {
    let err = Validator::new(leeway(301)).unwrap_err();
    assert_eq!(
        err,
        connectauth_verify::ConfigError::LeewayTooLarge { max_secs: 300 }
    );
}

#[test]
fn wrong_issuer() {
    for iss in [
        json!("https://evil.example.org/realms/demo"),
        json!(format!("{ISSUER}/")),
        json!(""),
    ] {
        assert_eq!(
            check(&es256(&with(json!({"iss": iss})))),
            Err(ValidationError::InvalidIssuer)
        );
    }
    assert_eq!(
        check(&es256(&with(json!({"iss": null})))),
        Err(ValidationError::MissingClaim("iss".into()))
    );
    assert_eq!(
        check(&es256(&with(json!({"iss": [ISSUER]})))),
        Err(ValidationError::InvalidClaim("iss"))
    );
}

#[test]
fn wrong_audience() {
    for aud in [
        json!("https://other.example.net"),
        json!(["a", "b"]),
        json!([]),
        json!(AUDIENCE.to_uppercase()),
    ] {
        assert_eq!(
            check(&es256(&with(json!({"aud": aud})))),
            Err(ValidationError::InvalidAudience)
        );
    }
    assert_eq!(
        check(&es256(&with(json!({"aud": null})))),
        Err(ValidationError::MissingClaim("aud".into()))
    );
    assert_eq!(
        check(&es256(&with(json!({"aud": [AUDIENCE, 3]})))),
        Err(ValidationError::InvalidClaim("aud"))
    );
}

#[test]
fn audience_array_containing_ours_is_accepted() {
    let c = check(&es256(&with(
        json!({"aud": ["https://other.example.net", AUDIENCE]}),
    )))
    .unwrap();
    assert_eq!(c.aud, vec!["https://other.example.net", AUDIENCE]);
}

#[test]
fn id_token_typ_is_refused() {
    let mut h = header(JwtAlg::ES256, "ec-1");
    h.typ = Some("JWT".into());
    let t = sign(&h, &claims(), &ec().encoding);
    assert_eq!(
        check(&t),
        Err(ValidationError::InvalidType {
            found: Some("JWT".into())
        })
    );

    h.typ = None;
    let t = sign(&h, &claims(), &ec().encoding);
    assert_eq!(check(&t), Err(ValidationError::InvalidType { found: None }));

    for typ in ["dpop+jwt", "at+jwt ", "application/jwt", "logout+jwt"] {
        h.typ = Some(typ.into());
        let t = sign(&h, &claims(), &ec().encoding);
        assert!(
            matches!(check(&t), Err(ValidationError::InvalidType { .. })),
            "{typ}"
        );
    }
}

#[test]
fn at_jwt_typ_variants_are_accepted() {
    for typ in [
        "at+jwt",
        "application/at+jwt",
        "AT+JWT",
        "Application/At+Jwt",
    ] {
        let mut h = header(JwtAlg::ES256, "ec-1");
        h.typ = Some(typ.into());
        assert!(check(&sign(&h, &claims(), &ec().encoding)).is_ok(), "{typ}");
    }
}

#[test]
fn configured_typ_list_replaces_the_default() {
    let mut h = header(JwtAlg::ES256, "ec-1");
    h.typ = Some("JWT".into());
    let t = sign(&h, &claims(), &ec().encoding);
    let cfg = ValidationConfig {
        required_typ: vec!["jwt".into(), "at+jwt".into()],
        ..config()
    };
    assert!(check_with(cfg, &t).is_ok());
}

#[test]
fn a_missing_typ_passes_only_when_configured_and_a_present_one_is_still_checked() {
    let mut h = header(JwtAlg::ES256, "ec-1");
    h.typ = None;
    let untyped = sign(&h, &claims(), &ec().encoding);
    let id_tokens = || ValidationConfig {
        required_typ: vec!["jwt".into()],
        missing_typ: MissingTyp::Accept,
        ..config()
    };
    assert!(check_with(id_tokens(), &untyped).is_ok());
    assert_eq!(
        check_with(
            ValidationConfig {
                required_typ: vec!["jwt".into()],
                ..config()
            },
            &untyped
        ),
        Err(ValidationError::InvalidType { found: None }),
        "refused by default"
    );
    h.typ = Some("at+jwt".into());
    let access_token = sign(&h, &claims(), &ec().encoding);
    assert_eq!(
        check_with(id_tokens(), &access_token),
        Err(ValidationError::InvalidType {
            found: Some("at+jwt".into())
        })
    );
    h.typ = Some("JWT".into());
    assert!(check_with(id_tokens(), &sign(&h, &claims(), &ec().encoding)).is_ok());
    // Every other check still applies: a token for another audience.
    let mut other = claims();
    other["aud"] = json!("https://other.example.net");
    h.typ = None;
    assert!(matches!(
        check_with(id_tokens(), &sign(&h, &other, &ec().encoding)),
        Err(ValidationError::InvalidAudience)
    ));
}

#[test]
fn missing_scope_is_insufficient_scope() {
    let t = es256(&claims());
    let cfg = ValidationConfig {
        required_scopes: vec!["orders:read".into(), "orders:write".into()],
        ..config()
    };
    let err = check_with(cfg, &t).unwrap_err();
    assert_eq!(
        err,
        ValidationError::InsufficientScope {
            required: vec!["orders:read".into(), "orders:write".into()],
            missing: vec!["orders:write".into()],
        }
    );
    assert_eq!(err.status_code(), 403);
    assert_eq!(err.error_code(), "insufficient_scope");
    assert_eq!(
        err.www_authenticate(None),
        r#"Bearer error="insufficient_scope", error_description="The access token does not have the required scope", scope="orders:read orders:write""#
    );

    // Per-route check on already validated claims.
    let claims = check(&t).unwrap();
    assert!(require_scopes(&claims, &["orders:read", "profile"]).is_ok());
    let err = require_scopes(&claims, &["orders:delete"]).unwrap_err();
    assert_eq!(err.error_code(), "insufficient_scope");

    // No scope claim at all.
    let claims = check(&es256(&with(json!({"scope": null})))).unwrap();
    assert!(claims.scope.is_empty());
    assert!(require_scopes(&claims, &["orders:read"]).is_err());
    // Scope matching is per token, not substring.
    let claims = check(&es256(&with(json!({"scope": "orders:readonly"})))).unwrap();
    assert!(require_scopes(&claims, &["orders:read"]).is_err());
}

#[test]
fn rfc9068_required_claims() {
    for name in ["sub", "client_id", "iat", "jti"] {
        let t = es256(&with(json!({ name: null })));
        assert_eq!(
            check(&t),
            Err(ValidationError::MissingClaim(name.into())),
            "{name}"
        );
    }
    // Relaxed for issuers that omit them; extra requirements work too.
    let minimal = json!({"iss": ISSUER, "aud": AUDIENCE, "exp": NOW + 60});
    let cfg = ValidationConfig {
        required_claims: vec![],
        ..config()
    };
    let c = check_with(cfg, &es256(&minimal)).unwrap();
    assert_eq!((c.sub, c.iat, c.jti, c.client_id), (None, None, None, None));
    let cfg = ValidationConfig {
        required_claims: vec!["tenant".into()],
        ..config()
    };
    assert!(check_with(cfg.clone(), &es256(&claims())).is_ok());
    assert_eq!(
        check_with(cfg, &es256(&minimal)),
        Err(ValidationError::MissingClaim("tenant".into()))
    );
}

#[test]
fn errors_map_to_401_invalid_token() {
    let t = es256(&with(json!({"iss": "x"})));
    let err = check(&t).unwrap_err();
    assert_eq!(
        (err.status_code(), err.error_code()),
        (401, "invalid_token")
    );
    assert_eq!(
        err.www_authenticate(None),
        r#"Bearer error="invalid_token", error_description="The access token is invalid""#
    );
}

#[test]
fn validate_uses_the_system_clock() {
    // Tokens around NOW (2023) are long expired by the real clock.
    let v = validator();
    assert_eq!(
        v.validate(&es256(&claims()), &standard_keyset()),
        Err(ValidationError::Expired)
    );
    let real_now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let fresh = with(json!({"iat": real_now, "nbf": real_now, "exp": real_now + 60}));
    assert!(v.validate(&es256(&fresh), &standard_keyset()).is_ok());
}

#[test]
fn verify_signature_checks_the_token_but_not_the_claims_values() {
    let validator = Validator::new(config()).unwrap();
    let keys = standard_keyset();
    // Expired, of another audience and issuer: the claims are the caller's.
    let t = es256(&with(
        json!({"exp": NOW - 3600, "aud": "elsewhere", "iss": "https://other"}),
    ));
    let checked = validator.verify_signature(&t, &keys).unwrap();
    assert_eq!(checked.aud, vec!["elsewhere".to_owned()]);
    assert_eq!(checked.exp, NOW - 3600);
    assert_eq!(
        validator.validate_at(&t, &keys, now()),
        Err(ValidationError::InvalidIssuer)
    );
    // The header and the signature are checked as by validate.
    let forged = with_flipped_signature_bit(&es256(&claims()));
    assert_eq!(
        validator.verify_signature(&forged, &keys).unwrap_err(),
        ValidationError::InvalidSignature
    );
    let mut id_header = header(JwtAlg::ES256, ec().kid);
    id_header.typ = Some("JWT".into());
    let id_token = sign(&id_header, &claims(), &ec().encoding);
    assert!(matches!(
        validator.verify_signature(&id_token, &keys),
        Err(ValidationError::InvalidType { .. })
    ));
    let none = raw_token(&json!({"alg": "none", "typ": "at+jwt"}), &claims(), b"");
    assert!(matches!(
        validator.verify_signature(&none, &keys),
        Err(ValidationError::ForbiddenAlgorithm(_))
    ));
}
