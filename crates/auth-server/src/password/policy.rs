//! Password policy applied when a password is set (registration, change,
//! reset). Follows NIST SP 800-63B / OWASP ASVS 5 V6.2: length limits, no
//! composition rules, breached and context-specific words refused.

use std::fmt;

use zeroize::Zeroizing;

use crate::password::{breached, context, normalize};

/// A password that passed [`PasswordPolicy::check`]: NFKC-normalised, not
/// trimmed, not case-folded. Zeroed on drop; `Debug` never prints it.
#[derive(Clone)]
pub struct Password(Zeroizing<String>);

impl Password {
    /// The normalised secret, for hashing.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// Why a password was refused. `Display` is a plain-English sentence that can
/// be shown on the registration / change-password page as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRuleError {
    #[error("Your password is too short: use at least {min} characters.")]
    TooShort { min: usize },
    #[error("Your password is too long: use at most {max} characters.")]
    TooLong { max: usize },
    #[error("This password is too common and has appeared in data breaches. Please choose a different one.")]
    Breached,
    #[error("Your password is too close to your email address, your organisation's name or the name of this service. Please choose a different one.")]
    ContextWord,
}

/// The password rules. Stateless: the context words are passed per call.
#[derive(Debug, Clone, Copy, Default)]
pub struct PasswordPolicy;

impl PasswordPolicy {
    /// Minimum length in characters (Unicode scalar values) after NFKC.
    pub const MIN_CHARS: usize = 10;
    /// Maximum length in characters after NFKC.
    pub const MAX_CHARS: usize = 256;

    /// Check `raw` and return the normalised [`Password`] to hash.
    ///
    /// `context` holds words an attacker would try first: tenant name and
    /// slug, the user's email (or its local part). "connectauth" is always
    /// included. Any character is allowed; spaces are significant.
    pub fn check(raw: &str, context: &[&str]) -> Result<Password, PasswordRuleError> {
        if normalize::exceeds_precheck(raw, Self::MAX_CHARS) {
            return Err(PasswordRuleError::TooLong {
                max: Self::MAX_CHARS,
            });
        }
        let normalized = Zeroizing::new(normalize::normalize(raw));
        let chars = normalized.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(PasswordRuleError::TooShort {
                min: Self::MIN_CHARS,
            });
        }
        if chars > Self::MAX_CHARS {
            return Err(PasswordRuleError::TooLong {
                max: Self::MAX_CHARS,
            });
        }
        if breached::is_breached(&normalized) {
            return Err(PasswordRuleError::Breached);
        }
        if context::is_built_from_context(&normalized, context) {
            return Err(PasswordRuleError::ContextWord);
        }
        Ok(Password(normalized))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTX: &[&str] = &["Globex", "globex-eu", "hank.scorpio"];

    fn check(raw: &str) -> Result<Password, PasswordRuleError> {
        PasswordPolicy::check(raw, CTX)
    }

    fn err(raw: &str) -> Option<PasswordRuleError> {
        check(raw).err()
    }

    #[test]
    fn accepts_a_reasonable_password_unchanged() {
        let raw = "  Tr0ub4dor & Horse  ";
        let pw = check(raw).unwrap();
        assert_eq!(pw.expose_secret(), raw, "no trimming or case folding");
    }

    #[test]
    fn normalises_to_nfkc() {
        let pw = check("ｃｏｒｒｅｃｔ ｈｏｒｓｅ").unwrap();
        assert_eq!(pw.expose_secret(), "correct horse");
        let composed = check("caf\u{e9} au lait!").unwrap();
        let decomposed = check("cafe\u{301} au lait!").unwrap();
        assert_eq!(composed.expose_secret(), decomposed.expose_secret());
    }

    #[test]
    fn length_counts_characters_after_normalisation() {
        assert_eq!(
            err("abcdefgh9"),
            Some(PasswordRuleError::TooShort { min: 10 })
        );
        assert!(check("äöüßéèêëïî").is_ok(), "10 non-ASCII chars are enough");
        assert!(check(&"ab1".repeat(85)).is_ok(), "255 chars");
        assert_eq!(
            err(&"ab1".repeat(86)),
            Some(PasswordRuleError::TooLong { max: 256 })
        );
        assert_eq!(
            err(&"x".repeat(1_000_000)),
            Some(PasswordRuleError::TooLong { max: 256 })
        );
        // One ligature char expands to three under NFKC.
        assert!(
            check("\u{FB03}\u{FB03}\u{FB03}\u{FB03}").is_ok(),
            "12 chars after NFKC"
        );
    }

    #[test]
    fn no_composition_rules() {
        assert!(check("all lowercase words here").is_ok());
        assert!(check("🦀🦀🦀🦀🦀🦀🦀🦀🦀🦀").is_ok());
    }

    #[test]
    fn refuses_breached_passwords_case_insensitively() {
        assert_eq!(err("password123"), Some(PasswordRuleError::Breached));
        assert_eq!(err("QwertyUiop"), Some(PasswordRuleError::Breached));
        assert_eq!(
            err("１２３４５６７８９０"),
            Some(PasswordRuleError::Breached)
        );
    }

    #[test]
    fn refuses_context_words() {
        assert_eq!(err("Globex2024!!"), Some(PasswordRuleError::ContextWord));
        assert_eq!(err("globex-eu-1234"), Some(PasswordRuleError::ContextWord));
        assert_eq!(err("Scorpio.1970"), Some(PasswordRuleError::ContextWord));
        assert_eq!(err("connectauth#1"), Some(PasswordRuleError::ContextWord));
        assert_eq!(
            PasswordPolicy::check("CONNECTAUTH!!", &[]).err(),
            Some(PasswordRuleError::ContextWord)
        );
    }

    #[test]
    fn messages_are_plain_sentences() {
        let all = [
            PasswordRuleError::TooShort { min: 10 },
            PasswordRuleError::TooLong { max: 256 },
            PasswordRuleError::Breached,
            PasswordRuleError::ContextWord,
        ];
        for e in all {
            let msg = e.to_string();
            assert!(msg.ends_with('.'), "{msg}");
            assert!(msg.starts_with(char::is_uppercase), "{msg}");
        }
        assert_eq!(
            PasswordRuleError::TooShort { min: 10 }.to_string(),
            "Your password is too short: use at least 10 characters."
        );
    }

    #[test]
    fn debug_redacts_the_secret() {
        let pw = check("very secret words").unwrap();
        assert_eq!(format!("{pw:?}"), "Password(<redacted>)");
    }
}
