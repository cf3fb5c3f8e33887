//! Verification keys parsed from a JSON Web Key Set (RFC 7517 §5).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use josekit::jwk::Jwk;
use josekit::jws::JwsVerifier;
use serde_json::{Map, Value};

use crate::algorithm::Algorithm;

/// What to do with an RSA key whose JWK has no `alg` member.
///
/// An RSA key can be used with six JWS algorithms, so the key alone does not
/// say which one the issuer signs with. RFC 9068 §2.1 makes `RS256` the
/// algorithm every conforming authorization and resource server supports, and
/// several large issuers publish RSA keys without `alg`; hence the default
/// binds such keys to `RS256` (and to nothing else: a `PS256` token claiming
/// that key is refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RsaWithoutAlg {
    /// Bind the key to `RS256` only (default).
    #[default]
    AssumeRs256,
    /// Skip the key (it is reported in [`KeySet::skipped`]).
    Skip,
}

/// Options for building a [`KeySet`].
#[derive(Debug, Clone, Default)]
pub struct KeySetOptions {
    /// Policy for RSA keys without `alg`; see [`RsaWithoutAlg`].
    pub rsa_without_alg: RsaWithoutAlg,
}

/// Why the JWK set as a whole could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeySetError {
    /// The document is not valid JSON.
    #[error("JWKS is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The document is JSON but not an object with a `keys` array.
    #[error("JWKS must be a JSON object with a \"keys\" array")]
    NotAJwks,
}

/// Why one key of a JWKS was left out of the [`KeySet`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// The entry is not a JSON object.
    NotAnObject,
    /// `use` is present and is not `sig` (e.g. an `enc` key).
    NotForSignature,
    /// `key_ops` is present and does not contain `verify`.
    NoVerifyOperation,
    /// A member has the wrong JSON type or is missing (the member name).
    InvalidMember(&'static str),
    /// `kty` is not one this crate verifies with (e.g. `oct`: symmetric keys
    /// are never used).
    UnsupportedKeyType(String),
    /// `crv` is not a supported signature curve (e.g. `X25519`, `secp256k1`).
    UnsupportedCurve(String),
    /// `alg` names an algorithm this crate does not verify (e.g. `HS256`,
    /// `RSA-OAEP`, `none`).
    UnsupportedAlgorithm(String),
    /// `alg` does not fit the key type or curve (e.g. `ES384` on a P-256 key).
    AlgorithmKeyMismatch,
    /// An RSA key without `alg`, refused by [`RsaWithoutAlg::Skip`].
    RsaWithoutAlg,
    /// Another key with the same `kid` and algorithm came earlier in the set.
    DuplicateKey,
    /// The key material could not be loaded (bad encoding, point not on the
    /// curve, RSA modulus under 2048 bits, ...).
    InvalidKeyMaterial(String),
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::NotAnObject => f.write_str("entry is not a JSON object"),
            SkipReason::NotForSignature => f.write_str("\"use\" is not \"sig\""),
            SkipReason::NoVerifyOperation => f.write_str("\"key_ops\" lacks \"verify\""),
            SkipReason::InvalidMember(m) => write!(f, "member \"{m}\" is missing or invalid"),
            SkipReason::UnsupportedKeyType(k) => write!(f, "unsupported kty {k:?}"),
            SkipReason::UnsupportedCurve(c) => write!(f, "unsupported crv {c:?}"),
            SkipReason::UnsupportedAlgorithm(a) => write!(f, "unsupported alg {a:?}"),
            SkipReason::AlgorithmKeyMismatch => f.write_str("\"alg\" does not fit the key"),
            SkipReason::RsaWithoutAlg => f.write_str("RSA key without \"alg\""),
            SkipReason::DuplicateKey => f.write_str("duplicate kid and alg"),
            SkipReason::InvalidKeyMaterial(e) => write!(f, "invalid key material: {e}"),
        }
    }
}

/// A JWKS entry that was not loaded, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedKey {
    /// Position of the entry in the `keys` array.
    pub index: usize,
    /// The entry's `kid`, if it had a string one.
    pub kid: Option<String>,
    /// Why it was skipped.
    pub reason: SkipReason,
}

/// Public information about one loaded key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyInfo<'a> {
    /// The key's `kid`, if any.
    pub kid: Option<&'a str>,
    /// The one algorithm the key is bound to.
    pub algorithm: Algorithm,
}

