//! PKCE (RFC 7636), S256 only: `plain` exposes the verifier (RFC 9700 §2.1.1).
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PkceError {
    #[error("code_challenge_method must be S256")]
    Method,
    #[error("code_challenge must be 43 to 128 characters of [A-Za-z0-9-._~]")]
    Challenge,
}

fn unreserved(text: &str) -> bool {
    (43..=128).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeChallenge(String);

impl CodeChallenge {
    /// `method` absent means `plain` (RFC 7636 §4.3), which we refuse.
    pub fn parse(challenge: &str, method: Option<&str>) -> Result<Self, PkceError> {
        if method != Some("S256") {
            return Err(PkceError::Method);
        }
        if !unreserved(challenge) {
            return Err(PkceError::Challenge);
        }
        Ok(Self(challenge.to_owned()))
    }

    pub(crate) fn from_trusted(text: String) -> Self {
        Self(text)
    }

    /// Whether `verifier` hashes to this challenge.
    pub fn verify(&self, verifier: &str) -> bool {
        if !unreserved(verifier) {
            return false;
        }
        let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        bool::from(computed.as_bytes().ct_eq(self.0.as_bytes()))
    }
}

impl AsRef<str> for CodeChallenge {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7636 appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc_7636_example_verifies() {
        let c = CodeChallenge::parse(CHALLENGE, Some("S256")).expect("valid");
        assert!(c.verify(VERIFIER));
        assert!(!c.verify("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXx"));
        assert!(!c.verify("short"));
    }

    #[test]
    fn the_stored_challenge_is_the_one_sent() {
        // 43 and 128 characters are the RFC's bounds, every unreserved kind.
        for text in [CHALLENGE.to_owned(), format!("{}-._~x", "aZ9".repeat(41))] {
            let c = CodeChallenge::parse(&text, Some("S256")).expect("valid");
            assert_eq!(c.as_ref(), text);
            assert!(CodeChallenge::from_trusted(c.as_ref().to_owned()) == c);
        }
    }

    #[test]
    fn a_verifier_outside_the_rfc_alphabet_or_length_fails_even_if_it_hashes() {
        for verifier in ["short", &"a".repeat(129), &format!("{}!", &VERIFIER[..42])] {
            let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
            let c = CodeChallenge::from_trusted(challenge);
            assert!(!c.verify(verifier), "{verifier}");
        }
        let tilde = format!("{}~", &VERIFIER[..42]);
        let c =
            CodeChallenge::from_trusted(URL_SAFE_NO_PAD.encode(Sha256::digest(tilde.as_bytes())));
        assert!(c.verify(&tilde));
    }

    #[test]
    fn plain_and_malformed_challenges_are_refused() {
        assert_eq!(
            CodeChallenge::parse(CHALLENGE, None),
            Err(PkceError::Method)
        );
        assert_eq!(
            CodeChallenge::parse(CHALLENGE, Some("plain")),
            Err(PkceError::Method)
        );
        assert_eq!(
            CodeChallenge::parse("abc", Some("S256")),
            Err(PkceError::Challenge)
        );
        assert_eq!(
            CodeChallenge::parse(&"a".repeat(129), Some("S256")),
            Err(PkceError::Challenge)
        );
        assert_eq!(
            CodeChallenge::parse(&format!("{}=", &CHALLENGE[..43]), Some("S256")),
            Err(PkceError::Challenge)
        );
    }
}
