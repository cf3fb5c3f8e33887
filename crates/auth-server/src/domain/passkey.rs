//! Passkeys (WebAuthn credentials): what a user may call one, how long a
//! ceremony may take, how many a user keeps, and what a sign-in with one
//! proves (`amr`, RFC 8176). No HTTP, no SQL; the WebAuthn checks
//! themselves are webauthn-rs's.
use std::fmt;

/// How long a started registration or sign-in may wait for the
/// authenticator (WebAuthn's own default timeout is five minutes).
pub const CEREMONY_SECS: i64 = 300;

/// The most passkeys one user keeps: enough for every device and a spare
/// security key, few enough that the sign-in request stays small.
pub const MAX_PER_USER: usize = 20;

/// A passkey's name, as its owner sees it on the account page: 1 to 64
/// characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyName(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a passkey's name has 1 to 64 characters and no control characters")]
pub struct PasskeyNameError;

impl PasskeyName {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(text: &str) -> Result<Self, PasskeyNameError> {
        let text = text.trim();
        let count = text.chars().count();
        if count == 0 || count > Self::MAX_CHARS || text.chars().any(char::is_control) {
            return Err(PasskeyNameError);
        }
        Ok(Self(text.to_owned()))
    }

    /// The name a new passkey gets when its owner gives none.
    pub fn default_for(count_before: usize) -> Self {
        Self(format!("Passkey {}", count_before + 1))
    }
}

impl AsRef<str> for PasskeyName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PasskeyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a started ceremony is for; a ceremony is finished only as what it
/// was started for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CeremonyPurpose {
    Register,
    SignIn,
}

impl CeremonyPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            CeremonyPurpose::Register => "register",
            CeremonyPurpose::SignIn => "sign_in",
        }
    }
}

/// The `amr` of a session opened with a passkey (RFC 8176). The
/// authenticator verified the user (PIN or biometrics: webauthn-rs's
/// passkey ceremonies require it), so the key alone is two factors:
/// `mfa`. A key that may be synced to other devices (backup eligible)
/// lives in software (`swk`); one that may not, in hardware (`hwk`).
pub fn amr(backup_eligible: bool) -> &'static str {
    if backup_eligible {
        "swk mfa"
    } else {
        "hwk mfa"
    }
}

/// Whether a session's `amr` (space-separated) proves two factors: a code
/// after the password (`otp`, `rec`) or a user-verified passkey (`mfa`).
pub fn amr_is_multi_factor(amr: &str) -> bool {
    amr.split(' ').any(|m| matches!(m, "otp" | "rec" | "mfa"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(PasskeyName::parse("  Laptop ").unwrap().as_ref(), "Laptop");
        assert_eq!(
            PasskeyName::parse(&"é".repeat(64))
                .unwrap()
                .as_ref()
                .chars()
                .count(),
            64
        );
        assert_eq!(PasskeyName::parse(&"é".repeat(65)), Err(PasskeyNameError));
        assert_eq!(PasskeyName::parse("   "), Err(PasskeyNameError));
        assert_eq!(PasskeyName::parse("a\u{0}b"), Err(PasskeyNameError));
        assert_eq!(PasskeyName::parse("line\nbreak"), Err(PasskeyNameError));
        assert_eq!(PasskeyName::default_for(0).as_ref(), "Passkey 1");
        assert_eq!(PasskeyName::default_for(2).as_ref(), "Passkey 3");
    }

    #[test]
    fn a_passkey_sign_in_is_multi_factor_and_says_where_the_key_lives() {
        assert_eq!(amr(true), "swk mfa");
        assert_eq!(amr(false), "hwk mfa");
        assert!(amr_is_multi_factor(amr(true)));
        assert!(amr_is_multi_factor(amr(false)));
        assert!(amr_is_multi_factor("pwd otp"));
        assert!(amr_is_multi_factor("pwd rec"));
        assert!(!amr_is_multi_factor("pwd"));
        assert!(!amr_is_multi_factor("fed"));
        assert!(!amr_is_multi_factor("pwdmfa"));
    }

    #[test]
    fn limits_are_as_documented() {
        assert_eq!(CEREMONY_SECS, 300);
        assert_eq!(MAX_PER_USER, 20);
        assert_eq!(CeremonyPurpose::Register.as_str(), "register");
        assert_eq!(CeremonyPurpose::SignIn.as_str(), "sign_in");
    }
}
