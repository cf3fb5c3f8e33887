//! The asymmetric JWS algorithms this crate can verify.

use std::fmt;

/// An asymmetric JWS signature algorithm (RFC 7518 §3, RFC 8037, RFC 9864).
///
/// Every key in a [`KeySet`](crate::KeySet) is bound to exactly one
/// `Algorithm` when the set is built; a token is only ever verified with the
/// algorithm its key is bound to. Symmetric (`HS*`) algorithms and `none`
/// have no variant on purpose: they can never be selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// ECDSA using P-256 and SHA-256.
    ES256,
    /// ECDSA using P-384 and SHA-384.
    ES384,
    /// ECDSA using P-521 and SHA-512.
    ES512,
    /// RSASSA-PKCS1-v1_5 using SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 using SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 using SHA-512.
    RS512,
    /// RSASSA-PSS using SHA-256 and MGF1 with SHA-256.
    PS256,
    /// RSASSA-PSS using SHA-384 and MGF1 with SHA-384.
    PS384,
    /// RSASSA-PSS using SHA-512 and MGF1 with SHA-512.
    PS512,
    /// EdDSA (RFC 8037) with the curve of the key (Ed25519 or Ed448).
    EdDSA,
    /// Fully specified EdDSA on Ed25519 (RFC 9864).
    Ed25519,
}

impl Algorithm {
    /// All supported algorithms.
    pub const ALL: [Algorithm; 11] = [
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::ES512,
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
        Algorithm::EdDSA,
        Algorithm::Ed25519,
    ];

    /// The JWS `alg` name (case-sensitive, RFC 7515 §4.1.1).
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::ES256 => "ES256",
            Algorithm::ES384 => "ES384",
            Algorithm::ES512 => "ES512",
            Algorithm::RS256 => "RS256",
            Algorithm::RS384 => "RS384",
            Algorithm::RS512 => "RS512",
            Algorithm::PS256 => "PS256",
            Algorithm::PS384 => "PS384",
            Algorithm::PS512 => "PS512",
            Algorithm::EdDSA => "EdDSA",
            Algorithm::Ed25519 => "Ed25519",
        }
    }

    /// Parses a JWS `alg` name. Exact, case-sensitive match; returns `None`
    /// for anything unsupported, including `none` and every `HS*` algorithm.
    pub fn from_jws_name(name: &str) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|a| a.as_str() == name)
    }

    /// The JWK `kty` a key for this algorithm must have.
    pub fn key_type(self) -> &'static str {
        match self {
            Algorithm::ES256 | Algorithm::ES384 | Algorithm::ES512 => "EC",
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => "RSA",
            Algorithm::EdDSA | Algorithm::Ed25519 => "OKP",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `true` for algorithm names that must never be accepted whatever the key
/// set holds: `none` (RFC 8725 §3.1) and the symmetric HMAC family, whose use
/// with a public key is the classic key-confusion attack (RFC 8725 §2.1).
pub(crate) fn is_forbidden_alg(name: &str) -> bool {
    name.eq_ignore_ascii_case("none") || name.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("HS"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for alg in Algorithm::ALL {
            assert_eq!(Algorithm::from_jws_name(alg.as_str()), Some(alg));
        }
    }

    #[test]
    fn symmetric_and_none_are_not_algorithms() {
        for name in [
            "none", "None", "HS256", "HS384", "HS512", "es256", "RS1", "",
        ] {
            assert_eq!(Algorithm::from_jws_name(name), None, "{name}");
        }
        assert!(is_forbidden_alg("none"));
        assert!(is_forbidden_alg("NONE"));
        assert!(is_forbidden_alg("HS256"));
        assert!(is_forbidden_alg("hs512"));
        assert!(!is_forbidden_alg("RS256"));
        assert!(!is_forbidden_alg("H"));
    }
}
