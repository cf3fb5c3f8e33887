//! What a webhook endpoint may be: its URL, the events it wants, its
//! description, its signing secret's form.
use std::net::IpAddr;

use url::Url;

use super::event::EventType;

/// The longest endpoint URL accepted.
pub const MAX_URL_LEN: usize = 2048;
/// The longest description accepted.
pub const MAX_DESCRIPTION_LEN: usize = 200;
/// At most this many endpoints per tenant.
pub const MAX_PER_TENANT: usize = 20;
/// What every signing secret starts with, so one is recognised in a
/// secret scanner or a config file.
pub const SECRET_PREFIX: &str = "whsec_";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookRuleError {
    #[error("url: an absolute https URL without user, password or fragment, at most {MAX_URL_LEN} characters")]
    Url,
    #[error("url: plain http is refused; use https")]
    InsecureUrl,
    #[error("url: {0} is an address; use the endpoint's host name")]
    Address(IpAddr),
    #[error("events: choose at least one event type")]
    NoEvents,
    #[error("events: unknown event type `{0}`")]
    UnknownEvent(String),
    #[error("description: at most {MAX_DESCRIPTION_LEN} characters")]
    Description,
    #[error("a tenant has at most {MAX_PER_TENANT} webhook endpoints")]
    TooMany,
    #[error("after: not the `next_after` of a page of deliveries")]
    Cursor,
}

/// Whether endpoints may be on private or loopback addresses and use plain
/// http (`AUTH_WEBHOOK_ALLOW_PRIVATE`): off in production, on for tests
/// and for an operator whose tenants' receivers live on an internal
/// network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PrivateEndpoints {
    #[default]
    Refused,
    Allowed,
}

/// `text` as an endpoint URL, exactly as given: printable ASCII of the
/// URI characters, `https://` (plain `http://` only when private endpoints
/// are allowed), a host name, no user, password or fragment. An address as
/// the host is refused unless private endpoints are allowed (certificates
/// name hosts; and the address would need the checks a name gets when it
/// is resolved, at each delivery).
pub fn parse_url(text: &str, private: PrivateEndpoints) -> Result<Url, WebhookRuleError> {
    const URI_PUNCTUATION: &[u8] = b"-._~:/?[]@!$&'()+,;=%";
    if text.is_empty()
        || text.len() > MAX_URL_LEN
        || !text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || URI_PUNCTUATION.contains(&b))
    {
        return Err(WebhookRuleError::Url);
    }
    // The URL parser forgives `https:host` and `https:/host`.
    let (scheme, rest) = text.split_once("://").ok_or(WebhookRuleError::Url)?;
    let url = Url::parse(text).map_err(|_| WebhookRuleError::Url)?;
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    if !scheme.eq_ignore_ascii_case(url.scheme())
        || authority.is_empty()
        || authority.contains('@')
        || url.fragment().is_some()
    {
        return Err(WebhookRuleError::Url);
    }
    let allowed = private == PrivateEndpoints::Allowed;
    match url.scheme() {
        "https" => {}
        "http" if allowed => {}
        "http" => return Err(WebhookRuleError::InsecureUrl),
        _ => return Err(WebhookRuleError::Url),
    }
    if let Some(ip) = literal_address(&url)? {
        if !allowed {
            return Err(WebhookRuleError::Address(ip));
        }
    }
    Ok(url)
}

/// The address written as the URL's host, if it is one.
pub fn literal_address(url: &Url) -> Result<Option<IpAddr>, WebhookRuleError> {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => Ok(Some(IpAddr::V4(ip))),
        Some(url::Host::Ipv6(ip)) => Ok(Some(IpAddr::V6(ip))),
        Some(url::Host::Domain(name)) if !name.is_empty() => Ok(None),
        _ => Err(WebhookRuleError::Url),
    }
}

/// The event types asked for: at least one, each known, each once, in the
/// order given.
pub fn parse_events<S: AsRef<str>>(names: &[S]) -> Result<Vec<EventType>, WebhookRuleError> {
    let mut events = Vec::new();
    for name in names {
        let name = name.as_ref().trim();
        let event = EventType::parse(name)
            .ok_or_else(|| WebhookRuleError::UnknownEvent(name.to_owned()))?;
        if !events.contains(&event) {
            events.push(event);
        }
    }
    if events.is_empty() {
        return Err(WebhookRuleError::NoEvents);
    }
    Ok(events)
}

