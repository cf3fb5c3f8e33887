//! Refuses passwords built from words the attacker already knows: the tenant
//! name and slug, the user's email local part, and the service name.

use crate::password::normalize::normalize;

/// Always treated as a context word, whatever the caller passes.
pub(crate) const SERVICE_WORD: &str = "connectauth";

/// Context words (and their parts) shorter than this are ignored, so a
/// one- or two-letter initial cannot veto unrelated passwords.
const MIN_WORD_CHARS: usize = 3;

/// True when `password` (already NFKC-normalised) is essentially one of the
/// context words: its letters are exactly the word's letters (possibly
/// repeated), or it is the word plus nothing but non-letters
/// (digits, punctuation, spaces, symbols).
pub(crate) fn is_built_from_context(password: &str, context: &[&str]) -> bool {
    let lower = password.to_lowercase();
    let letters = letters_only(&lower);
    candidate_words(context)
        .iter()
        .any(|word| matches_word(&lower, &letters, word))
}

fn matches_word(lower: &str, letters: &str, word: &str) -> bool {
    let word_letters = letters_only(word);
    if !word_letters.is_empty() && is_repetition_of(letters, &word_letters) {
        return true;
    }
    // Word plus only non-letters, e.g. "12345678" local part + "!!".
    match lower.find(word) {
        Some(pos) => {
            let mut rest = lower[..pos]
                .chars()
                .chain(lower[pos + word.len()..].chars());
            rest.all(|c| !c.is_alphabetic())
        }
        None => false,
    }
}

fn is_repetition_of(letters: &str, unit: &str) -> bool {
    !letters.is_empty()
        && letters.len().is_multiple_of(unit.len())
        && letters
            .as_bytes()
            .chunks(unit.len())
            .all(|c| c == unit.as_bytes())
}

fn letters_only(s: &str) -> String {
    s.chars().filter(|c| c.is_alphabetic()).collect()
}

/// Normalised, lowercased context words plus their alphanumeric parts
/// ("Acme Corp" -> "acme corp", "acme", "corp"; "jo.smith@x.io" -> the local
/// part "jo.smith" and "smith").
fn candidate_words(context: &[&str]) -> Vec<String> {
    let mut words = vec![SERVICE_WORD.to_owned()];
    for item in context {
        let item = normalize(item).to_lowercase();
        let item = match item.split_once('@') {
            Some((local, _domain)) => local.to_owned(),
            None => item,
        };
        for part in item.split(|c: char| !c.is_alphanumeric()) {
            words.push(part.to_owned());
        }
        words.push(item);
    }
    words.retain(|w| w.chars().count() >= MIN_WORD_CHARS);
    words.sort_unstable();
    words.dedup();
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTX: &[&str] = &["Acme Corp", "acme-corp", "jo.smith"];

    #[test]
    fn refuses_context_word_with_decoration() {
        for pw in [
            "ConnectAuth2024!",
            "connect-auth-2024",
            "ACME CORP 2024!!",
            "Acme_Corp_123456",
            "smith19870101",
            "!!Jo.Smith!!2024",
            "acmecorpacmecorp",
        ] {
            assert!(is_built_from_context(pw, CTX), "{pw} should be refused");
        }
    }

    #[test]
    fn refuses_numeric_context_word_plus_punctuation() {
        assert!(is_built_from_context("12345678!!", &["12345678"]));
        assert!(is_built_from_context(
            "a.b.12345678",
            &["a.b.12345678@x.io"]
        ));
    }

    #[test]
    fn allows_passphrases_that_merely_contain_a_context_word() {
        for pw in [
            "acme corp makes good anvils",
            "ConnectAuth is fine by me",
            "correct horse battery staple",
            "1234567890123",
        ] {
            assert!(!is_built_from_context(pw, CTX), "{pw} should be allowed");
        }
    }

    #[test]
    fn ignores_tiny_words_and_email_domains() {
        assert!(!is_built_from_context("jo1234567890", &["jo@example.com"]));
        assert!(!is_built_from_context("example2024!", &["jo@example.com"]));
    }

    #[test]
    fn context_is_normalised() {
        // Fullwidth tenant name still matches.
        assert!(is_built_from_context("acme2024!!!!", &["ＡＣＭＥ"]));
    }
}
