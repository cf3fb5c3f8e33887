//! How an upstream provider is reached: an OpenID Connect issuer (its
//! discovery, JWKS and ID tokens), or the three endpoints of a plain
//! OAuth 2.0 provider that has no ID token (GitHub, Facebook), whose
//! userinfo answer is read through a mapping of its fields. Presets fill
//! these for known providers. No HTTP, no SQL.
use url::Url;

use super::upstream::{parse_issuer, PrivateUpstreams, UpstreamRuleError};
use super::upstream_preset::parse_microsoft_issuer;
pub use super::upstream_preset::Preset;

/// How the person is learnt: an ID token (`oidc`), or the userinfo
/// endpoint of a plain OAuth 2.0 provider (`oauth2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    Oidc,
    OAuth2,
}

impl ProviderKind {
    pub fn parse(text: &str) -> Result<Self, UpstreamRuleError> {
        match text {
            "oidc" => Ok(ProviderKind::Oidc),
            "oauth2" => Ok(ProviderKind::OAuth2),
            _ => Err(UpstreamRuleError::Kind),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Oidc => "oidc",
            ProviderKind::OAuth2 => "oauth2",
        }
    }
}

/// How the client authenticates at the provider's token endpoint
/// (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenAuth {
    ClientSecretBasic,
    ClientSecretPost,
}

impl TokenAuth {
    pub fn parse(text: &str) -> Result<Self, UpstreamRuleError> {
        match text {
            "client_secret_basic" => Ok(TokenAuth::ClientSecretBasic),
            "client_secret_post" => Ok(TokenAuth::ClientSecretPost),
            _ => Err(UpstreamRuleError::TokenAuth),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TokenAuth::ClientSecretBasic => "client_secret_basic",
            TokenAuth::ClientSecretPost => "client_secret_post",
        }
    }
}

/// Which userinfo fields name the person. The subject by default is `id`
/// or, when there is none, `sub`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimMapping {
    pub subject: Option<String>,
    pub email: String,
    pub email_verified: String,
    pub name: String,
}

impl Default for ClaimMapping {
    fn default() -> Self {
        Self {
            subject: None,
            email: "email".to_owned(),
            email_verified: "email_verified".to_owned(),
            name: "name".to_owned(),
        }
    }
}

/// The mapping as asked; an absent field keeps its default.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MappingInput {
    pub subject: Option<String>,
    pub email: Option<String>,
    pub email_verified: Option<String>,
    pub name: Option<String>,
}

impl ClaimMapping {
    pub fn parse(input: &MappingInput) -> Result<Self, UpstreamRuleError> {
        let field = |text: Option<&String>, what: &'static str, default: &str| {
            let text = text.map_or(default, String::as_str);
            let ok = (1..=64).contains(&text.len())
                && text
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            ok.then(|| text.to_owned())
                .ok_or(UpstreamRuleError::ClaimField(what))
        };
        let defaults = Self::default();
        Ok(Self {
            subject: match &input.subject {
                Some(s) => Some(field(Some(s), "subject", "")?),
                None => None,
            },
            email: field(input.email.as_ref(), "email", &defaults.email)?,
            email_verified: field(
                input.email_verified.as_ref(),
                "email_verified",
                &defaults.email_verified,
            )?,
            name: field(input.name.as_ref(), "name", &defaults.name)?,
        })
    }

    pub fn as_input(&self) -> MappingInput {
        MappingInput {
            subject: self.subject.clone(),
            email: Some(self.email.clone()),
            email_verified: Some(self.email_verified.clone()),
            name: Some(self.name.clone()),
        }
    }
}

/// A plain OAuth 2.0 provider's endpoints and how to read its userinfo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuth2Settings {
    pub authorization_url: Url,
    pub token_url: Url,
    pub userinfo_url: Url,
    pub mapping: ClaimMapping,
    /// Whether the tenant vouches for the provider's emails (Facebook
    /// says nothing about them): then every email given counts as
    /// verified. Off by default.
    pub trust_email: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Protocol {
    /// As given (and checked): discovery must name it exactly, so it is
    /// not normalised (`Url` would add a `/` to a bare host).
    Oidc {
        issuer: String,
    },
    OAuth2(Box<OAuth2Settings>),
}

impl Protocol {
    pub fn kind(&self) -> ProviderKind {
        match self {
            Protocol::Oidc { .. } => ProviderKind::Oidc,
            Protocol::OAuth2(_) => ProviderKind::OAuth2,
        }
    }

    pub fn issuer(&self) -> Option<&str> {
        match self {
            Protocol::Oidc { issuer } => Some(issuer),
            Protocol::OAuth2(_) => None,
        }
    }

    /// Where the browser is sent to sign in (or, for OpenID Connect, the
    /// issuer, whose host serves it): a page's `form-action` names it.
    pub fn sign_in_origin(&self) -> &str {
        match self {
            Protocol::Oidc { issuer } => issuer,
            Protocol::OAuth2(s) => s.authorization_url.as_str(),
        }
    }
}

