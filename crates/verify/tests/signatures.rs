//! Signature, algorithm and key-selection behaviour, against tokens minted by
//! the independent `jsonwebtoken` crate.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::TcpListener;

use common::*;
use connectauth_verify::{
    Algorithm, KeySet, KeySetOptions, KeyUrlHeaders, RsaWithoutAlg, SkipReason, ValidationConfig,
    ValidationError, Validator,
};
use jsonwebtoken::{Algorithm as JwtAlg, EncodingKey};
use serde_json::json;

fn check(token: &str) -> Result<connectauth_verify::Claims, ValidationError> {
    validator().validate_at(token, &standard_keyset(), now())
}

#[test]
fn es256_token_is_accepted() {
    let claims = check(&token(ec(), JwtAlg::ES256, &claims())).unwrap();
    assert_eq!(claims.iss, ISSUER);
    assert_eq!(claims.aud, vec![AUDIENCE]);
    assert_eq!(claims.sub.as_deref(), Some("user-7"));
    assert_eq!(claims.client_id.as_deref(), Some("cli-1"));
    assert_eq!(claims.jti.as_deref(), Some("jti-1"));
    assert_eq!(
        (claims.exp, claims.iat, claims.nbf),
        (NOW + 300, Some(NOW - 60), Some(NOW - 60))
    );
    assert_eq!(claims.scope, vec!["orders:read", "profile"]);
    assert_eq!(claims.get("tenant"), Some(&json!("t-99")));
}

#[test]
fn rs256_token_is_accepted() {
    assert!(check(&token(rsa(), JwtAlg::RS256, &claims())).is_ok());
}

#[test]
fn eddsa_token_is_accepted() {
    assert!(check(&token(ed(), JwtAlg::EdDSA, &claims())).is_ok());
}

#[test]
fn ps256_token_is_accepted_with_a_ps256_key() {
    let ks = KeySet::from_jwks_json(&jwks(&[rsa().jwk_with(json!({"alg": "PS256"}))])).unwrap();
    let t = token(rsa(), JwtAlg::PS256, &claims());
    assert!(validator().validate_at(&t, &ks, now()).is_ok());
}

#[test]
fn es384_is_inferred_from_a_p384_key_without_alg() {
    let ks = KeySet::from_jwks_json(&jwks(&[ec384().jwk.clone()])).unwrap();
    assert_eq!(ks.keys().next().unwrap().algorithm, Algorithm::ES384);
    let t = token(ec384(), JwtAlg::ES384, &claims());
    assert!(validator().validate_at(&t, &ks, now()).is_ok());
}

#[test]
fn ec_and_okp_keys_without_alg_are_inferred() {
    let ks = KeySet::from_jwks_json(&jwks(&[ec().jwk.clone(), ed().jwk.clone()])).unwrap();
    let algs: Vec<_> = ks.keys().map(|k| k.algorithm).collect();
    assert_eq!(algs, vec![Algorithm::ES256, Algorithm::EdDSA]);
    assert!(validator()
        .validate_at(&token(ec(), JwtAlg::ES256, &claims()), &ks, now())
        .is_ok());
    assert!(validator()
        .validate_at(&token(ed(), JwtAlg::EdDSA, &claims()), &ks, now())
        .is_ok());
}

#[test]
fn rfc9864_ed25519_algorithm_is_supported() {
    let ks = KeySet::from_jwks_json(&jwks(&[ed().jwk_with(json!({"alg": "Ed25519"}))])).unwrap();
    assert_eq!(ks.keys().next().unwrap().algorithm, Algorithm::Ed25519);
    let h = json!({"alg": "Ed25519", "typ": "at+jwt", "kid": "ed-1"});
    assert!(validator()
        .validate_at(&sign_ed25519_raw(ed(), &h, &claims()), &ks, now())
        .is_ok());
    // The same key and signature scheme under the other name is refused.
    let h = json!({"alg": "EdDSA", "typ": "at+jwt", "kid": "ed-1"});
    assert_eq!(
        validator().validate_at(&sign_ed25519_raw(ed(), &h, &claims()), &ks, now()),
        Err(ValidationError::AlgorithmMismatch {
            token: Algorithm::EdDSA,
            key: Algorithm::Ed25519
        })
    );
}

#[test]
fn alg_none_is_refused() {
    let h = json!({"alg": "none", "typ": "at+jwt", "kid": "ec-1"});
    for sig in [&b""[..], b"x"] {
        let t = raw_token(&h, &claims(), sig);
        assert_eq!(
            check(&t),
            Err(ValidationError::ForbiddenAlgorithm("none".into()))
        );
    }
    // Without kid, with a one-key set: still refused.
    let ks = KeySet::from_jwks_json(&jwks(&[ec().jwk.clone()])).unwrap();
    let t = raw_token(&json!({"alg": "none", "typ": "at+jwt"}), &claims(), b"");
    assert!(matches!(
        validator().validate_at(&t, &ks, now()),
        Err(ValidationError::ForbiddenAlgorithm(_))
    ));
    let t = raw_token(&json!({"alg": "NoNe", "typ": "at+jwt"}), &claims(), b"");
    assert!(matches!(
        validator().validate_at(&t, &ks, now()),
        Err(ValidationError::ForbiddenAlgorithm(_))
    ));
}

