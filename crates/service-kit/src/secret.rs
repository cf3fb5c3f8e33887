//! Secrets: kept out of `Debug` output and logs, drawn from the OS CSPRNG,
//! exchanged as base64url text.
use std::fmt;
use std::sync::Arc;

use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use secrecy::{ExposeSecret, SecretString};

/// Bytes every generated secret carries (256 bits).
pub const GENERATED_SECRET_BYTES: usize = 32;
/// The fewest decoded bytes a configured secret may have in production.
pub const MIN_SECRET_BYTES: usize = 32;

/// A configured secret value. `Debug` never prints it.
#[derive(Clone)]
pub struct Secret(Arc<SecretString>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(Arc::new(SecretString::from(value.into())))
    }

    /// The raw text, for the few places that must use it (hashing, key derivation).
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The secret's bytes when it is base64url text (padded or not).
    pub fn decoded(&self) -> Option<Vec<u8>> {
        decode_base64url(self.expose())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

/// What `Debug` shows in place of a secret value.
pub const REDACTED: &str = "[REDACTED]";

/// What `Debug` shows for an optional secret: whether there is one, never it.
pub fn redacted<T>(value: &Option<T>) -> &'static str {
    if value.is_some() {
        REDACTED
    } else {
        "None"
    }
}

/// Decodes base64url, with or without padding.
pub fn decode_base64url(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    URL_SAFE_NO_PAD
        .decode(text)
        .or_else(|_| URL_SAFE.decode(text))
        .ok()
}

/// `n` bytes from the operating system's CSPRNG.
pub fn random_bytes(n: usize) -> Result<Vec<u8>, getrandom::Error> {
    let mut buf = vec![0u8; n];
    getrandom::getrandom(&mut buf)?;
    Ok(buf)
}

/// A fresh 256-bit secret as unpadded base64url text.
pub fn generate() -> Result<String, getrandom::Error> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes(GENERATED_SECRET_BYTES)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_decode_to_32_bytes_and_differ() {
        let a = generate().expect("csprng");
        let b = generate().expect("csprng");
        assert_ne!(a, b);
        assert_eq!(decode_base64url(&a).map(|v| v.len()), Some(32));
        assert!(!a.contains('=') && !a.contains('+') && !a.contains('/'));
    }

    #[test]
    fn debug_output_hides_the_value() {
        let s = Secret::new("super-secret-value");
        assert_eq!(format!("{s:?}"), "Secret([REDACTED])");
    }

    #[test]
    fn padded_and_unpadded_base64url_both_decode() {
        assert_eq!(decode_base64url("YWI"), Some(b"ab".to_vec()));
        assert_eq!(decode_base64url("YWI="), Some(b"ab".to_vec()));
        assert_eq!(decode_base64url("not base64!"), None);
    }
    #[test]
    fn optional_secrets_show_only_whether_they_are_there() {
        assert_eq!(redacted(&Some("x")), REDACTED);
        assert_eq!(redacted::<String>(&None), "None");
    }
}