/// The events as stored: their names, comma-separated.
pub fn events_column(events: &[EventType]) -> String {
    events
        .iter()
        .map(|e| e.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// The stored column read back; a name this release does not know (written
/// by a later one) is skipped.
pub fn events_from_column(column: &str) -> Vec<EventType> {
    column.split(',').filter_map(EventType::parse).collect()
}

/// At most [`MAX_DESCRIPTION_LEN`] characters as given, no control
/// character; kept trimmed.
pub fn parse_description(text: &str) -> Result<String, WebhookRuleError> {
    if text.chars().count() > MAX_DESCRIPTION_LEN || text.chars().any(char::is_control) {
        return Err(WebhookRuleError::Description);
    }
    Ok(text.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_https_and_public_unless_private_endpoints_are_allowed() {
        let strict = PrivateEndpoints::Refused;
        assert!(parse_url("https://hooks.acme.example/connectauth?x=1", strict).is_ok());
        for (text, expected) in [
            ("http://hooks.acme.example/", WebhookRuleError::InsecureUrl),
            ("ftp://hooks.acme.example/", WebhookRuleError::Url),
            ("https://user:pw@hooks.acme.example/", WebhookRuleError::Url),
            ("https://hooks.acme.example/#frag", WebhookRuleError::Url),
            ("/relative", WebhookRuleError::Url),
            ("", WebhookRuleError::Url),
            ("https:hooks.acme.example/", WebhookRuleError::Url),
            (" https://hooks.acme.example/", WebhookRuleError::Url),
            ("https://hooks.acme.example/a b", WebhookRuleError::Url),
            ("https://hööks.example/", WebhookRuleError::Url),
            (
                "https://169.254.169.254/latest/meta-data",
                WebhookRuleError::Address("169.254.169.254".parse().expect("ip")),
            ),
            (
                "https://[::1]:8443/",
                WebhookRuleError::Address("::1".parse().expect("ip")),
            ),
            (
                "https://8.8.8.8/",
                WebhookRuleError::Address("8.8.8.8".parse().expect("ip")),
            ),
        ] {
            assert_eq!(parse_url(text, strict), Err(expected), "{text}");
        }
        let long = format!("https://a.example/{}", "x".repeat(MAX_URL_LEN));
        assert_eq!(parse_url(&long, strict), Err(WebhookRuleError::Url));
        let open = PrivateEndpoints::Allowed;
        assert!(parse_url("http://127.0.0.1:9000/hook", open).is_ok());
        assert_eq!(
            parse_url("file:///etc/passwd", open),
            Err(WebhookRuleError::Url)
        );
    }

    #[test]
    fn events_are_known_names_each_once() {
        assert_eq!(
            parse_events(&["login.failed", " user.created ", "login.failed"]),
            Ok(vec![EventType::LoginFailed, EventType::UserCreated])
        );
        assert_eq!(parse_events::<&str>(&[]), Err(WebhookRuleError::NoEvents));
        assert_eq!(
            parse_events(&["user.created", "user.*"]),
            Err(WebhookRuleError::UnknownEvent("user.*".into()))
        );
        let all: Vec<&str> = EventType::ALL.iter().map(|e| e.as_str()).collect();
        let parsed = parse_events(&all).expect("all");
        assert_eq!(events_from_column(&events_column(&parsed)), parsed);
        assert_eq!(
            events_from_column("user.created,later.kind"),
            vec![EventType::UserCreated]
        );
    }

    #[test]
    fn descriptions_are_short_single_lines() {
        assert_eq!(parse_description("  CRM sync "), Ok("CRM sync".into()));
        assert_eq!(
            parse_description("a\nb"),
            Err(WebhookRuleError::Description)
        );
        // The limit counts what was sent, spaces included.
        let padded = format!("{}  ", "a".repeat(MAX_DESCRIPTION_LEN - 1));
        assert_eq!(
            parse_description(&padded),
            Err(WebhookRuleError::Description)
        );
        assert_eq!(
            parse_description(&"é".repeat(MAX_DESCRIPTION_LEN + 1)),
            Err(WebhookRuleError::Description)
        );
        assert!(parse_description(&"é".repeat(MAX_DESCRIPTION_LEN)).is_ok());
    }
}