#[test]
fn hs256_signed_with_the_public_key_is_refused() {
    // The classic key-confusion attack: use the verifier's public key (in
    // every form an implementation might feed to HMAC) as the HMAC secret.
    for key in [rsa(), ec(), ed()] {
        let secrets = [key.public_pem.clone(), key.jwk.to_string().into_bytes()];
        for secret in secrets {
            for alg in [JwtAlg::HS256, JwtAlg::HS384, JwtAlg::HS512] {
                let t = sign(
                    &header(alg, key.kid),
                    &claims(),
                    &EncodingKey::from_secret(&secret),
                );
                assert!(
                    matches!(check(&t), Err(ValidationError::ForbiddenAlgorithm(_))),
                    "{alg:?} with {} accepted",
                    key.kid
                );
            }
        }
    }
}

#[test]
fn header_alg_must_equal_the_key_alg() {
    // RSA key published for RS256; a valid PS256 signature by the same key.
    let t = token(rsa(), JwtAlg::PS256, &claims());
    assert_eq!(
        check(&t),
        Err(ValidationError::AlgorithmMismatch {
            token: Algorithm::PS256,
            key: Algorithm::RS256
        })
    );
    // A token claiming the EC key's kid but signed RS256 with the RSA key.
    let t = sign(&header(JwtAlg::RS256, "ec-1"), &claims(), &rsa().encoding);
    assert_eq!(
        check(&t),
        Err(ValidationError::AlgorithmMismatch {
            token: Algorithm::RS256,
            key: Algorithm::ES256
        })
    );
    // No kid, one-key set: the sole key's alg still binds.
    let ks = KeySet::from_jwks_json(&jwks(&[ec().jwk.clone()])).unwrap();
    let mut h = header(JwtAlg::ES384, "x");
    h.kid = None;
    let t = sign(&h, &claims(), &ec384().encoding);
    assert!(matches!(
        validator().validate_at(&t, &ks, now()),
        Err(ValidationError::AlgorithmMismatch { .. })
    ));
}

#[test]
fn rsa_key_without_alg_is_bound_to_rs256_by_default() {
    let doc = jwks(&[rsa().jwk.clone()]);
    let ks = KeySet::from_jwks_json(&doc).unwrap();
    assert_eq!(ks.keys().next().unwrap().algorithm, Algorithm::RS256);
    assert!(validator()
        .validate_at(&token(rsa(), JwtAlg::RS256, &claims()), &ks, now())
        .is_ok());
    for alg in [JwtAlg::PS256, JwtAlg::RS384, JwtAlg::RS512] {
        let t = token(rsa(), alg, &claims());
        assert!(matches!(
            validator().validate_at(&t, &ks, now()),
            Err(ValidationError::AlgorithmMismatch { .. })
        ));
    }
    // The stricter policy skips it.
    let strict = KeySetOptions {
        rsa_without_alg: RsaWithoutAlg::Skip,
    };
    let ks = KeySet::from_jwks_json_with(&doc, &strict).unwrap();
    assert!(ks.is_empty());
    assert_eq!(ks.skipped()[0].reason, SkipReason::RsaWithoutAlg);
    let t = token(rsa(), JwtAlg::RS256, &claims());
    assert!(validator()
        .validate_at(&t, &ks, now())
        .unwrap_err()
        .is_unknown_key());
}

#[test]
fn unknown_kid_is_refused() {
    let t = sign(
        &header(JwtAlg::ES256, "rotated-away"),
        &claims(),
        &ec().encoding,
    );
    let err = check(&t).unwrap_err();
    assert_eq!(
        err,
        ValidationError::UnknownKey {
            kid: "rotated-away".into()
        }
    );
    assert!(err.is_unknown_key());
    assert_eq!(err.status_code(), 401);
    // kid lookup is exact: no case folding, no trimming.
    let t = sign(&header(JwtAlg::ES256, "EC-1"), &claims(), &ec().encoding);
    assert!(check(&t).unwrap_err().is_unknown_key());
    // A key-set-level trick: a kid that looks like a path or URL is just a
    // string that matches nothing.
    let t = sign(
        &header(JwtAlg::ES256, "../../ec-1"),
        &claims(),
        &ec().encoding,
    );
    assert!(check(&t).unwrap_err().is_unknown_key());
}

