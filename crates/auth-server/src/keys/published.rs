//! A tenant's published keys as the endpoints use them, built once per
//! change: the JWKS document as bytes with its `ETag`, the same keys as the
//! verify SDK's key set (each bound to its own `alg`), with which the server
//! checks the tokens it issued, and the algorithms that sign.
use connectauth_verify::{KeySet, KeySetOptions};
use serde_json::{Map, Value};

use crate::domain::signing_alg::SigningAlg;
use crate::store::signing_keys::PublishedKey;
use crate::store::StoreError;

pub struct PublishedKeys {
    jwks: Vec<u8>,
    etag: String,
    key_set: KeySet,
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
        let document = serde_json::json!({ "keys": jwks });
        let key_set = KeySet::from_jwks_value(&document, &KeySetOptions::default())
            .map_err(|e| StoreError::Corrupt(format!("JWKS: {e}")))?;
        for skipped in key_set.skipped() {
            // Published, but no token of ours can be checked with it.
            tracing::warn!(kid = ?skipped.kid, reason = %skipped.reason, "published key unusable");
        }
        let body =
            serde_json::to_vec(&document).map_err(|e| StoreError::Corrupt(format!("JWKS: {e}")))?;
        let etag = crate::cache::etag_of(&body);
        Ok(Self {
            jwks: body,
            etag,
            key_set,
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

    /// The published keys as the verify SDK's key set.
    pub fn key_set(&self) -> &KeySet {
        &self.key_set
    }

    /// Whether the set is still the one to publish at `now` (no retired key
    /// in it has reached its removal time).
    pub(super) fn holds_at(&self, now: i64) -> bool {
        self.valid_until.is_none_or(|t| now < t)
    }
}
