//! Checking tokens this tenant issued (userinfo, introspection, revocation,
//! `id_token_hint`) with the verify SDK, the one JWT verifier of the
//! workspace: the key is picked by `kid` among the tenant's published keys
//! and the algorithm comes from that key, never from the token (RFC 8725
//! §3.1); `typ` must match, and so must `iss`. `exp` is enforced unless the
//! caller accepts an expired token (an `id_token_hint` may be expired); the
//! audience is the caller's to check.
use std::sync::Arc;

use connectauth_verify::{ValidationConfig, ValidationError, Validator};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::OAuth;
use crate::domain::tenant::Tenant;

/// Most tokens whose signature this instance remembers having checked.
pub(super) const VERIFIED_MAX: usize = 10_000;

/// A token whose signature, type and issuer were checked, remembered by its
/// SHA-256 (never the token itself) under the tenant's catalog generation:
/// a rotated or revoked key, or any other change to the tenant's keys,
/// forgets it. Expiry is checked on every use.
pub(super) struct Verified {
    typ: String,
    exp: i64,
    claims: Map<String, Value>,
}

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
        let generation = self
            .keys
            .freshness()
            .catalog(tenant.id)
            .await
            .map_err(|_| OwnJwtError::Keys)?;
        let key = (
            tenant.id,
            <[u8; 32]>::from(Sha256::digest(token.as_bytes())),
        );
        let verified = match self.verified_cache.get(&key, generation) {
            Some(seen) if seen.typ == typ => seen,
            _ => {
                let checked = Arc::new(self.check_own(tenant, token, typ).await?);
                self.verified_cache
                    .put(key, generation, Arc::clone(&checked));
                checked
            }
        };
        if expiry == Expiry::Enforce && verified.exp <= self.now() {
            return Err(OwnJwtError::Expired);
        }
        Ok(verified.claims.clone())
    }

    /// The signature, type and issuer of a token this tenant signed.
    async fn check_own(
        &self,
        tenant: &Tenant,
        token: &str,
        typ: &str,
    ) -> Result<Verified, OwnJwtError> {
        let issuer = self.issuer(tenant);
        let validator = Validator::new(ValidationConfig {
            // Checked below, by this server's rules: the SDK checks the
            // token itself, its header and its signature.
            audience: issuer.clone(),
            issuer,
            required_typ: vec![typ.to_owned()],
            ..ValidationConfig::default()
        })
        .map_err(|_| OwnJwtError::Invalid)?;
        let keys = self
            .keys
            .published(tenant.id)
            .await
            .map_err(|_| OwnJwtError::Keys)?;
        let claims = validator
            .verify_signature(token, keys.key_set())
            .map_err(|e| match e {
                ValidationError::InvalidType { .. } => OwnJwtError::WrongType,
                _ => OwnJwtError::Invalid,
            })?;
        if claims.iss != validator.config().issuer {
            return Err(OwnJwtError::WrongIssuer);
        }
        Ok(Verified {
            typ: typ.to_owned(),
            exp: claims.exp,
            claims: claims.raw,
        })
    }
}
