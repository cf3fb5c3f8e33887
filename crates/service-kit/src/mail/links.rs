/// Every `http://` / `https://` link in `text`, in order of appearance.
///
/// A link ends at whitespace, `<`, `>`, `"` or `'`; trailing sentence
/// punctuation (`.,;:!?)]`) is dropped.
pub fn extract_links(text: &str) -> Vec<String> {
    const TRAILING: &[char] = &['.', ',', ';', ':', '!', '?', ')', ']'];
    let mut links = Vec::new();
    let mut rest = text;
    while let Some(start) = find_scheme(rest) {
        let candidate = &rest[start..];
        let end = candidate
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\''))
            .unwrap_or(candidate.len());
        let link = candidate[..end].trim_end_matches(TRAILING);
        let scheme_len = if link.starts_with("https://") { 8 } else { 7 };
        if link.len() > scheme_len {
            links.push(link.to_owned());
        }
        rest = &candidate[end.max(1)..];
    }
    links
}

fn find_scheme(s: &str) -> Option<usize> {
    match (s.find("http://"), s.find("https://")) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::extract_links;

    #[test]
    fn finds_links_and_trims_punctuation() {
        let text = "Verify: https://auth.example/verify?token=abc_123&x=1.\n\
                    Or (http://localhost:8080/reset/xyz), see <https://a.b/c>. https:// alone";
        assert_eq!(
            extract_links(text),
            [
                "https://auth.example/verify?token=abc_123&x=1",
                "http://localhost:8080/reset/xyz",
                "https://a.b/c",
            ]
        );
    }

    #[test]
    fn no_links() {
        assert!(extract_links("plain text, ftp://x and mailto:a@b").is_empty());
    }
}
