//! Checking tokens this tenant issued (userinfo, introspection, revocation,
//! `id_token_hint`): the key is picked by `kid` among the tenant's published
//! keys and the algorithm comes from that key, never from the token
//! (RFC 8725 §3.1); `typ` and `iss` must match.
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
        let keys = self
            .keys
            .published(tenant.id)
            .await
            .map_err(|_| OwnJwtError::Keys)?;
        let (payload, header) = josekit::jwt::decode_with_verifier_selector(token, |header| {
            Ok(keys.verifier(header.key_id().unwrap_or_default()))
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
