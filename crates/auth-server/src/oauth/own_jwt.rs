//! Checking tokens this tenant issued (userinfo, introspection, revocation,
//! `id_token_hint`): the key is picked by `kid` among the tenant's published
//! keys and the algorithm comes from that key, never from the token
//! (RFC 8725 §3.1); `typ` and `iss` must match.
use josekit::jwk::Jwk;
use josekit::jws::{EdDSA, JwsVerifier, ES256, RS256};
use serde_json::{Map, Value};

use super::OAuth;
use crate::domain::tenant::Tenant;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OwnJwtError {
    #[error("the token is malformed or its signature does not verify")]
    Invalid,
    #[error("the token has expired")]
    Expired,
    #[error("the token is of another type")]
    WrongType,
    #[error("the token was issued by someone else")]
    WrongIssuer,
    #[error("the keys could not be read")]
    Keys,
}

/// Whether to refuse an expired token (an `id_token_hint` may be expired).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    Enforce,
    Ignore,
}

fn verifier_for(jwk: &Map<String, Value>) -> Option<Box<dyn JwsVerifier>> {
    let alg = jwk.get("alg")?.as_str()?.to_owned();
    let key = Jwk::from_map(jwk.clone()).ok()?;
    match alg.as_str() {
        "RS256" => RS256
            .verifier_from_jwk(&key)
            .ok()
            .map(|v| Box::new(v) as Box<dyn JwsVerifier>),
        "ES256" => ES256
            .verifier_from_jwk(&key)
            .ok()
            .map(|v| Box::new(v) as Box<dyn JwsVerifier>),
        "EdDSA" => EdDSA
            .verifier_from_jwk(&key)
            .ok()
            .map(|v| Box::new(v) as Box<dyn JwsVerifier>),
        _ => None,
    }
}

impl OAuth {
    /// The claims of a token this tenant signed, of type `typ`.
    pub async fn verify_own(
        &self,
        tenant: &Tenant,
        token: &str,
        typ: &str,
        expiry: Expiry,
    ) -> Result<Map<String, Value>, OwnJwtError> {
        if token.len() > 16 * 1024 || token.split('.').count() != 3 {
            return Err(OwnJwtError::Invalid);
        }
        let jwks = self
            .keys
            .jwks(tenant.id)
            .await
            .map_err(|_| OwnJwtError::Keys)?;
        // One verifier per published key, each bound to the key's own `alg`.
        let verifiers: Vec<(String, Box<dyn JwsVerifier>)> = jwks
            .get("keys")
            .and_then(Value::as_array)
            .map(|ks| {
                ks.iter()
                    .filter_map(Value::as_object)
                    .filter_map(|k| Some((k.get("kid")?.as_str()?.to_owned(), verifier_for(k)?)))
                    .collect()
            })
            .unwrap_or_default();
        let (payload, header) = josekit::jwt::decode_with_verifier_selector(token, |header| {
            let kid = header.key_id().unwrap_or_default();
            Ok(verifiers
                .iter()
                .find(|(k, _)| k == kid)
                .map(|(_, v)| v.as_ref()))
        })
        .map_err(|_| OwnJwtError::Invalid)?;
        if !header
            .token_type()
            .is_some_and(|t| t.eq_ignore_ascii_case(typ))
        {
            return Err(OwnJwtError::WrongType);
        }
        let claims = payload.claims_set().clone();
        if claims.get("iss").and_then(Value::as_str) != Some(self.issuer(tenant).as_str()) {
            return Err(OwnJwtError::WrongIssuer);
        }
        if expiry == Expiry::Enforce {
            let exp = claims
                .get("exp")
                .and_then(Value::as_i64)
                .ok_or(OwnJwtError::Invalid)?;
            if exp <= self.now() {
                return Err(OwnJwtError::Expired);
            }
        }
        Ok(claims)
    }
}
