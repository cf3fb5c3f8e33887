//! A tenant's published keys as the endpoints use them, built once per
//! change: the JWKS document as bytes with its `ETag`, one verifier per key
//! (bound to the key's own `alg`), and the algorithms that sign.
use josekit::jwk::Jwk;
use josekit::jws::{EdDSA, JwsVerifier, ES256, RS256};
use serde_json::{Map, Value};

use super::signing::SigningAlg;
use crate::store::signing_keys::PublishedKey;
use crate::store::StoreError;

pub struct PublishedKeys {
    jwks: Vec<u8>,
    etag: String,
    verifiers: Vec<(String, Box<dyn JwsVerifier>)>,
    algs: Vec<SigningAlg>,
    /// The first instant a retired key in the set stops being published.
    valid_until: Option<i64>,
}

impl PublishedKeys {
    pub(super) fn build(keys: &[PublishedKey], algs: Vec<SigningAlg>) -> Result<Self, StoreError> {
        let jwks: Vec<Map<String, Value>> = keys
            .iter()
            .map(|k| {
                serde_json::from_str(&k.public_jwk)
                    .map_err(|e| StoreError::Corrupt(format!("public JWK: {e}")))
            })
            .collect::<Result<_, _>>()?;
        let verifiers = jwks
            .iter()
            .filter_map(|k| Some((k.get("kid")?.as_str()?.to_owned(), verifier_for(k)?)))
            .collect();
        let body = serde_json::to_vec(&serde_json::json!({ "keys": jwks }))
            .map_err(|e| StoreError::Corrupt(format!("JWKS: {e}")))?;
        let etag = crate::cache::etag_of(&body);
        Ok(Self {
            jwks: body,
            etag,
            verifiers,
            algs,
            valid_until: keys.iter().filter_map(|k| k.remove_after).min(),
        })
    }

    /// `{"keys": [...]}` as served.
    pub fn jwks(&self) -> &[u8] {
        &self.jwks
    }

    /// A strong validator of [`Self::jwks`], quoted as the header wants it.
    pub fn etag(&self) -> &str {
        &self.etag
    }

    /// The algorithms the tenant signs with, in [`SigningAlg::ALL`] order.
    pub fn algs(&self) -> &[SigningAlg] {
        &self.algs
    }

    /// The verifier of the published key `kid`.
    pub fn verifier(&self, kid: &str) -> Option<&dyn JwsVerifier> {
        self.verifiers
            .iter()
            .find(|(k, _)| k == kid)
            .map(|(_, v)| v.as_ref())
    }

    /// Whether the set is still the one to publish at `now` (no retired key
    /// in it has reached its removal time).
    pub(super) fn holds_at(&self, now: i64) -> bool {
        self.valid_until.is_none_or(|t| now < t)
    }
}

fn verifier_for(jwk: &Map<String, Value>) -> Option<Box<dyn JwsVerifier>> {
    let alg = SigningAlg::parse(jwk.get("alg")?.as_str()?).ok()?;
    let key = Jwk::from_map(jwk.clone()).ok()?;
    match alg {
        SigningAlg::RS256 => RS256
            .verifier_from_jwk(&key)
            .ok()
            .map(|v| Box::new(v) as Box<dyn JwsVerifier>),
        SigningAlg::ES256 => ES256
            .verifier_from_jwk(&key)
            .ok()
            .map(|v| Box::new(v) as Box<dyn JwsVerifier>),
        SigningAlg::EdDSA => EdDSA
            .verifier_from_jwk(&key)
            .ok()
            .map(|v| Box::new(v) as Box<dyn JwsVerifier>),
    }
}
