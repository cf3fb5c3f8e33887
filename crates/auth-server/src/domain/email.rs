//! An email address as users type it, and the normalised form that makes it
//! unique per tenant (case-insensitive). What makes an address valid is the
//! workspace's one rule, `service_kit::mail::check_email`.
use std::fmt;

use service_kit::mail::{check_email, EmailError};
use unicode_normalization::UnicodeNormalization;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// As entered (trimmed, NFC): where mail goes.
    address: String,
    /// Lowercased: what uniqueness and lookups use.
    normalized: String,
}

impl Email {
    pub fn parse(text: &str) -> Result<Self, EmailError> {
        let address: String = text.trim().nfc().collect();
        check_email(&address)?;
        let normalized = address.to_lowercase();
        Ok(Self {
            address,
            normalized,
        })
    }

    pub(crate) fn from_trusted(address: String, normalized: String) -> Self {
        Self {
            address,
            normalized,
        }
    }

    pub fn address(&self) -> &str {
        &self.address
    }

    pub fn normalized(&self) -> &str {
        &self.normalized
    }

    /// The part after the last `@`, lowercase.
    pub fn domain(&self) -> &str {
        self.normalized.rsplit_once('@').map_or("", |(_, d)| d)
    }

    /// The part before `@`, for the password context list.
    pub fn local_part(&self) -> &str {
        self.normalized.rsplit_once('@').map_or("", |(l, _)| l)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_and_case_insensitive() {
        let e = Email::parse("  Alice.Martin@Example.FR ").expect("valid");
        assert_eq!(e.address(), "Alice.Martin@Example.FR");
        assert_eq!(e.normalized(), "alice.martin@example.fr");
        assert_eq!(e.local_part(), "alice.martin");
    }

    #[test]
    fn unicode_is_normalised() {
        let composed = Email::parse("zoé@exemple.fr").expect("valid");
        let decomposed = Email::parse("zoe\u{301}@exemple.fr").expect("valid");
        assert_eq!(composed.normalized(), decomposed.normalized());
    }

    #[test]
    fn bad_addresses_are_refused() {
        for bad in [
            "",
            "   ",
            "alice",
            "alice@",
            "@example.com",
            "alice@example",
            "a b@example.com",
            "alice@exa mple.com",
            "alice@.example.com",
            "alice@example.com.",
            ".a@example.com",
            "a..b@example.com",
            "alice@ex_ample.com",
            "<a@example.com>",
            "a\u{0}b@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Email::parse("alice@example").is_err());
        assert_eq!(
            Email::parse(&format!("{}@example.com", "a".repeat(250))),
            Err(EmailError::TooLong)
        );
    }
}
