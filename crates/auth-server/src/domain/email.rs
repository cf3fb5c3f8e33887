//! An email address as users type it, and the normalised form that makes it
//! unique per tenant (case-insensitive).
use std::fmt;

use unicode_normalization::UnicodeNormalization;

pub const EMAIL_MAX: usize = 254;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EmailError {
    #[error("enter an email address")]
    Empty,
    #[error("this email address is too long")]
    TooLong,
    #[error("this is not a valid email address")]
    Invalid,
}

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
        if address.is_empty() {
            return Err(EmailError::Empty);
        }
        if address.len() > EMAIL_MAX {
            return Err(EmailError::TooLong);
        }
        let Some((local, domain)) = address.rsplit_once('@') else {
            return Err(EmailError::Invalid);
        };
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && !local.contains('@');
        let domain_ok = domain.len() >= 3
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.starts_with('-')
            && domain
                .split('.')
                .all(|label| !label.is_empty() && label.len() <= 63)
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        let chars_ok = !address.chars().any(|c| {
            c.is_whitespace()
                || c.is_control()
                || matches!(
                    c,
                    '<' | '>' | '"' | ',' | ';' | '\\' | '(' | ')' | '[' | ']'
                )
        });
        if !(local_ok && domain_ok && chars_ok) {
            return Err(EmailError::Invalid);
        }
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
