//! The URIs and names a client registers: redirect URIs, CORS origins and
//! resource indicators, each kept in the one spelling requests must repeat.
use url::{Host, Url};

use super::{shown, ClientRuleError, RESOURCE_MAX_BYTES, URI_MAX_BYTES};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UriError {
    #[error("is longer than {URI_MAX_BYTES} bytes")]
    TooLong,
    #[error("must not contain a wildcard `*`: every URI is matched exactly")]
    Wildcard,
    #[error("must not contain a fragment (`#…`)")]
    Fragment,
    #[error("must be an ASCII URI: percent-encode spaces and other characters")]
    Characters,
    #[error("is not an absolute URL (`https://host/path`)")]
    NotAbsolute,
    #[error("must use https (http only for 127.0.0.1, [::1] or localhost)")]
    Scheme,
    #[error("must not contain a user name or password")]
    UserInfo,
    #[error("must be an origin (`scheme://host[:port]`) with no path, not even `/`")]
    NotOrigin,
}

/// A registered redirect URI, kept exactly as given: requests must repeat it
/// byte for byte (RFC 9700 §2.1, ASVS 10.4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUri(String);

impl RedirectUri {
    pub fn parse(text: &str) -> Result<Self, UriError> {
        web_url(text)?;
        Ok(Self(text.to_owned()))
    }

    pub(crate) fn from_trusted(text: String) -> Self {
        Self(text)
    }
}

impl AsRef<str> for RedirectUri {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A browser origin allowed to call the tenant's CORS-enabled endpoints, in
/// the form browsers send in `Origin` (lowercase host, default port dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsOrigin(String);

impl CorsOrigin {
    pub fn parse(text: &str) -> Result<Self, UriError> {
        let url = web_url(text)?;
        let after_scheme = text.split_once("://").map_or("", |(_, rest)| rest);
        if after_scheme.contains(['/', '?']) {
            return Err(UriError::NotOrigin);
        }
        Ok(Self(url.origin().ascii_serialization()))
    }

    pub(crate) fn from_trusted(text: String) -> Self {
        Self(text)
    }
}

impl AsRef<str> for CorsOrigin {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A resource indicator (RFC 8707 §2) the client may name in `resource`:
/// usually an absolute URI, but opaque audience names such as
/// `connectauth-billing` are common, so any visible ASCII without `#` will do.
/// Compared byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource(String);

impl Resource {
    pub fn parse(text: &str) -> Option<Self> {
        let ok = !text.is_empty()
            && text.len() <= RESOURCE_MAX_BYTES
            && text.bytes().all(|b| b.is_ascii_graphic() && b != b'#');
        ok.then(|| Self(text.to_owned()))
    }