pub(crate) struct VerificationKey {
    pub(crate) kid: Option<String>,
    pub(crate) alg: Algorithm,
    pub(crate) verifier: Box<dyn JwsVerifier>,
}

impl fmt::Debug for VerificationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerificationKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default)]
struct Inner {
    keys: Vec<VerificationKey>,
    by_kid: HashMap<String, Vec<usize>>,
    skipped: Vec<SkippedKey>,
}

/// A set of public verification keys, each bound to one [`Algorithm`].
///
/// Built from a JWKS document with [`KeySet::from_jwks_json`]. Entries that
/// cannot be used (encryption keys, symmetric keys, unsupported curves,
/// malformed material, ...) are skipped rather than failing the whole set;
/// see [`KeySet::skipped`].
///
/// Cloning is cheap (the keys are shared behind an [`Arc`]), and the type is
/// `Send + Sync`, so a cache can hand the same set to many requests.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    inner: Arc<Inner>,
}

impl KeySet {
    /// Parses a JWKS document (`{"keys": [...]}`) with default
    /// [`KeySetOptions`].
    ///
    /// Fails only if the document itself is not a JWKS; individual unusable
    /// keys are skipped and reported by [`KeySet::skipped`]. A set with no
    /// usable key is returned as an empty set (check [`KeySet::is_empty`]).
    ///
    /// # Errors
    ///
    /// [`KeySetError::Json`] if `json` is not JSON, [`KeySetError::NotAJwks`]
    /// if it is not an object with a `keys` array.
    pub fn from_jwks_json(json: &str) -> Result<KeySet, KeySetError> {
        KeySet::from_jwks_json_with(json, &KeySetOptions::default())
    }

    /// Like [`KeySet::from_jwks_json`], with explicit options.
    ///
    /// # Errors
    ///
    /// As [`KeySet::from_jwks_json`].
    pub fn from_jwks_json_with(json: &str, options: &KeySetOptions) -> Result<KeySet, KeySetError> {
        let value: Value = serde_json::from_str(json)?;
        KeySet::from_jwks_value(&value, options)
    }

    /// Builds a set from an already parsed JWKS document.
    ///
    /// # Errors
    ///
    /// [`KeySetError::NotAJwks`] if `value` is not an object with a `keys`
    /// array.
    pub fn from_jwks_value(value: &Value, options: &KeySetOptions) -> Result<KeySet, KeySetError> {
        let entries = value
            .as_object()
            .and_then(|o| o.get("keys"))
            .and_then(Value::as_array)
            .ok_or(KeySetError::NotAJwks)?;

        let mut inner = Inner::default();
        for (index, entry) in entries.iter().enumerate() {
            let kid_of = |v: &Value| v.get("kid").and_then(Value::as_str).map(str::to_owned);
            match load_key(entry, options) {
                Ok(key) => {
                    if let Some(kid) = &key.kid {
                        let slot = inner.by_kid.entry(kid.clone()).or_default();
                        if slot.iter().any(|&i| inner.keys[i].alg == key.alg) {
                            inner.skipped.push(SkippedKey {
                                index,
                                kid: Some(kid.clone()),
                                reason: SkipReason::DuplicateKey,
                            });
                            continue;
                        }
                        slot.push(inner.keys.len());
                    }
                    inner.keys.push(key);
                }
                Err(reason) => inner.skipped.push(SkippedKey {
                    index,
                    kid: kid_of(entry),
                    reason,
                }),
            }
        }
        Ok(KeySet {
            inner: Arc::new(inner),
        })
    }

    /// Number of usable keys.
    pub fn len(&self) -> usize {
        self.inner.keys.len()
    }

    /// `true` when no key of the JWKS was usable.
    pub fn is_empty(&self) -> bool {
        self.inner.keys.is_empty()
    }

    /// The JWKS entries that were not loaded, in document order.
    pub fn skipped(&self) -> &[SkippedKey] {
        &self.inner.skipped
    }

    /// How many JWKS entries were not loaded.
    pub fn skipped_count(&self) -> usize {
        self.inner.skipped.len()
    }

    /// `true` if some usable key has this `kid`. A future JWKS cache can use
    /// this to decide whether an unknown `kid` warrants a refresh.
    pub fn contains_kid(&self, kid: &str) -> bool {
        self.inner.by_kid.contains_key(kid)
    }

