//! One asymmetric signing key: its algorithm, its public JWK and the JWS
//! signer behind it (josekit; ES256 signs through OpenSSL's ECDSA directly,
//! see [`SigningKey::sign_jwt`]).
//!
//! A key is bound to exactly one algorithm for its whole life (RFC 8725 §3.1):
//! the algorithm is chosen at generation, stored beside the key, and checked
//! again against the key type whenever the private key is loaded.
use std::fmt;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use josekit::jwk::alg::ec::{EcCurve, EcKeyPair};
use josekit::jwk::alg::ed::{EdCurve, EdKeyPair};
use josekit::jwk::alg::rsa::RsaKeyPair;
use josekit::jws::{EdDSA, JwsSigner, ES256, RS256};
use josekit::JoseError;
use openssl::ec::EcKey;
use openssl::ecdsa::EcdsaSig;
use openssl::pkey::{PKey, Private};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::domain::signing_alg::SigningAlg;

/// RSA modulus size for RS256 keys.
pub const RSA_BITS: u32 = 2048;
/// Random bytes in a key id: enough that ids never collide across tenants.
const KID_BYTES: usize = 16;
/// The JWK members a public key may carry; anything else (`d`, `p`, `q`, …)
/// never leaves this module.
const PUBLIC_MEMBERS: &[&str] = &["kty", "crv", "x", "y", "n", "e"];

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("unknown key state `{0}`")]
    UnknownState(String),
    #[error("the random source failed")]
    Random,
    #[error("{alg} key material is unusable: {source}")]
    Material {
        alg: SigningAlg,
        #[source]
        source: JoseError,
    },
    #[error("the private key is not a {0} key")]
    WrongKeyType(SigningAlg),
    #[error("signing failed: {0}")]
    Sign(#[source] JoseError),
    #[error("ECDSA signing failed: {0}")]
    Ecdsa(#[source] openssl::error::ErrorStack),
    #[error("the claims do not serialise: {0}")]
    Claims(#[source] serde_json::Error),
}

/// Bytes of each of `r` and `s` in an ES256 signature (RFC 7518 §3.4).
const P256_SCALAR_BYTES: i32 = 32;

/// Where a key is in its life: `next` (published, not signing) → `active`
/// (signs) → `retired` (published until its tokens expire) → deleted.
/// `revoked` keys are never published again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyState {
    Next,
    Active,
    Retired,
    Revoked,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Next => "next",
            KeyState::Active => "active",
            KeyState::Retired => "retired",
            KeyState::Revoked => "revoked",
        }
    }

    pub fn parse(text: &str) -> Result<Self, KeyError> {
        [
            KeyState::Next,
            KeyState::Active,
            KeyState::Retired,
            KeyState::Revoked,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
        .ok_or_else(|| KeyError::UnknownState(text.to_owned()))
    }
}

/// A private signing key ready to sign. `Debug` shows only kid and alg.
pub struct SigningKey {
    kid: String,
    alg: SigningAlg,
    signer: Box<dyn JwsSigner>,
    /// ES256 only: the same private key for OpenSSL's bare ECDSA.
    ec_key: Option<EcKey<Private>>,
    public_jwk: Map<String, Value>,
    private_der: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A fresh key with a random kid. RSA generation takes tens of
    /// milliseconds: async callers run this on a blocking thread.
    pub fn generate(alg: SigningAlg) -> Result<Self, KeyError> {
        let material = |source| KeyError::Material { alg, source };
        let der = Zeroizing::new(match alg {
            SigningAlg::RS256 => RsaKeyPair::generate(RSA_BITS)
                .map_err(material)?
                .to_der_private_key(),
            // openssl writes EC keys as SEC1 DER but its PEM as PKCS#8: take
            // the PEM so every algorithm is sealed in the one PKCS#8 format.
            SigningAlg::ES256 => pkcs8_from_pem(&Zeroizing::new(
                EcKeyPair::generate(EcCurve::P256)
                    .map_err(material)?
                    .to_pem_private_key(),
            ))
            .ok_or(KeyError::WrongKeyType(alg))?,
            SigningAlg::EdDSA => EdKeyPair::generate(EdCurve::Ed25519)
                .map_err(material)?
                .to_der_private_key(),
        });
        Self::from_private_der(new_kid()?, alg, der)
    }