    pub(crate) fn from_trusted(text: String) -> Self {
        Self(text)
    }
}

impl AsRef<str> for Resource {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// An absolute `scheme://` URL without wildcard, fragment or userinfo, over
/// https or over http to a loopback host (RFC 9700 §2.1, §2.6).
pub(crate) fn web_url(text: &str) -> Result<Url, UriError> {
    const URI_PUNCTUATION: &[u8] = b"-._~:/?[]@!$&'()+,;=%";
    if text.len() > URI_MAX_BYTES {
        return Err(UriError::TooLong);
    }
    if text.contains('*') {
        return Err(UriError::Wildcard);
    }
    if text.contains('#') {
        return Err(UriError::Fragment);
    }
    if text.is_empty()
        || !text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || URI_PUNCTUATION.contains(&b))
    {
        return Err(UriError::Characters);
    }
    // The URL parser forgives `https:host` and `https:/host`; exact matching
    // wants the one spelling clients will send.
    let (scheme, rest) = text.split_once("://").ok_or(UriError::NotAbsolute)?;
    let url = Url::parse(text).map_err(|_| UriError::NotAbsolute)?;
    if !scheme.eq_ignore_ascii_case(url.scheme()) {
        return Err(UriError::NotAbsolute);
    }
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    if authority.is_empty() {
        return Err(UriError::NotAbsolute);
    }
    if authority.contains('@') || !url.username().is_empty() || url.password().is_some() {
        return Err(UriError::UserInfo);
    }
    let loopback = match url.host() {
        Some(Host::Ipv4(ip)) => ip == std::net::Ipv4Addr::LOCALHOST,
        Some(Host::Ipv6(ip)) => ip == std::net::Ipv6Addr::LOCALHOST,
        Some(Host::Domain(name)) => name == "localhost",
        None => return Err(UriError::NotAbsolute),
    };
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        _ => Err(UriError::Scheme),
    }
}

/// Each of `values` as a redirect URI; `field` names the list in errors.
pub fn parse_uris(
    field: &'static str,
    values: &[String],
) -> Result<Vec<RedirectUri>, ClientRuleError> {
    values
        .iter()
        .map(|v| RedirectUri::parse(v).map_err(|error| uri_error(field, v, error)))
        .collect()
}

pub fn parse_origins(
    field: &'static str,
    values: &[String],
) -> Result<Vec<CorsOrigin>, ClientRuleError> {
    values
        .iter()
        .map(|v| CorsOrigin::parse(v).map_err(|error| uri_error(field, v, error)))
        .collect()
}

pub fn parse_resources(
    field: &'static str,
    values: &[String],
) -> Result<Vec<Resource>, ClientRuleError> {
    values
        .iter()
        .map(|v| {
            Resource::parse(v).ok_or_else(|| ClientRuleError::Resource {
                field,
                value: shown(v),
            })
        })
        .collect()
}

fn uri_error(field: &'static str, value: &str, error: UriError) -> ClientRuleError {
    ClientRuleError::Uri {
        field,
        value: shown(value),
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_accept_https_and_loopback_http() {
        for ok in [
            "https://app.example/cb",
            "https://app.example:8443/auth/cb?tenant=a&x=1",
            "http://127.0.0.1:8080/cb",
            "http://[::1]:53682/",
            "http://localhost:3000/callback",
            "https://10.0.0.7/cb",
        ] {
            assert_eq!(
                RedirectUri::parse(ok).map(|u| u.0),
                Ok(ok.to_owned()),
                "{ok}"
            );
        }
    }

    #[test]
    fn redirect_uris_refuse_what_rfc_9700_forbids() {
        let long = format!("https://app.example/{}", "a".repeat(URI_MAX_BYTES));
        for (bad, why) in [
            ("http://evil.example/cb", UriError::Scheme),
            ("http://127.0.0.1.nip.io/cb", UriError::Scheme),
            ("http://localhost.evil.example/cb", UriError::Scheme),
            ("http://10.0.0.1/cb", UriError::Scheme),
            ("ftp://app.example/cb", UriError::Scheme),
            ("com.example.app:/cb", UriError::NotAbsolute),
            ("javascript://app.example/%0aalert(1)", UriError::Scheme),
            ("https://app.example/cb#frag", UriError::Fragment),
            ("https://app.example/cb#", UriError::Fragment),
            ("https://*.app.example/cb", UriError::Wildcard),
            ("https://app.example/*", UriError::Wildcard),
            ("https://user:pw@app.example/cb", UriError::UserInfo),
            ("https://user@app.example/cb", UriError::UserInfo),
            ("https://@app.example/cb", UriError::UserInfo),
            ("https://good.example\\@evil.example/", UriError::Characters),
            ("/relative/cb", UriError::NotAbsolute),
            ("app.example/cb", UriError::NotAbsolute),
            ("https:app.example/cb", UriError::NotAbsolute),
            ("https:///app.example/cb", UriError::NotAbsolute),
            ("https://", UriError::NotAbsolute),
            ("", UriError::Characters),
            (" https://app.example/cb", UriError::Characters),
            ("https://app.example/c b", UriError::Characters),
            ("https://app.example/\tcb", UriError::Characters),
            ("https://app.example/caf\u{e9}", UriError::Characters),
            (long.as_str(), UriError::TooLong),
        ] {
            assert_eq!(RedirectUri::parse(bad), Err(why), "{bad}");
        }
        let max = format!("https://app.example/{}", "a".repeat(URI_MAX_BYTES - 20));
        assert_eq!(max.len(), URI_MAX_BYTES);
        assert!(RedirectUri::parse(&max).is_ok());
    }

    #[test]
    fn cors_origins_are_bare_origins_in_browser_form() {
        for (given, stored) in [
            ("https://app.example", "https://app.example"),
            ("https://App.Example:443", "https://app.example"),
            ("https://app.example:8443", "https://app.example:8443"),
            ("http://localhost:3000", "http://localhost:3000"),
            ("http://[::1]:8080", "http://[::1]:8080"),
        ] {
            assert_eq!(
                CorsOrigin::parse(given).map(|o| o.0),
                Ok(stored.to_owned()),
                "{given}"
            );
        }
        for (bad, why) in [
            ("https://app.example/", UriError::NotOrigin),
            ("https://app.example/path", UriError::NotOrigin),
            ("https://app.example?x", UriError::NotOrigin),
            ("http://app.example", UriError::Scheme),
            ("*", UriError::Wildcard),
            ("https://*.app.example", UriError::Wildcard),
            ("null", UriError::NotAbsolute),
            ("https://u@app.example", UriError::UserInfo),
        ] {
            assert_eq!(CorsOrigin::parse(bad), Err(why), "{bad}");
        }
    }

    #[test]
    fn resources_are_visible_ascii_without_fragment() {
        for ok in ["connectauth-billing", "https://api.example/v1", "urn:x:y"] {
            assert!(Resource::parse(ok).is_some(), "{ok}");
        }
        let long = "r".repeat(RESOURCE_MAX_BYTES + 1);
        for bad in ["", "a b", "https://api.example/#x", "é", long.as_str()] {
            assert!(Resource::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn errors_name_the_field_and_cut_long_values() {
        let err =
            parse_uris("redirect_uris", &["http://evil.example/cb".into()]).expect_err("refused");
        assert_eq!(err.to_string(), "redirect_uris: `http://evil.example/cb` must use https (http only for 127.0.0.1, [::1] or localhost)");
        let long = format!("https://app.example/{}", "é".repeat(2000));
        let err = parse_uris("redirect_uris", &[long]).expect_err("refused");
        assert!(err.to_string().len() < 300, "{err}");
    }
}