    /// The usable keys, in document order.
    pub fn keys(&self) -> impl Iterator<Item = KeyInfo<'_>> + '_ {
        self.inner.keys.iter().map(|k| KeyInfo {
            kid: k.kid.as_deref(),
            algorithm: k.alg,
        })
    }

    /// Keys registered under `kid` (plain map lookup; at most one per
    /// algorithm).
    pub(crate) fn by_kid(&self, kid: &str) -> impl Iterator<Item = &VerificationKey> + '_ {
        self.inner
            .by_kid
            .get(kid)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.inner.keys.get(i))
    }

    /// The only key of the set, if it holds exactly one.
    pub(crate) fn sole_key(&self) -> Option<&VerificationKey> {
        match self.inner.keys.as_slice() {
            [only] => Some(only),
            _ => None,
        }
    }
}

fn str_member<'a>(
    obj: &'a Map<String, Value>,
    name: &'static str,
) -> Result<Option<&'a str>, SkipReason> {
    match obj.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(SkipReason::InvalidMember(name)),
    }
}

fn required_str<'a>(
    obj: &'a Map<String, Value>,
    name: &'static str,
) -> Result<&'a str, SkipReason> {
    str_member(obj, name)?.ok_or(SkipReason::InvalidMember(name))
}

/// Decodes a base64url member and checks its length when `len` is given.
fn b64_member(
    obj: &Map<String, Value>,
    name: &'static str,
    len: Option<usize>,
) -> Result<String, SkipReason> {
    let s = required_str(obj, name)?;
    let bytes = URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| SkipReason::InvalidMember(name))?;
    if bytes.is_empty() || len.is_some_and(|l| l != bytes.len()) {
        return Err(SkipReason::InvalidMember(name));
    }
    Ok(s.to_owned())
}

fn load_key(entry: &Value, options: &KeySetOptions) -> Result<VerificationKey, SkipReason> {
    let obj = entry.as_object().ok_or(SkipReason::NotAnObject)?;
    let kid = str_member(obj, "kid")?.map(str::to_owned);

    if let Some(key_use) = str_member(obj, "use")? {
        if key_use != "sig" {
            return Err(SkipReason::NotForSignature);
        }
    }
    match obj.get("key_ops") {
        Some(Value::Array(ops)) if !ops.iter().any(|op| op.as_str() == Some("verify")) => {
            return Err(SkipReason::NoVerifyOperation);
        }
        None | Some(Value::Array(_)) => {}
        Some(_) => return Err(SkipReason::InvalidMember("key_ops")),
    }

    let kty = required_str(obj, "kty")?;
    let declared = match str_member(obj, "alg")? {
        None => None,
        Some(name) => Some(
            Algorithm::from_jws_name(name)
                .ok_or_else(|| SkipReason::UnsupportedAlgorithm(name.to_owned()))?,
        ),
    };

    // Only the public members josekit needs: no alg/use/key_ops (checked
    // above) and never private members such as "d".
    let mut jwk = Map::new();
    jwk.insert("kty".into(), Value::String(kty.to_owned()));
    if let Some(kid) = &kid {
        jwk.insert("kid".into(), Value::String(kid.clone()));
    }

    let alg = match kty {
        "EC" => {
            let crv = required_str(obj, "crv")?;
            let (inferred, coord_len) = match crv {
                "P-256" => (Algorithm::ES256, 32),
                "P-384" => (Algorithm::ES384, 48),
                "P-521" => (Algorithm::ES512, 66),
                other => return Err(SkipReason::UnsupportedCurve(other.to_owned())),
            };
            if declared.is_some_and(|d| d != inferred) {
                return Err(SkipReason::AlgorithmKeyMismatch);
            }
            jwk.insert("crv".into(), Value::String(crv.to_owned()));
            jwk.insert(
                "x".into(),
                Value::String(b64_member(obj, "x", Some(coord_len))?),
            );
            jwk.insert(
                "y".into(),
                Value::String(b64_member(obj, "y", Some(coord_len))?),
            );
            inferred
        }
        "RSA" => {
            let alg = match declared {
                Some(a) if a.key_type() == "RSA" => a,
                Some(_) => return Err(SkipReason::AlgorithmKeyMismatch),
                None => match options.rsa_without_alg {
                    RsaWithoutAlg::AssumeRs256 => Algorithm::RS256,
                    RsaWithoutAlg::Skip => return Err(SkipReason::RsaWithoutAlg),
                },
            };
            jwk.insert("n".into(), Value::String(b64_member(obj, "n", None)?));
            jwk.insert("e".into(), Value::String(b64_member(obj, "e", None)?));
            alg
        }
        "OKP" => {
            let crv = required_str(obj, "crv")?;
            let alg = match (crv, declared) {
                ("Ed25519", None | Some(Algorithm::EdDSA)) => Algorithm::EdDSA,
                ("Ed25519", Some(Algorithm::Ed25519)) => Algorithm::Ed25519,
                ("Ed448", None | Some(Algorithm::EdDSA)) => Algorithm::EdDSA,
                ("Ed25519" | "Ed448", Some(_)) => return Err(SkipReason::AlgorithmKeyMismatch),
                (other, _) => return Err(SkipReason::UnsupportedCurve(other.to_owned())),
            };
            let len = if crv == "Ed25519" { 32 } else { 57 };
            jwk.insert("crv".into(), Value::String(crv.to_owned()));
            jwk.insert("x".into(), Value::String(b64_member(obj, "x", Some(len))?));
            alg
        }
        other => return Err(SkipReason::UnsupportedKeyType(other.to_owned())),
    };

    let jwk = Jwk::from_map(jwk).map_err(|e| SkipReason::InvalidKeyMaterial(e.to_string()))?;
    let verifier =
        make_verifier(alg, &jwk).map_err(|e| SkipReason::InvalidKeyMaterial(e.to_string()))?;
    Ok(VerificationKey { kid, alg, verifier })
}