/// Everything but the names and client of a provider, checked together
/// (which settings apply depends on the kind).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderSettings {
    pub preset: Option<Preset>,
    pub protocol: Protocol,
    pub token_auth: TokenAuth,
    /// Space-separated; with `openid` for OpenID Connect.
    pub scopes: String,
}

/// The settings as asked (from the API, the console or the CLI).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SettingsInput {
    pub preset: Option<String>,
    pub kind: Option<String>,
    pub issuer: Option<String>,
    pub authorization_url: Option<String>,
    pub token_url: Option<String>,
    pub userinfo_url: Option<String>,
    pub mapping: MappingInput,
    pub trust_email: Option<bool>,
    pub token_auth: Option<String>,
    pub scopes: Option<String>,
}

impl SettingsInput {
    fn names_oauth2_settings(&self) -> Option<&'static str> {
        let m = &self.mapping;
        [
            (self.authorization_url.is_some(), "authorization_url"),
            (self.token_url.is_some(), "token_url"),
            (self.userinfo_url.is_some(), "userinfo_url"),
            (
                m.subject.is_some()
                    || m.email.is_some()
                    || m.email_verified.is_some()
                    || m.name.is_some(),
                "claim_mapping",
            ),
            (self.trust_email.is_some(), "trust_email"),
        ]
        .into_iter()
        .find_map(|(given, name)| given.then_some(name))
    }
}

/// A new provider's settings: a preset (which fills what it knows), or a
/// kind (`oidc` by default) with an issuer, or, for `oauth2`, the three
/// endpoints.
pub fn parse_settings(
    input: &SettingsInput,
    private: PrivateUpstreams,
) -> Result<ProviderSettings, UpstreamRuleError> {
    let preset = match input.preset.as_deref() {
        Some(name) => Some(Preset::parse(name).ok_or(UpstreamRuleError::Preset)?),
        None => None,
    };
    let kind = match (preset, input.kind.as_deref()) {
        (Some(p), Some(k)) if ProviderKind::parse(k)? != p.kind() => {
            return Err(UpstreamRuleError::Kind)
        }
        (Some(p), _) => p.kind(),
        (None, Some(k)) => ProviderKind::parse(k)?,
        (None, None) => ProviderKind::Oidc,
    };
    let protocol = match kind {
        ProviderKind::Oidc => {
            if let Some(field) = input.names_oauth2_settings() {
                return Err(UpstreamRuleError::NotForKind(field));
            }
            let issuer = match (preset, input.issuer.as_deref()) {
                (Some(Preset::Microsoft), Some(text)) => parse_microsoft_issuer(text)?,
                (Some(Preset::Microsoft), None) => return Err(UpstreamRuleError::MicrosoftIssuer),
                (Some(_), Some(_)) => return Err(UpstreamRuleError::PresetAndIssuer),
                (Some(p), None) => p.issuer().ok_or(UpstreamRuleError::Preset)?.to_owned(),
                (None, Some(text)) => {
                    parse_issuer(text, private)?;
                    text.to_owned()
                }
                (None, None) => return Err(UpstreamRuleError::Missing("issuer or preset")),
            };
            Protocol::Oidc { issuer }
        }
        ProviderKind::OAuth2 => {
            if input.issuer.is_some() {
                return Err(UpstreamRuleError::NotForKind("issuer"));
            }
            let defaults = preset.and_then(Preset::endpoints);
            let endpoint = |given: Option<&String>, default: Option<&str>, what| {
                let text = given
                    .map(String::as_str)
                    .or(default)
                    .ok_or(UpstreamRuleError::Missing(what))?;
                parse_endpoint(text, what, private)
            };
            Protocol::OAuth2(Box::new(OAuth2Settings {
                authorization_url: endpoint(
                    input.authorization_url.as_ref(),
                    defaults.as_ref().map(|d| d.authorization),
                    "authorization_url",
                )?,
                token_url: endpoint(
                    input.token_url.as_ref(),
                    defaults.as_ref().map(|d| d.token),
                    "token_url",
                )?,
                userinfo_url: endpoint(
                    input.userinfo_url.as_ref(),
                    defaults.as_ref().map(|d| d.userinfo),
                    "userinfo_url",
                )?,
                mapping: ClaimMapping::parse(&input.mapping)?,
                trust_email: input.trust_email.unwrap_or(false),
            }))
        }
    };
    let token_auth = match input.token_auth.as_deref() {
        Some(text) => TokenAuth::parse(text)?,
        // Basic is what OpenID Connect providers must support (OIDC Core
        // §9); plain OAuth 2.0 providers (GitHub, Facebook) read the body.
        None => match kind {
            ProviderKind::Oidc => TokenAuth::ClientSecretBasic,
            ProviderKind::OAuth2 => TokenAuth::ClientSecretPost,
        },
    };
    let default_scopes = match (preset, kind) {
        (Some(p), _) => p.default_scopes(),
        (None, ProviderKind::Oidc) => "openid email profile",
        (None, ProviderKind::OAuth2) => "",
    };
    let scopes = parse_scopes(input.scopes.as_deref().unwrap_or(default_scopes), kind)?;
    Ok(ProviderSettings {
        preset,
        protocol,
        token_auth,
        scopes,
    })
}