    /// Loads a key from its PKCS#8 DER private key (what gets sealed), and
    /// refuses material that does not fit `alg`.
    pub fn from_private_der(
        kid: String,
        alg: SigningAlg,
        der: Zeroizing<Vec<u8>>,
    ) -> Result<Self, KeyError> {
        let material = |source| KeyError::Material { alg, source };
        let mut ec_key = None;
        let (public, signer): (josekit::jwk::Jwk, Box<dyn JwsSigner>) = match alg {
            SigningAlg::RS256 => {
                let pair = RsaKeyPair::from_der(der.as_slice()).map_err(material)?;
                if pair.key_len() * 8 < RSA_BITS {
                    return Err(KeyError::WrongKeyType(alg));
                }
                let signer = RS256.signer_from_der(der.as_slice()).map_err(material)?;
                (pair.to_jwk_public_key(), Box::new(signer))
            }
            SigningAlg::ES256 => {
                let pair =
                    EcKeyPair::from_der(der.as_slice(), Some(EcCurve::P256)).map_err(material)?;
                let signer = ES256.signer_from_der(der.as_slice()).map_err(material)?;
                // The curve was checked by josekit just above.
                let key = PKey::private_key_from_pkcs8(der.as_slice())
                    .and_then(|k| k.ec_key())
                    .map_err(|_| KeyError::WrongKeyType(alg))?;
                ec_key = Some(key);
                (pair.to_jwk_public_key(), Box::new(signer))
            }
            SigningAlg::EdDSA => {
                let pair = EdKeyPair::from_der(der.as_slice()).map_err(material)?;
                // EdDSA also names Ed448; we publish and sign with Ed25519 only.
                if pair.curve() != EdCurve::Ed25519 {
                    return Err(KeyError::WrongKeyType(alg));
                }
                let signer = EdDSA.signer_from_der(der.as_slice()).map_err(material)?;
                (pair.to_jwk_public_key(), Box::new(signer))
            }
        };
        let mut public_jwk: Map<String, Value> = public
            .as_ref()
            .iter()
            .filter(|(name, _)| PUBLIC_MEMBERS.contains(&name.as_str()))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        public_jwk.insert("kid".into(), Value::String(kid.clone()));
        public_jwk.insert("alg".into(), Value::String(alg.as_str().into()));
        public_jwk.insert("use".into(), Value::String("sig".into()));
        Ok(Self {
            kid,
            alg,
            signer,
            ec_key,
            public_jwk,
            private_der: der,
        })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn alg(&self) -> SigningAlg {
        self.alg
    }

    /// The public half as a JWK with `kid`, `alg` and `use: "sig"`.
    pub fn public_jwk(&self) -> Value {
        Value::Object(self.public_jwk.clone())
    }

    /// The PKCS#8 DER private key, to be sealed; wiped from memory on drop.
    pub fn private_der(&self) -> Zeroizing<Vec<u8>> {
        self.private_der.clone()
    }

    /// A compact JWS over `claims` with header `{alg, typ, kid}`.
    ///
    /// Assembled here (RFC 7515 §7.1: base64url of the header and of the
    /// claims, joined by dots, then of the signature) rather than by josekit's
    /// JWT encoder, which copies the claims and opens a new OpenSSL signing
    /// context per signature: every access token goes through this, and that
    /// layer cost 7 µs of the 22 µs an ES256 signature takes
    /// (`benches/token_signing.rs`). ES256 signs the SHA-256 of the input
    /// with OpenSSL's ECDSA and writes `r ‖ s` (RFC 7518 §3.4); RS256 and
    /// EdDSA sign through josekit. The tests verify all three with josekit.
    pub fn sign_jwt(&self, typ: &str, claims: &Map<String, Value>) -> Result<String, KeyError> {
        let header = serde_json::to_vec(&serde_json::json!({
            "alg": self.alg.as_str(),
            "kid": self.kid,
            "typ": typ,
        }))
        .map_err(KeyError::Claims)?;
        let payload = serde_json::to_vec(claims).map_err(KeyError::Claims)?;
        let mut jws = String::with_capacity((header.len() + payload.len()) * 4 / 3 + 100);
        URL_SAFE_NO_PAD.encode_string(&header, &mut jws);
        jws.push('.');
        URL_SAFE_NO_PAD.encode_string(&payload, &mut jws);
        let signature = match &self.ec_key {
            Some(key) => {
                let digest = openssl::sha::sha256(jws.as_bytes());
                let sig = EcdsaSig::sign(&digest, key).map_err(KeyError::Ecdsa)?;
                let mut raw = sig
                    .r()
                    .to_vec_padded(P256_SCALAR_BYTES)
                    .map_err(KeyError::Ecdsa)?;
                raw.extend(
                    sig.s()
                        .to_vec_padded(P256_SCALAR_BYTES)
                        .map_err(KeyError::Ecdsa)?,
                );
                raw
            }
            None => self.signer.sign(jws.as_bytes()).map_err(KeyError::Sign)?,
        };
        jws.push('.');
        URL_SAFE_NO_PAD.encode_string(&signature, &mut jws);
        Ok(jws)
    }
}

/// The DER inside a PEM block.
fn pkcs8_from_pem(pem: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(pem).ok()?;
    let body = Zeroizing::new(
        text.lines()
            .filter(|line| !line.starts_with("-----"))
            .collect::<String>(),
    );
    STANDARD.decode(body.as_bytes()).ok()
}

/// 128 random bits, base64url: nothing about the tenant can be read from it.
fn new_kid() -> Result<String, KeyError> {
    let bytes = service_kit::secret::random_bytes(KID_BYTES).map_err(|_| KeyError::Random)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use josekit::jwk::Jwk;
    use josekit::jws::JwsVerifier;
    use serde_json::json;

    fn verifier(alg: SigningAlg, jwk: &Value) -> Box<dyn JwsVerifier> {
        let jwk = Jwk::from_bytes(jwk.to_string()).expect("jwk parses");
        match alg {
            SigningAlg::RS256 => Box::new(RS256.verifier_from_jwk(&jwk).expect("rsa verifier")),
            SigningAlg::ES256 => Box::new(ES256.verifier_from_jwk(&jwk).expect("ec verifier")),
            SigningAlg::EdDSA => Box::new(EdDSA.verifier_from_jwk(&jwk).expect("ed verifier")),
        }
    }

    #[test]
    fn every_alg_signs_and_verifies_with_its_public_jwk() {
        for alg in SigningAlg::ALL {
            let key = SigningKey::generate(alg).expect("generated");
            let jwk = key.public_jwk();
            assert_eq!(jwk["alg"], alg.as_str());
            assert_eq!(jwk["use"], "sig");
            assert_eq!(jwk["kid"], key.kid());
            for private in ["d", "p", "q", "dp", "dq", "qi"] {
                assert!(jwk.get(private).is_none(), "{alg}: {private} leaked");
            }
            let claims = json!({"sub": "u1", "exp": 4_000_000_000_i64});
            let claims = claims.as_object().expect("object");
            let jwt = key.sign_jwt("at+jwt", claims).expect("signed");
            let (payload, header) =
                josekit::jwt::decode_with_verifier(&jwt, verifier(alg, &jwk).as_ref())
                    .expect("verifies");
            assert_eq!(header.key_id(), Some(key.kid()));
            assert_eq!(header.token_type(), Some("at+jwt"));
            assert_eq!(header.algorithm(), Some(alg.as_str()));
            assert_eq!(payload.subject(), Some("u1"));
        }
    }

    #[test]
    fn es256_signatures_are_always_64_bytes_of_r_and_s() {
        // About one signature in 128 has an `r` or `s` under 32 bytes: enough
        // signatures that a missing left-pad would show, each one verified.
        let key = SigningKey::generate(SigningAlg::ES256).expect("generated");
        let verifier = verifier(SigningAlg::ES256, &key.public_jwk());
        let claims = json!({"sub": "u1"});
        let claims = claims.as_object().expect("object");
        for _ in 0..1000 {
            let jwt = key.sign_jwt("JWT", claims).expect("signed");
            let signature = jwt.rsplit('.').next().expect("three parts");
            let raw = URL_SAFE_NO_PAD.decode(signature).expect("base64url");
            assert_eq!(raw.len(), 64);
            josekit::jwt::decode_with_verifier(&jwt, verifier.as_ref()).expect("verifies");
        }
    }

    #[test]
    fn private_der_round_trips_and_stays_bound_to_its_alg() {
        let ec = SigningKey::generate(SigningAlg::ES256).expect("ec");
        // PKCS#8 carries the curve: no hint needed to read it back.
        assert_eq!(
            EcKeyPair::from_der(ec.private_der().as_slice(), None)
                .expect("PKCS#8")
                .curve(),
            EcCurve::P256
        );
        let again =
            SigningKey::from_private_der(ec.kid().into(), SigningAlg::ES256, ec.private_der())
                .expect("reloads");
        assert_eq!(again.public_jwk(), ec.public_jwk());
        assert!(
            SigningKey::from_private_der("k".into(), SigningAlg::RS256, ec.private_der()).is_err()
        );
        assert!(
            SigningKey::from_private_der("k".into(), SigningAlg::EdDSA, ec.private_der()).is_err()
        );
    }

    #[test]
    fn kids_are_random_and_names_are_exact() {
        let a = SigningKey::generate(SigningAlg::EdDSA).expect("a");
        let b = SigningKey::generate(SigningAlg::EdDSA).expect("b");
        assert_ne!(a.kid(), b.kid());
        assert_eq!(a.kid().len(), 22);
        assert!(format!("{a:?}").contains(a.kid()));
        assert_eq!(
            KeyState::parse("retired").expect("state"),
            KeyState::Retired
        );
        assert!(KeyState::parse("gone").is_err());
    }
}