#[test]
fn token_without_kid_needs_a_single_key_set() {
    let mut h = header(JwtAlg::ES256, "x");
    h.kid = None;
    let t = sign(&h, &claims(), &ec().encoding);
    assert_eq!(check(&t), Err(ValidationError::MissingKeyId));
    let ks = KeySet::from_jwks_json(&jwks(&[ec().jwk_with(json!({"kid": null}))])).unwrap();
    // `kid: null` is not a string: that key is skipped, not silently used.
    assert!(ks.is_empty());
    let mut jwk = ec().jwk.clone();
    jwk.as_object_mut().unwrap().remove("kid");
    let ks = KeySet::from_jwks_json(&jwks(&[jwk])).unwrap();
    assert!(validator().validate_at(&t, &ks, now()).is_ok());
}

#[test]
fn signature_from_another_key_with_the_right_kid_is_refused() {
    let impostor = new_ec_p256("ec-1");
    assert_eq!(
        check(&token(&impostor, JwtAlg::ES256, &claims())),
        Err(ValidationError::InvalidSignature)
    );
}

#[test]
fn tampered_tokens_are_refused() {
    for (key, alg) in [
        (ec(), JwtAlg::ES256),
        (rsa(), JwtAlg::RS256),
        (ed(), JwtAlg::EdDSA),
    ] {
        let t = token(key, alg, &claims());
        let parts: Vec<&str> = t.split('.').collect();

        let mut evil = claims();
        evil["scope"] = json!("orders:read orders:admin");
        let forged_payload = b64(evil.to_string().as_bytes());
        let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
        assert_eq!(
            check(&forged),
            Err(ValidationError::InvalidSignature),
            "{alg:?} payload"
        );

        let mut sig =
            base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, parts[2])
                .unwrap();
        sig[5] ^= 1;
        let forged = format!("{}.{}.{}", parts[0], parts[1], b64(&sig));
        assert_eq!(
            check(&forged),
            Err(ValidationError::InvalidSignature),
            "{alg:?} signature"
        );

        sig.pop();
        let forged = format!("{}.{}.{}", parts[0], parts[1], b64(&sig));
        assert_eq!(
            check(&forged),
            Err(ValidationError::InvalidSignature),
            "{alg:?} truncated"
        );

        // Header changed (extra member) under the same signature.
        let mut h = header(alg, key.kid);
        h.cty = Some("x".into());
        let other = sign(&h, &claims(), &key.encoding);
        let forged = format!(
            "{}.{}.{}",
            other.split('.').next().unwrap(),
            parts[1],
            parts[2]
        );
        assert_eq!(
            check(&forged),
            Err(ValidationError::InvalidSignature),
            "{alg:?} header"
        );
    }
}

/// A socket that records whether anything connected to it, to prove that
/// URL-bearing headers never cause a fetch.
fn trap() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
    (listener, url)
}

fn assert_untouched(listener: &TcpListener) {
    assert_eq!(
        listener.accept().unwrap_err().kind(),
        std::io::ErrorKind::WouldBlock,
        "something connected"
    );
}

#[test]
fn jku_and_x5u_are_refused_by_default_and_never_fetched() {
    let (listener, url) = trap();
    let mut h = header(JwtAlg::ES256, "ec-1");
    h.jku = Some(url.clone());
    let t = sign(&h, &claims(), &ec().encoding);
    assert_eq!(check(&t), Err(ValidationError::DisallowedHeader("jku")));

    let mut h = header(JwtAlg::ES256, "ec-1");
    h.x5u = Some(url);
    let t2 = sign(&h, &claims(), &ec().encoding);
    assert_eq!(check(&t2), Err(ValidationError::DisallowedHeader("x5u")));

    // With the lenient policy they are ignored: the token validates with the
    // key set, and still nothing is fetched.
    let v = Validator::new(ValidationConfig {
        key_url_headers: KeyUrlHeaders::Ignore,
        ..config()
    })
    .unwrap();
    assert!(v.validate_at(&t, &standard_keyset(), now()).is_ok());
    assert!(v.validate_at(&t2, &standard_keyset(), now()).is_ok());
    assert_untouched(&listener);
}

#[test]
fn embedded_jwk_is_never_trusted() {
    // The attacker signs with their own key and embeds its public JWK,
    // claiming the legitimate kid.
    let attacker = new_ec_p256("ec-1");
    let h = json!({"alg": "ES256", "typ": "at+jwt", "kid": "ec-1", "jwk": attacker.jwk});
    let input = format!(
        "{}.{}",
        b64(h.to_string().as_bytes()),
        b64(claims().to_string().as_bytes())
    );
    let t = format!(
        "{input}.{}",
        b64(&sign_es256_raw(&attacker, input.as_bytes()))
    );
    assert_eq!(check(&t), Err(ValidationError::DisallowedHeader("jwk")));
    let v = Validator::new(ValidationConfig {
        key_url_headers: KeyUrlHeaders::Ignore,
        ..config()
    })
    .unwrap();
    assert_eq!(
        v.validate_at(&t, &standard_keyset(), now()),
        Err(ValidationError::InvalidSignature)
    );
}

