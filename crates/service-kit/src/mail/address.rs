//! The one rule for an email address across ConnectAuth's services: what a
//! person may give as theirs (a user signing up, an owner's billing
//! contact) and what the mailer can deliver to. Callers that keep the
//! address trim it and normalise it to Unicode NFC first.
use lettre::Address;

/// Longest address accepted, in bytes (RFC 5321's path limit less `<>`).
pub const EMAIL_MAX: usize = 254;

#[derive(Debug, Clone, Copy, thiserror::Error, PartialEq, Eq)]
pub enum EmailError {
    #[error("enter an email address")]
    Empty,
    #[error("this email address is too long")]
    TooLong,
    #[error("this is not a valid email address")]
    Invalid,
}

/// Whether `address` is a deliverable address of a person: a local part
/// and a dotted domain name (no IP literal, no single-label host), no
/// spaces, controls, quotes or brackets, and one the mailer accepts.
pub fn check_email(address: &str) -> Result<(), EmailError> {
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
    if !(local_ok && domain_ok && chars_ok) || address.parse::<Address>().is_err() {
        return Err(EmailError::Invalid);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_of_people_pass() {
        for good in [
            "alice@example.com",
            "Alice.Martin@Example.FR",
            "zoé@exemple.fr",
            "a+tag@sub.example.co.uk",
            "o'brien@example.ie",
        ] {
            assert_eq!(check_email(good), Ok(()), "{good}");
        }
    }

    #[test]
    fn bad_addresses_are_refused() {
        assert_eq!(check_email(""), Err(EmailError::Empty));
        assert_eq!(
            check_email(&format!("{}@example.com", "a".repeat(250))),
            Err(EmailError::TooLong)
        );
        for bad in [
            "   ",
            "alice",
            "alice@",
            "@example.com",
            "alice@example",
            "alice@[127.0.0.1]",
            "a b@example.com",
            "alice@exa mple.com",
            "alice@.example.com",
            "alice@example.com.",
            "alice@-example.com",
            ".a@example.com",
            "a.@example.com",
            "a..b@example.com",
            "alice@ex_ample.com",
            "<a@example.com>",
            "a\u{0}b@example.com",
            "a,b@example.com",
        ] {
            assert_eq!(check_email(bad), Err(EmailError::Invalid), "{bad:?}");
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert_eq!(check_email(&long_local), Err(EmailError::Invalid));
        let long_label = format!("a@{}.com", "b".repeat(64));
        assert_eq!(check_email(&long_label), Err(EmailError::Invalid));
    }
}
