//! What the analyst's prompt may carry of free text: every email address
//! masked to its first character and its domain (`j***@example.com`), and
//! every long run of letters and digits (a token, a secret, a user id, a
//! grant id) replaced, so nothing that names a person or opens a door
//! leaves the server.

/// Runs of token characters at least this long are taken for secrets or
/// identifiers (a UUID is 36, our secrets 43).
const SECRET_RUN: usize = 20;
/// What replaces such a run.
pub const REDACTED: &str = "[redacted]";

/// `jane@example.com` as `j***@example.com`; without a usable local part,
/// `***@example.com`.
pub fn mask_email(address: &str) -> String {
    match address.rsplit_once('@') {
        Some((local, domain)) => match local.chars().next() {
            Some(first) => format!("{first}***@{domain}"),
            None => format!("***@{domain}"),
        },
        None => "***".to_owned(),
    }
}

fn is_local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._%+-'".contains(c)
}

fn is_domain_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '.' || c == '-'
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// `text` with every email address masked ([`mask_email`]) and every run of
/// [`SECRET_RUN`] or more letters, digits, `-` and `_` replaced by
/// [`REDACTED`]; cut to `max` characters.
pub fn mask_text(text: &str, max: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if let Some((end, masked)) = email_at(&chars, i) {
            out.push_str(&masked);
            i = end;
            continue;
        }
        if is_token_char(chars[i]) {
            // Not an address: an address starting inside the run would
            // have started at `i` (its characters are all local-part ones).
            let end = run_end(&chars, i, is_token_char);
            if end - i >= SECRET_RUN {
                out.push_str(REDACTED);
            } else {
                out.extend(&chars[i..end]);
            }
            i = end;
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    out.chars().take(max).collect()
}

fn run_end(chars: &[char], from: usize, class: fn(char) -> bool) -> usize {
    let mut end = from;
    while end < chars.len() && class(chars[end]) {
        end += 1;
    }
    end
}

/// The address starting at `start` (its local part beginning there, not in
/// the middle of one), with where it ends and its masked form.
fn email_at(chars: &[char], start: usize) -> Option<(usize, String)> {
    if start > 0 && is_local_char(chars[start - 1]) {
        return None;
    }
    let at = run_end(chars, start, is_local_char);
    if at == start || chars.get(at) != Some(&'@') {
        return None;
    }
    let mut end = run_end(chars, at + 1, is_domain_char);
    // A sentence's full stop is not part of the domain.
    while end > at + 1 && chars[end - 1] == '.' {
        end -= 1;
    }
    let domain: String = chars[at + 1..end].iter().collect();
    if !domain.contains('.') || domain.starts_with('.') {
        return None;
    }
    let local: String = chars[start..at].iter().collect();
    Some((end, mask_email(&format!("{local}@{domain}"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_keeps_its_first_letter_and_domain() {
        assert_eq!(mask_email("jane@example.com"), "j***@example.com");
        assert_eq!(mask_email("@example.com"), "***@example.com");
        assert_eq!(mask_email("nobody"), "***");
    }

    #[test]
    fn every_address_in_a_text_is_masked() {
        let text = "Leaked by jane.doe+ci@example.com, then <bob@mail.example.org>. Ask ops@x.io.";
        let masked = mask_text(text, 500);
        assert_eq!(
            masked,
            "Leaked by j***@example.com, then <b***@mail.example.org>. Ask o***@x.io."
        );
        for full in ["jane.doe", "bob@", "ops@"] {
            assert!(!masked.contains(full), "{full} in {masked}");
        }
    }

    #[test]
    fn an_address_glued_to_a_long_run_is_still_masked() {
        let masked = mask_text("x-very-long-prefix-of-letters-jane@example.com", 500);
        assert!(!masked.contains("jane"), "{masked}");
        assert!(masked.contains("@example.com"), "{masked}");
    }

    #[test]
    fn tokens_secrets_and_ids_are_redacted() {
        let secret = "cs_3q2+7hSVpQdjmr0YmNbnBo0tK5xv2q0pcb8F0pZ9QeY3f0k";
        let id = "9d6c1f0a-6d1f-4a0e-9a53-0c1f6f1f2b77";
        let masked = mask_text(&format!("secret {secret} of user {id} in repo"), 500);
        assert!(!masked.contains("7hSVpQdjmr0YmNbnBo0tK5xv2q0pcb8F0pZ9QeY3f0k"));
        assert!(!masked.contains(id));
        assert!(masked.contains(REDACTED), "{masked}");
        assert!(masked.starts_with("secret "), "{masked}");
        assert!(masked.ends_with(" in repo"), "{masked}");
    }

    #[test]
    fn plain_words_stay_and_length_is_capped() {
        assert_eq!(
            mask_text("committed to a public repository", 500),
            "committed to a public repository"
        );
        assert_eq!(mask_text("abcdef", 3), "abc");
        assert_eq!(mask_text("no @ here, a@b", 500), "no @ here, a@b");
    }
}