/// Raw JWS ES256 signature (r || s) with OpenSSL.
fn sign_es256_raw(key: &TestKey, input: &[u8]) -> Vec<u8> {
    let mut signer =
        openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &key.pkey).unwrap();
    let der = signer.sign_oneshot_to_vec(input).unwrap();
    let sig = openssl::ecdsa::EcdsaSig::from_der(&der).unwrap();
    let mut out = sig.r().to_vec_padded(32).unwrap();
    out.extend(sig.s().to_vec_padded(32).unwrap());
    out
}

#[test]
fn crit_and_b64_headers_are_refused() {
    let h = json!({"alg": "ES256", "typ": "at+jwt", "kid": "ec-1", "crit": ["exp"], "exp": 1});
    let input = format!(
        "{}.{}",
        b64(h.to_string().as_bytes()),
        b64(claims().to_string().as_bytes())
    );
    let t = format!("{input}.{}", b64(&sign_es256_raw(ec(), input.as_bytes())));
    assert_eq!(check(&t), Err(ValidationError::DisallowedHeader("crit")));

    let h = json!({"alg": "ES256", "typ": "at+jwt", "kid": "ec-1", "b64": false});
    let input = format!(
        "{}.{}",
        b64(h.to_string().as_bytes()),
        b64(claims().to_string().as_bytes())
    );
    let t = format!("{input}.{}", b64(&sign_es256_raw(ec(), input.as_bytes())));
    assert_eq!(check(&t), Err(ValidationError::DisallowedHeader("b64")));
}

#[test]
fn unsupported_algorithms_are_refused() {
    for alg in ["ES256K", "RSA-OAEP", "es256", "", "PS1"] {
        let h = json!({"alg": alg, "typ": "at+jwt", "kid": "ec-1"});
        let t = raw_token(&h, &claims(), &[0u8; 64]);
        assert!(
            matches!(check(&t), Err(ValidationError::UnsupportedAlgorithm(_))),
            "{alg}"
        );
    }
}

#[test]
fn a_jwks_with_junk_keeps_the_good_keys_and_counts_the_rest() {
    let doc = jwks(&[
        ec().jwk_with(json!({"alg": "ES256"})),
        rsa().jwk_with(json!({"use": "enc", "alg": "RSA-OAEP-256"})),
        json!({"kty": "oct", "kid": "hmac", "k": "c2VjcmV0c2VjcmV0c2VjcmV0"}),
        ec().jwk_with(json!({"kid": "bad", "x": "not base64!"})),
        ed().jwk_with(json!({"alg": "EdDSA"})),
        json!(42),
    ]);
    let ks = KeySet::from_jwks_json(&doc).unwrap();
    assert_eq!(ks.len(), 2);
    assert_eq!(ks.skipped_count(), 4);
    assert_eq!(
        ks.skipped().iter().map(|s| s.index).collect::<Vec<_>>(),
        vec![1, 2, 3, 5]
    );
    assert_eq!(ks.skipped()[1].kid.as_deref(), Some("hmac"));
    assert!(validator()
        .validate_at(&token(ed(), JwtAlg::EdDSA, &claims()), &ks, now())
        .is_ok());
}

#[test]
fn small_rsa_keys_are_skipped() {
    let small = openssl::rsa::Rsa::generate(1024).unwrap();
    let jwk = json!({"kty": "RSA", "kid": "weak", "alg": "RS256", "n": b64(&small.n().to_vec()), "e": b64(&small.e().to_vec())});
    let ks = KeySet::from_jwks_json(&jwks(&[jwk])).unwrap();
    assert!(ks.is_empty());
    assert!(matches!(
        ks.skipped()[0].reason,
        SkipReason::InvalidKeyMaterial(_)
    ));
}

#[test]
fn same_kid_for_two_algorithms_selects_by_binding() {
    let doc = jwks(&[
        rsa().jwk_with(json!({"alg": "RS256"})),
        rsa().jwk_with(json!({"alg": "PS256"})),
    ]);
    let ks = KeySet::from_jwks_json(&doc).unwrap();
    assert_eq!(ks.len(), 2);
    for alg in [JwtAlg::RS256, JwtAlg::PS256] {
        assert!(
            validator()
                .validate_at(&token(rsa(), alg, &claims()), &ks, now())
                .is_ok(),
            "{alg:?}"
        );
    }
    let t = token(rsa(), JwtAlg::RS512, &claims());
    assert!(matches!(
        validator().validate_at(&t, &ks, now()),
        Err(ValidationError::AlgorithmMismatch { .. })
    ));
}