/// A change of a provider's settings: what `changes` does not name stays.
/// The kind and the preset never change (add another provider instead).
pub fn change_settings(
    current: &ProviderSettings,
    changes: &SettingsInput,
    private: PrivateUpstreams,
) -> Result<ProviderSettings, UpstreamRuleError> {
    if changes.preset.is_some() {
        return Err(UpstreamRuleError::Preset);
    }
    if let Some(kind) = changes.kind.as_deref() {
        if ProviderKind::parse(kind)? != current.protocol.kind() {
            return Err(UpstreamRuleError::KindFixed);
        }
    }
    let keep = |given: &Option<String>, now: Option<&str>| {
        given.clone().or_else(|| now.map(str::to_owned))
    };
    let mut merged = SettingsInput {
        preset: current.preset.map(|p| p.slug().to_owned()),
        kind: Some(current.protocol.kind().as_str().to_owned()),
        token_auth: keep(&changes.token_auth, Some(current.token_auth.as_str())),
        scopes: keep(&changes.scopes, Some(&current.scopes)),
        ..SettingsInput::default()
    };
    match &current.protocol {
        Protocol::Oidc { issuer } => {
            // A preset that fixes its issuer keeps it: only a change is refused.
            let fixed = current.preset.and_then(Preset::issuer).is_some();
            merged.issuer = keep(&changes.issuer, (!fixed).then_some(issuer.as_str()));
            if let Some(field) = changes.names_oauth2_settings() {
                return Err(UpstreamRuleError::NotForKind(field));
            }
        }
        Protocol::OAuth2(s) => {
            if changes.issuer.is_some() {
                return Err(UpstreamRuleError::NotForKind("issuer"));
            }
            merged.authorization_url = keep(
                &changes.authorization_url,
                Some(s.authorization_url.as_str()),
            );
            merged.token_url = keep(&changes.token_url, Some(s.token_url.as_str()));
            merged.userinfo_url = keep(&changes.userinfo_url, Some(s.userinfo_url.as_str()));
            let now = s.mapping.as_input();
            let m = &changes.mapping;
            merged.mapping = MappingInput {
                subject: m.subject.clone().or(now.subject),
                email: m.email.clone().or(now.email),
                email_verified: m.email_verified.clone().or(now.email_verified),
                name: m.name.clone().or(now.name),
            };
            merged.trust_email = Some(changes.trust_email.unwrap_or(s.trust_email));
        }
    }
    parse_settings(&merged, private)
}

/// An endpoint of a plain OAuth 2.0 provider: https (a query is allowed,
/// Facebook's userinfo has one), no fragment nor credentials; plain http
/// only to a loopback host when private upstreams are allowed.
pub fn parse_endpoint(
    text: &str,
    what: &'static str,
    private: PrivateUpstreams,
) -> Result<Url, UpstreamRuleError> {
    let url = Url::parse(text).map_err(|_| UpstreamRuleError::Endpoint(what))?;
    if url.fragment().is_some()
        || url.host_str().is_none()
        || !url.username().is_empty()
        || url.password().is_some()
        || text.len() > 2_000
    {
        return Err(UpstreamRuleError::Endpoint(what));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" => {
            // The issuer rule says what loopback http is allowed.
            let origin = format!("http://{}", url.authority());
            parse_issuer(&origin, private)
                .map_err(|_| UpstreamRuleError::InsecureEndpoint(what))?;
            Ok(url)
        }
        _ => Err(UpstreamRuleError::Endpoint(what)),
    }
}

/// The scopes asked of the provider: for OpenID Connect always with
/// `openid`; for plain OAuth 2.0 whatever the provider knows (maybe none).
pub fn parse_scopes(text: &str, kind: ProviderKind) -> Result<String, UpstreamRuleError> {
    let scopes: Vec<&str> = text.split(' ').filter(|s| !s.is_empty()).collect();
    let ok = (kind == ProviderKind::OAuth2 || scopes.contains(&"openid"))
        && scopes.len() <= 20
        && scopes.iter().all(|s| {
            s.bytes()
                .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
        });
    ok.then(|| scopes.join(" "))
        .ok_or(UpstreamRuleError::Scopes)
}

#[cfg(test)]
#[path = "upstream_settings_tests.rs"]
mod tests;
