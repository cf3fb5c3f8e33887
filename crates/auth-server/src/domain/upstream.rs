//! Upstream identity providers: another OpenID Connect provider, or a
//! plain OAuth 2.0 one, a tenant's users may sign in through ("Continue
//! with Google", "Continue with GitHub"). The rules of their names and
//! clients, and of what an upstream ID token or userinfo answer must say
//! before it names a user (how a provider is reached:
//! [`super::upstream_settings`]). No HTTP, no SQL.
use std::fmt;

use url::Url;

use super::display_name::{DisplayName, DisplayNameError};
use super::upstream_settings::ProviderSettings;

/// Where a provider's name goes in URLs (`/t/{tenant}/upstream/{slug}`):
/// 2 to 32 lowercase letters, digits or `-`, starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProviderSlug(String);

impl ProviderSlug {
    pub fn parse(text: &str) -> Result<Self, UpstreamRuleError> {
        let ok = (2..=32).contains(&text.len())
            && text.starts_with(|c: char| c.is_ascii_lowercase())
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(UpstreamRuleError::Slug)
        }
    }
}

impl AsRef<str> for ProviderSlug {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProviderSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum UpstreamRuleError {
    #[error("slug: 2 to 32 lowercase letters, digits or `-`, starting with a letter")]
    Slug,
    #[error("name: {0}")]
    Name(#[from] DisplayNameError),
    #[error("issuer: an absolute https URL without query or fragment")]
    Issuer,
    #[error("issuer: http is allowed only for loopback addresses when the operator allows private upstreams")]
    InsecureIssuer,
    #[error("client_id: 1 to 255 visible characters")]
    ClientId,
    #[error("client_secret: 1 to 512 characters")]
    ClientSecret,
    #[error("scopes: space-separated, at most 20, with `openid` for an OpenID Connect provider")]
    Scopes,
    #[error(
        "preset: unknown (known: google, microsoft, apple, github, facebook), or it cannot change"
    )]
    Preset,
    #[error("kind: `oidc` or `oauth2` (a preset's own kind)")]
    Kind,
    #[error("kind: a provider's kind cannot change; add another provider")]
    KindFixed,
    #[error("{0}: not a setting of this kind of provider")]
    NotForKind(&'static str),
    #[error("{0}: an absolute https URL without fragment or credentials")]
    Endpoint(&'static str),
    #[error("{0}: http is allowed only for loopback addresses when the operator allows private upstreams")]
    InsecureEndpoint(&'static str),
    #[error("claim_mapping.{0}: a field name of 1 to 64 letters, digits, `_` or `-`")]
    ClaimField(&'static str),
    #[error("token_auth: `client_secret_basic` or `client_secret_post`")]
    TokenAuth,
    #[error("issuer: Microsoft needs your directory's issuer, https://login.microsoftonline.com/{{tenant id}}/v2.0 with the tenant id a GUID (not common, organizations or consumers)")]
    MicrosoftIssuer,
    #[error("give a preset or an issuer, not both")]
    PresetAndIssuer,
    #[error("{0}: required")]
    Missing(&'static str),
}

/// Whether upstreams on private and loopback addresses are allowed: off in
/// production; on for tests and for an operator whose providers live on an
/// internal network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PrivateUpstreams {
    #[default]
    Refused,
    Allowed,
}

/// An issuer URL: https, no query or fragment (OIDC Discovery §2); plain
/// http only to a loopback host when private upstreams are allowed.
pub fn parse_issuer(text: &str, private: PrivateUpstreams) -> Result<Url, UpstreamRuleError> {
    let url = Url::parse(text).map_err(|_| UpstreamRuleError::Issuer)?;
    if url.query().is_some()
        || url.fragment().is_some()
        || url.host_str().is_none()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(UpstreamRuleError::Issuer);
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if private == PrivateUpstreams::Allowed && is_loopback_host(&url) => Ok(url),
        "http" => Err(UpstreamRuleError::InsecureIssuer),
        _ => Err(UpstreamRuleError::Issuer),
    }
}

fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    }
}

pub fn parse_client_id(text: &str) -> Result<String, UpstreamRuleError> {
    let ok = (1..=255).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_graphic());
    ok.then(|| text.to_owned())
        .ok_or(UpstreamRuleError::ClientId)
}

pub fn parse_client_secret(text: &str) -> Result<String, UpstreamRuleError> {
    ((1..=512).contains(&text.len()) && !text.chars().any(char::is_control))
        .then(|| text.to_owned())
        .ok_or(UpstreamRuleError::ClientSecret)
}

/// `{PUBLIC_URL}/t/{slug}/upstream/callback`: the one redirect URI a tenant
/// registers at each of its providers.
pub fn callback_url(public_url: &Url, tenant_slug: &str) -> String {
    format!(
        "{}/t/{tenant_slug}/upstream/callback",
        public_url.as_str().trim_end_matches('/')
    )
}

/// A provider's settings, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderDraft {
    pub slug: ProviderSlug,
    pub display_name: DisplayName,
    pub settings: ProviderSettings,
    pub client_id: String,
    pub enabled: bool,
    /// Keep the provider's tokens of each sign-in for the tenant's backend
    /// (off unless asked).
    pub keep_tokens: bool,
}

