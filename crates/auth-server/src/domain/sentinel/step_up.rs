//! Step-up for accounts under attack: when the sentinel finds an attack on
//! accounts, each targeted account that exists is marked for a while, and
//! its next password logins need a second step: the user's TOTP when they
//! have one, else a six-digit code mailed to them. The mark stays until it
//! expires (a right code does not clear it: the password is what is under
//! attack, and the attack may go on).

/// How the second step of a marked account's password login is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondStep {
    /// Nothing more: the account is not marked (or the mark expired).
    None,
    /// The user's own second factor (TOTP, or a recovery code), as always.
    OwnFactor,
    /// A code mailed to the account's address.
    EmailedCode,
}

/// The `amr` value a session gets from a mailed code. RFC 8176 registers
/// none for email; like other providers we name it `email`. It is not a
/// second factor of its own (`passkey::amr_is_multi_factor`): the ID
/// token's `acr` stays the password's.
pub const EMAIL_AMR: &str = "email";

/// The mailed code: six digits, valid ten minutes, five tries.
pub const CODE_TTL_SECS: i64 = 600;
pub const CODE_TRIES: i64 = 5;
/// Codes mailed to one account (at login and by "send another"), at most
/// `mail_budget::SENDS_PER_WINDOW` in this long.
pub const CODE_MAIL_WINDOW_SECS: i64 = 600;

/// Until when an account targeted at `now` is marked, or `None` when
/// step-up is off (`step_up_secs` 0).
pub fn mark_until(now: i64, step_up_secs: i64) -> Option<i64> {
    (step_up_secs > 0).then(|| now.saturating_add(step_up_secs))
}

/// What a right password leads to for an account whose mark ends at
/// `marked_until` (if any), at `now`.
pub fn second_step(marked_until: Option<i64>, has_totp: bool, now: i64) -> SecondStep {
    match marked_until {
        Some(until) if now < until && has_totp => SecondStep::OwnFactor,
        Some(until) if now < until => SecondStep::EmailedCode,
        _ => SecondStep::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_turns_step_up_off() {
        assert_eq!(mark_until(1_000, 0), None);
        assert_eq!(mark_until(1_000, 86_400), Some(87_400));
        assert_eq!(mark_until(i64::MAX - 1, 86_400), Some(i64::MAX));
    }

    #[test]
    fn a_marked_account_needs_its_own_factor_or_a_mailed_code_until_the_mark_ends() {
        assert_eq!(second_step(None, false, 10), SecondStep::None);
        assert_eq!(second_step(None, true, 10), SecondStep::None);
        assert_eq!(second_step(Some(11), false, 10), SecondStep::EmailedCode);
        assert_eq!(second_step(Some(11), true, 10), SecondStep::OwnFactor);
        assert_eq!(
            second_step(Some(10), false, 10),
            SecondStep::None,
            "expired"
        );
        assert_eq!(second_step(Some(9), true, 10), SecondStep::None);
    }

    #[test]
    fn the_mailed_code_is_not_a_second_factor_of_its_own() {
        assert!(!crate::domain::passkey::amr_is_multi_factor(&format!(
            "pwd {EMAIL_AMR}"
        )));
    }
}
