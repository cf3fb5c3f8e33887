//! Unicode normalisation shared by the policy (at registration / change) and
//! the hasher (at verification), so the same typed password always hashes the
//! same bytes whatever the client's keyboard or OS produced.

use unicode_normalization::UnicodeNormalization;

/// NFKC-normalise `raw`. No trimming and no case folding: the secret is kept
/// exactly as typed apart from normalisation (OWASP ASVS 6.2.8).
pub fn normalize(raw: &str) -> String {
    raw.nfkc().collect()
}

/// Upper bound on the input length (in chars) worth normalising for a policy
/// whose maximum is `max_chars`. NFKC never shrinks text by more than the
/// longest canonical decomposition (4 chars), so anything longer than
/// `8 * max_chars` cannot come out within the limit and is refused up front
/// without spending CPU on it.
pub(crate) fn exceeds_precheck(raw: &str, max_chars: usize) -> bool {
    raw.chars().nth(max_chars.saturating_mul(8)).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nfkc_folds_compatibility_forms_but_not_case_or_spaces() {
        // Fullwidth letters, ligature, composed vs decomposed é.
        assert_eq!(normalize("ＡＢＣ"), "ABC");
        assert_eq!(normalize("ﬁle"), "file");
        assert_eq!(normalize("e\u{301}"), "\u{e9}");
        assert_eq!(normalize("  Mixed Case  "), "  Mixed Case  ");
    }

    #[test]
    fn precheck_only_trips_far_beyond_the_limit() {
        assert!(!exceeds_precheck(&"a".repeat(80), 10));
        assert!(exceeds_precheck(&"a".repeat(81), 10));
    }
}
