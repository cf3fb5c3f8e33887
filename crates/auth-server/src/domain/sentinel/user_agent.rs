//! A user agent's *family*, as the `unfamiliar_login` detector compares
//! them: the browser and the operating system, read coarsely from the
//! `User-Agent` header, without versions (a browser update is not a new
//! device). `Firefox on Windows`, `Chrome on Android`, `Safari on iOS`; a
//! client that is no browser is named by its first product token (`curl`,
//! `python-requests`); an empty header is `unknown`.

/// At most this many characters of a product token name a family.
const TOKEN_CHARS: usize = 32;

/// The family of `user_agent`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UaFamily(String);

impl UaFamily {
    pub fn parse(user_agent: &str) -> Self {
        let ua = user_agent.trim();
        if ua.is_empty() {
            return Self("unknown".to_owned());
        }
        let browser = browser(ua).map_or_else(|| product(ua), str::to_owned);
        Self(match os(ua) {
            Some(os) => format!("{browser} on {os}"),
            None => browser,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for UaFamily {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The browser, for the common ones. Order matters: Edge and Opera say
/// `Chrome/` too, Chrome says `Safari/`.
fn browser(ua: &str) -> Option<&'static str> {
    const BROWSERS: [(&[&str], &str); 7] = [
        (&["Edg/", "EdgA/", "EdgiOS/", "Edge/"], "Edge"),
        (&["OPR/", "Opera"], "Opera"),
        (&["SamsungBrowser/"], "Samsung Internet"),
        (&["Firefox/", "FxiOS/"], "Firefox"),
        (&["CriOS/", "Chrome/", "Chromium/"], "Chrome"),
        (&["Version/"], "Safari"),
        (&["Trident/", "MSIE "], "Internet Explorer"),
    ];
    BROWSERS
        .iter()
        .find(|(marks, _)| marks.iter().any(|m| ua.contains(m)))
        .map(|(_, name)| *name)
        .filter(|name| *name != "Safari" || ua.contains("Safari/"))
}

/// The operating system, when the header names one. Android and ChromeOS
/// say `Linux` too, iOS says `Mac OS X`.
fn os(ua: &str) -> Option<&'static str> {
    const SYSTEMS: [(&[&str], &str); 6] = [
        (&["Windows"], "Windows"),
        (&["iPhone", "iPad", "iPod"], "iOS"),
        (&["Android"], "Android"),
        (&["CrOS"], "ChromeOS"),
        (&["Macintosh", "Mac OS X"], "macOS"),
        (&["Linux", "X11"], "Linux"),
    ];
    SYSTEMS
        .iter()
        .find(|(marks, _)| marks.iter().any(|m| ua.contains(m)))
        .map(|(_, name)| *name)
}

/// The first product token without its version, lowercase: `curl/8.5.0`
/// is `curl`. Only letters, digits, `-`, `_` and `.` are kept.
fn product(ua: &str) -> String {
    let token: String = ua
        .split(['/', ' ', ';', '('])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(TOKEN_CHARS)
        .collect::<String>()
        .to_ascii_lowercase();
    if token.is_empty() {
        "other".to_owned()
    } else {
        token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn family(ua: &str) -> String {
        UaFamily::parse(ua).0
    }

    #[test]
    fn browsers_and_systems_of_the_common_headers() {
        let cases = [
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0", "Firefox on Windows"),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", "Chrome on Windows"),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91", "Edge on Windows"),
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15", "Safari on macOS"),
            ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1", "Safari on iOS"),
            ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1", "Chrome on iOS"),
            ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36", "Chrome on Android"),
            ("Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36", "Samsung Internet on Android"),
            ("Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0", "Firefox on Linux"),
            ("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", "Chrome on ChromeOS"),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 OPR/106.0.0.0", "Opera on Windows"),
        ];
        for (ua, expected) in cases {
            assert_eq!(family(ua), expected, "{ua}");
        }
    }

    #[test]
    fn a_version_bump_is_the_same_family() {
        assert_eq!(
            UaFamily::parse("Mozilla/5.0 (Windows NT 10.0; rv:120.0) Gecko/20100101 Firefox/120.0"),
            UaFamily::parse(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
            )
        );
        assert_ne!(
            UaFamily::parse("Mozilla/5.0 (Windows NT 10.0; rv:120.0) Gecko/20100101 Firefox/120.0"),
            UaFamily::parse(
                "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
            ),
            "another system is another device"
        );
    }

    #[test]
    fn tools_are_named_by_their_product_and_nothing_is_unknown() {
        assert_eq!(family("curl/8.5.0"), "curl");
        assert_eq!(family("python-requests/2.31.0"), "python-requests");
        assert_eq!(family("Go-http-client/1.1"), "go-http-client");
        assert_eq!(
            family("okhttp/4.12.0 (Linux; Android 14)"),
            "okhttp on Android"
        );
        assert_eq!(family(""), "unknown");
        assert_eq!(family("   "), "unknown");
        assert_eq!(family("(((;;;"), "other");
        assert_eq!(
            family("Safari/605.1.15"),
            "safari",
            "no Version/: a product"
        );
        let long = format!("{}/1.0", "x".repeat(500));
        assert_eq!(family(&long).len(), TOKEN_CHARS);
        assert_eq!(family("<script>alert(1)</script>"), "scriptalert");
    }
}
