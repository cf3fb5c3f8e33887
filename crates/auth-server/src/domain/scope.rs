//! OAuth scopes (RFC 6749 §3.3): space-separated scope tokens, each of
//! printable ASCII except space, `"` and `\`. A client lists the scopes it may
//! ask for; a request gets at most those (ASVS 10.4.11).
use std::fmt;

pub const MAX_SCOPES: usize = 50;
pub const SCOPE_MAX_CHARS: usize = 100;

/// The scopes OpenID Connect gives a meaning to; any other token is a custom
/// scope of the tenant's own API.
pub const OIDC_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScopeError {
    #[error("a scope may contain only printable ASCII other than space, `\"` and `\\`")]
    Characters,
    #[error("a scope has at most {SCOPE_MAX_CHARS} characters")]
    TooLong,
    #[error("at most {MAX_SCOPES} scopes")]
    TooMany,
}

/// A set of distinct scope tokens, in the order first given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScopeSet(Vec<String>);

impl ScopeSet {
    /// A space-separated `scope` value, as in an OAuth request. Runs of
    /// spaces are tolerated; any other whitespace is refused.
    pub fn parse(text: &str) -> Result<Self, ScopeError> {
        Self::from_tokens(text.split(' ').filter(|t| !t.is_empty()))
    }

    /// Scope tokens one by one (a JSON array, repeated flags); duplicates collapse.
    pub fn from_tokens<I, S>(tokens: I) -> Result<Self, ScopeError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut set: Vec<String> = Vec::new();
        for token in tokens {
            let token = token.as_ref();
            if token.is_empty() || !token.bytes().all(is_scope_char) {
                return Err(ScopeError::Characters);
            }
            if token.len() > SCOPE_MAX_CHARS {
                return Err(ScopeError::TooLong);
            }
            if !set.iter().any(|s| s == token) {
                if set.len() == MAX_SCOPES {
                    return Err(ScopeError::TooMany);
                }
                set.push(token.to_owned());
            }
        }
        Ok(Self(set))
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.0.iter().any(|s| s == scope)
    }

    /// True when every scope of `requested` is in this set.
    pub fn allows(&self, requested: &ScopeSet) -> bool {
        requested.0.iter().all(|s| self.contains(s))
    }

    /// The scopes of `requested` that this set allows, in `requested`'s order.
    pub fn intersect(&self, requested: &ScopeSet) -> ScopeSet {
        ScopeSet(
            requested
                .0
                .iter()
                .filter(|s| self.contains(s))
                .cloned()
                .collect(),
        )
    }

    /// `openid profile email`, plus `offline_access` when refresh tokens are
    /// wanted: what a login client may ask for unless told otherwise.
    pub fn login_defaults(offline_access: bool) -> Self {
        let count = if offline_access { 4 } else { 3 };
        Self(
            OIDC_SCOPES[..count]
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
        )
    }

    /// True for `openid`, the scope that makes a request an OIDC one.
    pub fn has_openid(&self) -> bool {
        self.contains("openid")
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

/// True for the scopes OpenID Connect defines.
pub fn is_oidc_scope(scope: &str) -> bool {
    OIDC_SCOPES.contains(&scope)
}

/// The space-separated form, as sent in `scope` parameters and stored.
impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

/// RFC 6749 §3.3: `%x21 / %x23-5B / %x5D-7E`.
fn is_scope_char(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space_separated_scopes_parse_in_order_without_duplicates() {
        let set = ScopeSet::parse("openid  profile openid api:read").expect("valid");
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            ["openid", "profile", "api:read"]
        );
        assert_eq!(set.to_string(), "openid profile api:read");
        assert!(set.has_openid());
        assert_eq!(ScopeSet::parse(""), Ok(ScopeSet::default()));
    }

    #[test]
    fn scope_charset_is_rfc_6749() {
        for bad in ["a\"b", "a\\b", "caf\u{e9}", "a\tb", "a\nb"] {
            assert_eq!(ScopeSet::parse(bad), Err(ScopeError::Characters), "{bad:?}");
        }
        assert_eq!(
            ScopeSet::from_tokens(["openid", ""]),
            Err(ScopeError::Characters)
        );
        assert_eq!(
            ScopeSet::from_tokens(["a b"]),
            Err(ScopeError::Characters),
            "one token cannot hide two"
        );
        assert!(ScopeSet::parse("https://api.example/read !#$%&'()*+,-./:;<=>?@[]^_`{|}~").is_ok());
    }

    #[test]
    fn scope_sets_are_bounded() {
        assert!(ScopeSet::parse(&"s".repeat(SCOPE_MAX_CHARS)).is_ok());
        assert_eq!(
            ScopeSet::parse(&"s".repeat(SCOPE_MAX_CHARS + 1)),
            Err(ScopeError::TooLong)
        );
        let fifty: Vec<String> = (0..MAX_SCOPES).map(|i| format!("s{i}")).collect();
        assert!(ScopeSet::from_tokens(&fifty).is_ok());
        let mut fifty_one = fifty.clone();
        fifty_one.push("one-more".into());
        assert_eq!(ScopeSet::from_tokens(&fifty_one), Err(ScopeError::TooMany));
        let mut repeated = fifty;
        repeated.push("s0".into());
        assert!(
            ScopeSet::from_tokens(&repeated).is_ok(),
            "duplicates do not count"
        );
    }

    #[test]
    fn allows_and_intersect_compare_whole_tokens() {
        let allowed = ScopeSet::parse("openid profile api:read").expect("valid");
        let asked = ScopeSet::parse("profile openid").expect("valid");
        assert!(allowed.allows(&asked));
        let more = ScopeSet::parse("openid api:write api").expect("valid");
        assert!(!allowed.allows(&more));
        assert_eq!(allowed.intersect(&more).to_string(), "openid");
    }

    #[test]
    fn oidc_scopes_are_known_and_custom_ones_allowed() {
        assert!(OIDC_SCOPES.iter().all(|s| is_oidc_scope(s)));
        assert!(!is_oidc_scope("api:read"));
        assert!(ScopeSet::parse("openid profile email offline_access orders:write").is_ok());
        assert_eq!(
            ScopeSet::login_defaults(false).to_string(),
            "openid profile email"
        );
        assert_eq!(
            ScopeSet::login_defaults(true).to_string(),
            "openid profile email offline_access"
        );
    }

    #[test]
    fn size_and_openid_are_read_off_the_set() {
        let empty = ScopeSet::parse("").expect("empty");
        assert!(empty.is_empty());
        assert_eq!(empty.len(), 0);
        assert!(!empty.has_openid());
        let api = ScopeSet::parse("api:read api:write api:read").expect("api");
        assert!(!api.is_empty());
        assert_eq!(api.len(), 2, "duplicates collapse");
        assert!(!api.has_openid(), "no openid, not an OIDC request");
        assert!(ScopeSet::parse("profile openid")
            .expect("oidc")
            .has_openid());
    }
}