fn make_verifier(alg: Algorithm, jwk: &Jwk) -> Result<Box<dyn JwsVerifier>, josekit::JoseError> {
    use josekit::jws;
    Ok(match alg {
        Algorithm::ES256 => Box::new(jws::ES256.verifier_from_jwk(jwk)?),
        Algorithm::ES384 => Box::new(jws::ES384.verifier_from_jwk(jwk)?),
        Algorithm::ES512 => Box::new(jws::ES512.verifier_from_jwk(jwk)?),
        Algorithm::RS256 => Box::new(jws::RS256.verifier_from_jwk(jwk)?),
        Algorithm::RS384 => Box::new(jws::RS384.verifier_from_jwk(jwk)?),
        Algorithm::RS512 => Box::new(jws::RS512.verifier_from_jwk(jwk)?),
        Algorithm::PS256 => Box::new(jws::PS256.verifier_from_jwk(jwk)?),
        Algorithm::PS384 => Box::new(jws::PS384.verifier_from_jwk(jwk)?),
        Algorithm::PS512 => Box::new(jws::PS512.verifier_from_jwk(jwk)?),
        // RFC 9864 "Ed25519" is EdDSA restricted to the Ed25519 curve, which
        // load_key already enforced.
        Algorithm::EdDSA | Algorithm::Ed25519 => Box::new(jws::EdDSA.verifier_from_jwk(jwk)?),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    // Public keys only: a P-256 key (its private half was discarded) and the
    // Ed25519 key of RFC 8037 A.2.
    const EC: &str = r#"{"kty":"EC","crv":"P-256","x":"HdHf952UyzvXclmWF77Vx7sHpNXzp5Pe-eS8P5Yz4rg","y":"tZm0cnZJzJKFH29J8B7BpyFEt3hG6aUqeDtJm-Pm1FE"}"#;
    const ED: &str =
        r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;

    fn with(base: &str, extra: &[(&str, Value)]) -> Value {
        let mut v: Value = serde_json::from_str(base).expect("test json");
        let obj = v.as_object_mut().expect("object");
        for (k, val) in extra {
            obj.insert((*k).to_owned(), val.clone());
        }
        v
    }

    fn set(keys: Vec<Value>) -> KeySet {
        KeySet::from_jwks_value(
            &serde_json::json!({ "keys": keys }),
            &KeySetOptions::default(),
        )
        .expect("jwks")
    }

    #[test]
    fn infers_ec_and_okp_algorithms() {
        let ks = set(vec![
            with(EC, &[("kid", "a".into())]),
            with(ED, &[("kid", "b".into())]),
        ]);
        let info: Vec<_> = ks.keys().collect();
        assert_eq!(info[0].algorithm, Algorithm::ES256);
        assert_eq!(info[1].algorithm, Algorithm::EdDSA);
        assert_eq!(ks.skipped_count(), 0);
    }

    #[test]
    fn verify_in_key_ops_loads_and_the_set_reports_its_size_and_reasons() {
        let ks = set(vec![with(
            EC,
            &[
                ("kid", "v".into()),
                ("key_ops", serde_json::json!(["verify"])),
            ],
        )]);
        assert_eq!((ks.len(), ks.is_empty()), (1, false));
        assert!(ks.contains_kid("v"));
        let empty = set(vec![with(EC, &[("use", "enc".into())])]);
        assert_eq!((empty.len(), empty.is_empty()), (0, true));
        // Reasons read well in logs; the key's Debug names it without material.
        assert_eq!(
            empty.skipped()[0].reason.to_string(),
            "\"use\" is not \"sig\""
        );
        let shown = format!("{:?}", ks.sole_key().expect("one key"));
        assert!(
            shown.starts_with("VerificationKey") && shown.contains("\"v\""),
            "{shown}"
        );
    }

    #[test]
    fn an_rsa_key_declaring_another_family_is_a_mismatch() {
        let pair = josekit::jwk::alg::rsa::RsaKeyPair::generate(2048).expect("rsa");
        let mut rsa = Value::Object(pair.to_jwk_public_key().as_ref().clone());
        rsa["alg"] = "ES256".into();
        let ks = set(vec![rsa]);
        assert_eq!(ks.skipped()[0].reason, SkipReason::AlgorithmKeyMismatch);
    }

    #[test]
    fn skips_bad_entries_without_failing_the_set() {
        let ks = set(vec![
            with(EC, &[("use", "enc".into())]),
            with(EC, &[("alg", "ES384".into())]),
            with(EC, &[("alg", "HS256".into())]),
            with(EC, &[("key_ops", serde_json::json!(["sign"]))]),
            with(EC, &[("x", "AAAA".into())]),
            with(EC, &[("crv", "secp256k1".into())]),
            serde_json::json!({"kty":"oct","k":"c2VjcmV0"}),
            serde_json::json!("nope"),
            with(ED, &[("crv", "X25519".into())]),
            with(ED, &[("alg", "ES256".into())]),
            with(EC, &[("kid", 7.into())]),
            with(EC, &[]),
        ]);
        assert_eq!(ks.len(), 1);
        let reasons: Vec<_> = ks.skipped().iter().map(|s| s.reason.clone()).collect();
        assert_eq!(
            reasons,
            vec![
                SkipReason::NotForSignature,
                SkipReason::AlgorithmKeyMismatch,
                SkipReason::UnsupportedAlgorithm("HS256".into()),
                SkipReason::NoVerifyOperation,
                SkipReason::InvalidMember("x"),
                SkipReason::UnsupportedCurve("secp256k1".into()),
                SkipReason::UnsupportedKeyType("oct".into()),
                SkipReason::NotAnObject,
                SkipReason::UnsupportedCurve("X25519".into()),
                SkipReason::AlgorithmKeyMismatch,
                SkipReason::InvalidMember("kid"),
            ]
        );
    }

    #[test]
    fn point_not_on_curve_is_skipped() {
        // Valid-length coordinates that are not a P-256 point.
        let bad = with(
            EC,
            &[("y", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into())],
        );
        let ks = set(vec![bad]);
        assert!(ks.is_empty());
        assert!(matches!(
            ks.skipped()[0].reason,
            SkipReason::InvalidKeyMaterial(_)
        ));
    }

    #[test]
    fn duplicate_kid_and_alg_is_skipped() {
        let ks = set(vec![
            with(EC, &[("kid", "k".into())]),
            with(EC, &[("kid", "k".into())]),
        ]);
        assert_eq!(ks.len(), 1);
        assert_eq!(ks.skipped()[0].reason, SkipReason::DuplicateKey);
        assert!(ks.contains_kid("k"));
        assert!(!ks.contains_kid("K"));
    }

    #[test]
    fn not_a_jwks() {
        assert!(matches!(
            KeySet::from_jwks_json("[]"),
            Err(KeySetError::NotAJwks)
        ));
        assert!(matches!(
            KeySet::from_jwks_json("{}"),
            Err(KeySetError::NotAJwks)
        ));
        assert!(matches!(
            KeySet::from_jwks_json("{"),
            Err(KeySetError::Json(_))
        ));
        let empty = KeySet::from_jwks_json(r#"{"keys":[]}"#).expect("empty set is fine");
        assert!(empty.is_empty());
    }

    #[test]
    fn keyset_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<KeySet>();
    }
}
