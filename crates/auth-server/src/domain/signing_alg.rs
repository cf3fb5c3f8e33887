//! The JWS algorithms ConnectAuth signs with: a tenant's keys are bound to
//! one, and a client's ID tokens name one. No HMAC: tokens are verified by
//! third parties with public keys only.
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(clippy::upper_case_acronyms)]
pub enum SigningAlg {
    RS256,
    ES256,
    EdDSA,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown signing algorithm `{0}`")]
pub struct UnknownAlg(String);

impl SigningAlg {
    pub const ALL: [SigningAlg; 3] = [SigningAlg::RS256, SigningAlg::ES256, SigningAlg::EdDSA];

    /// The JOSE `alg` name.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::RS256 => "RS256",
            SigningAlg::ES256 => "ES256",
            SigningAlg::EdDSA => "EdDSA",
        }
    }

    /// Exact JOSE names only: `rs256` or `none` are not algorithms we sign with.
    pub fn parse(text: &str) -> Result<Self, UnknownAlg> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == text)
            .ok_or_else(|| UnknownAlg(text.to_owned()))
    }
}

impl fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_exact_jose_names() {
        for alg in SigningAlg::ALL {
            assert_eq!(SigningAlg::parse(alg.as_str()), Ok(alg));
            assert_eq!(alg.to_string(), alg.as_str());
        }
        assert_eq!(SigningAlg::parse("ES256"), Ok(SigningAlg::ES256));
        for bad in ["es256", "rs256", "EDDSA", "none", "HS256", ""] {
            assert_eq!(
                SigningAlg::parse(bad),
                Err(UnknownAlg(bad.to_owned())),
                "{bad}"
            );
        }
        assert_eq!(
            SigningAlg::parse("none").map_err(|e| e.to_string()),
            Err("unknown signing algorithm `none`".to_owned())
        );
    }
}