/// One configured provider. The client secret stays sealed in the store
/// and is opened only to call the provider's token endpoint.
#[derive(Clone, PartialEq, Eq)]
pub struct UpstreamProvider {
    pub id: String,
    pub tenant_id: super::tenant::TenantId,
    pub slug: ProviderSlug,
    pub display_name: DisplayName,
    pub settings: ProviderSettings,
    pub client_id: String,
    pub client_secret_sealed: String,
    pub enabled: bool,
    pub keep_tokens: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl fmt::Debug for UpstreamProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpstreamProvider")
            .field("id", &self.id)
            .field("slug", &self.slug)
            .field("settings", &self.settings)
            .field("client_id", &self.client_id)
            .field("client_secret_sealed", &service_kit::secret::REDACTED)
            .field("enabled", &self.enabled)
            .field("keep_tokens", &self.keep_tokens)
            .finish()
    }
}

/// What a validated upstream ID token (and, where it said less, the
/// provider's userinfo) tells about the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamPerson {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
}

impl UpstreamPerson {
    /// From an ID token's claims: `sub` (required, ≤ 255 bytes), `email`,
    /// `email_verified` (a boolean, or the string "true" some providers
    /// send), `name`.
    pub fn from_claims(
        claims: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Self, &'static str> {
        let subject = claims
            .get("sub")
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty() && s.len() <= 255)
            .ok_or("the ID token has no usable `sub`")?
            .to_owned();
        let email = claims
            .get("email")
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        let email_verified = match claims.get("email_verified") {
            Some(serde_json::Value::Bool(b)) => *b,
            Some(serde_json::Value::String(s)) => s == "true",
            _ => false,
        };
        let name = claims
            .get("name")
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        Ok(Self {
            subject,
            email,
            email_verified,
            name,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn slugs_are_short_lowercase_words() {
        for good in ["google", "b", "acme-sso", "idp2"]
            .iter()
            .filter(|s| s.len() >= 2)
        {
            assert!(ProviderSlug::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "g", "Google", "2fa", "a b", "a/b", &"a".repeat(33)] {
            assert_eq!(
                ProviderSlug::parse(bad),
                Err(UpstreamRuleError::Slug),
                "{bad}"
            );
        }
    }

    #[test]
    fn issuers_are_https_or_loopback_http_when_allowed() {
        let refused = PrivateUpstreams::Refused;
        let allowed = PrivateUpstreams::Allowed;
        assert!(parse_issuer("https://accounts.google.com", refused).is_ok());
        assert!(parse_issuer("https://idp.example/t/b", refused).is_ok());
        assert_eq!(
            parse_issuer("http://127.0.0.1:8080/t/b", refused),
            Err(UpstreamRuleError::InsecureIssuer)
        );
        assert!(parse_issuer("http://127.0.0.1:8080/t/b", allowed).is_ok());
        assert!(parse_issuer("http://localhost:8080/t/b", allowed).is_ok());
        assert_eq!(
            parse_issuer("http://idp.example/t/b", allowed),
            Err(UpstreamRuleError::InsecureIssuer)
        );
        for bad in [
            "idp.example",
            "ftp://idp.example",
            "https://idp.example/?a=1",
            "https://idp.example/#x",
            "https://user:pw@idp.example",
        ] {
            assert_eq!(
                parse_issuer(bad, allowed),
                Err(UpstreamRuleError::Issuer),
                "{bad}"
            );
        }
    }

    #[test]
    fn client_credentials_are_bounded() {
        assert!(parse_client_id("abc.apps.googleusercontent.com").is_ok());
        assert_eq!(parse_client_id(""), Err(UpstreamRuleError::ClientId));
        assert_eq!(parse_client_id("a b"), Err(UpstreamRuleError::ClientId));
        assert!(parse_client_secret("s3cr3t with space").is_ok());
        assert_eq!(
            parse_client_secret(""),
            Err(UpstreamRuleError::ClientSecret)
        );
        assert_eq!(
            parse_client_secret(&"x".repeat(513)),
            Err(UpstreamRuleError::ClientSecret)
        );
    }

    #[test]
    fn a_person_needs_a_subject_and_is_verified_only_when_said_so() {
        let claims = |v: serde_json::Value| v.as_object().cloned().expect("object");
        let p = UpstreamPerson::from_claims(&claims(
            json!({"sub": "42", "email": "a@b.example", "email_verified": true, "name": "A"}),
        ))
        .expect("person");
        assert_eq!(p.subject, "42");
        assert!(p.email_verified);
        let p = UpstreamPerson::from_claims(&claims(json!({"sub": "42", "email": "a@b.example"})))
            .expect("person");
        assert!(!p.email_verified, "absent means unverified");
        let p =
            UpstreamPerson::from_claims(&claims(json!({"sub": "42", "email_verified": "true"})))
                .expect("person");
        assert!(p.email_verified);
        assert!(UpstreamPerson::from_claims(&claims(json!({"email": "a@b.example"}))).is_err());
        assert!(UpstreamPerson::from_claims(&claims(json!({"sub": ""}))).is_err());
        assert!(UpstreamPerson::from_claims(&claims(json!({"sub": 42}))).is_err());
    }

    #[test]
    fn debug_hides_the_sealed_secret() {
        let p = UpstreamProvider {
            id: "p1".into(),
            tenant_id: super::super::tenant::TenantId::new(),
            slug: ProviderSlug::parse("google").expect("slug"),
            display_name: DisplayName::parse("Google").expect("name"),
            settings: ProviderSettings {
                preset: None,
                protocol: super::super::upstream_settings::Protocol::Oidc {
                    issuer: "https://accounts.google.com".into(),
                },
                token_auth: super::super::upstream_settings::TokenAuth::ClientSecretBasic,
                scopes: "openid".into(),
            },
            client_id: "cid".into(),
            client_secret_sealed: "SEALED-SECRET".into(),
            enabled: true,
            keep_tokens: false,
            created_at: 0,
            updated_at: 0,
        };
        assert!(!format!("{p:?}").contains("SEALED-SECRET"));
    }
}
