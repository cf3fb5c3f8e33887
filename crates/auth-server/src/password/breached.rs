//! Bundled list of the most common breached passwords.
//!
//! Source: `data/breached-passwords.txt` (see its header): the 30,000-entry
//! `passwords` frequency list from PyPI `zxcvbn` 4.5.0 (MIT), itself derived
//! from Mark Burnett's 10 million passwords corpus (xato.net). Entries are
//! lowercased and deduplicated; the set is built once on first use.

use std::collections::HashSet;
use std::sync::OnceLock;

const LIST: &str = include_str!("../../data/breached-passwords.txt");

fn set() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        LIST.lines()
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .collect()
    })
}

/// True when `password` (compared case-insensitively) is in the bundled list.
pub fn is_breached(password: &str) -> bool {
    set().contains(password.to_lowercase().as_str())
}

/// Number of entries in the bundled list. Calling it at start-up also builds
/// the set, so the first registration does not pay for it.
pub fn len() -> usize {
    set().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_is_large_lowercase_and_deduplicated() {
        let entries: Vec<&str> = LIST
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect();
        assert!(entries.len() >= 10_000, "only {} entries", entries.len());
        assert_eq!(entries.len(), len(), "duplicates in the list");
        assert!(entries.iter().all(|e| *e == e.to_lowercase()));
        assert!(entries.iter().all(|e| *e == e.trim()));
    }

    #[test]
    fn finds_common_passwords_case_insensitively() {
        assert!(is_breached("password"));
        assert!(is_breached("PassWord123"));
        assert!(is_breached("qwertyuiop"));
        assert!(is_breached("1q2w3e4r5t"));
        assert!(!is_breached("correct horse battery staple 7"));
    }
}
