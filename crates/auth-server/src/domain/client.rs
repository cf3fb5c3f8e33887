//! An OAuth client (an application) of one tenant: who it is, where it may
//! send users back, which grants and scopes it may use, and its secret.
use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use subtle::{Choice, ConstantTimeEq};
use url::{Host, Url};

use super::display_name::{DisplayName, DisplayNameError};
use super::refresh_reuse::{RefreshReuseInterval, REFRESH_REUSE_INTERVAL_MAX_SECS};
use super::scope::{ScopeError, ScopeSet};
use super::tenant::TenantId;

/// Prefixed so a client id can never equal a user's `sub` (a UUID), which
/// lets a resource server tell client_credentials tokens apart (RFC 9700 §4.15.1).
pub const CLIENT_ID_PREFIX: &str = "cli_";
/// 16 random bytes in unpadded base64url.
const CLIENT_ID_RANDOM_CHARS: usize = 22;
pub const URI_MAX_BYTES: usize = 2000;
/// Per list: redirect URIs, post-logout redirect URIs, CORS origins.
pub const MAX_URIS: usize = 50;
pub const ACCESS_TOKEN_SECS: (i64, i64) = (60, 86_400);
pub const ACCESS_TOKEN_DEFAULT_SECS: i64 = 900;
/// Bounds of both refresh-token lifetimes (absolute and idle).
pub const REFRESH_TOKEN_SECS: (i64, i64) = (300, 365 * 86_400);
pub const REFRESH_ABSOLUTE_DEFAULT_SECS: i64 = 30 * 86_400;
pub const REFRESH_IDLE_DEFAULT_SECS: i64 = 7 * 86_400;
pub const SECRET_OVERLAP_MAX_SECS: i64 = 7 * 86_400;
pub const DEFAULT_GRANT_TYPES: [GrantType; 2] =
    [GrantType::AuthorizationCode, GrantType::RefreshToken];
/// A resource indicator (RFC 8707) a client may ask tokens for.
pub const RESOURCE_MAX_BYTES: usize = 512;
/// The privilege that lets a client introspect every token of its tenant.
pub const INTROSPECT_ANY: &str = "introspect:any";

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

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GrantTypeError {
    #[error("the implicit grant is not allowed (OAuth 2.1, RFC 9700 §2.1.2); use authorization_code with PKCE")]
    Implicit,
    #[error("the password grant is not allowed (RFC 9700 §2.4); use authorization_code")]
    Password,
    #[error("unknown grant type; use authorization_code, refresh_token or client_credentials")]
    Unknown,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ClientRuleError {
    #[error("name: {0}")]
    Name(#[from] DisplayNameError),
    #[error("kind must be `confidential` or `public`")]
    Kind,
    #[error("{field}: `{value}` {error}")]
    Uri {
        field: &'static str,
        value: String,
        error: UriError,
    },
    #[error("{field}: at most {MAX_URIS} entries")]
    TooManyUris { field: &'static str },
    #[error("{field}: `{value}`: {error}")]
    Grant {
        field: &'static str,
        value: String,
        error: GrantTypeError,
    },
    #[error("scopes: {0}")]
    Scope(#[from] ScopeError),
    #[error("id_token_alg must be RS256, ES256 or EdDSA")]
    IdTokenAlg,
    #[error("access_token_lifetime_secs must be between {} and {}", ACCESS_TOKEN_SECS.0, ACCESS_TOKEN_SECS.1)]
    AccessLifetime,
    #[error("refresh_token_lifetime_secs must be between {} and {}", REFRESH_TOKEN_SECS.0, REFRESH_TOKEN_SECS.1)]
    RefreshLifetime,
    #[error("refresh_token_idle_secs must be between {} and refresh_token_lifetime_secs ({absolute})", REFRESH_TOKEN_SECS.0)]
    RefreshIdle { absolute: i64 },
    #[error("overlap_secs must be between 0 and {SECRET_OVERLAP_MAX_SECS} (7 days)")]
    Overlap,
    #[error(
        "refresh_token_reuse_interval_secs must be between 0 and {REFRESH_REUSE_INTERVAL_MAX_SECS}"
    )]
    RefreshReuseInterval,
    #[error("grant_types must name at least one grant")]
    NoGrant,
    #[error(
        "a public client cannot use client_credentials: it has no secret to authenticate with"
    )]
    PublicClientCredentials,
    #[error("refresh_token needs authorization_code: refresh tokens come from user logins")]
    RefreshWithoutCode,
    #[error("authorization_code needs at least one redirect URI")]
    NoRedirectUri,
    #[error("a client id is `{CLIENT_ID_PREFIX}` followed by {CLIENT_ID_RANDOM_CHARS} base64url characters")]
    ClientId,
    #[error("a public client has no secret to rotate")]
    NoSecret,
    #[error("{field}: `{value}` must be 1 to {RESOURCE_MAX_BYTES} visible ASCII characters without spaces or `#`")]
    Resource { field: &'static str, value: String },
    #[error("{field}: `{value}` is not a privilege; the only one is `{INTROSPECT_ANY}`")]
    Privilege { field: &'static str, value: String },
    #[error("a public client must use PKCE: require_pkce cannot be false")]
    PublicWithoutPkce,
}

/// A client's public identifier, valid by construction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientId(String);

impl ClientId {
    /// A fresh id: 128 bits from the OS CSPRNG.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let bytes = service_kit::secret::random_bytes(16)?;
        Ok(Self(format!(
            "{CLIENT_ID_PREFIX}{}",
            URL_SAFE_NO_PAD.encode(bytes)
        )))
    }

    pub fn parse(text: &str) -> Result<Self, ClientRuleError> {
        let ok = text.strip_prefix(CLIENT_ID_PREFIX).is_some_and(|rest| {
            rest.len() == CLIENT_ID_RANDOM_CHARS
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(ClientRuleError::ClientId)
        }
    }
}

impl AsRef<str> for ClientId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Confidential clients hold a secret; public ones (SPAs, native apps) cannot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    Confidential,
    Public,
}

impl ClientKind {
    pub fn parse(text: &str) -> Result<Self, ClientRuleError> {
        match text {
            "confidential" => Ok(Self::Confidential),
            "public" => Ok(Self::Public),
            _ => Err(ClientRuleError::Kind),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confidential => "confidential",
            Self::Public => "public",
        }
    }
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

/// Something a client may do beyond its grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Privilege {
    /// Introspect any token of the tenant, not only its own or those meant
    /// for it (RFC 7662 §4).
    IntrospectAny,
}

impl Privilege {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            INTROSPECT_ANY => Some(Self::IntrospectAny),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::IntrospectAny => INTROSPECT_ANY,
        }
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

/// The grants a client may use. `implicit` and `password` do not exist here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
}

impl GrantType {
    pub fn parse(text: &str) -> Result<Self, GrantTypeError> {
        match text {
            "authorization_code" => Ok(Self::AuthorizationCode),
            "refresh_token" => Ok(Self::RefreshToken),
            "client_credentials" => Ok(Self::ClientCredentials),
            "implicit" | "token" => Err(GrantTypeError::Implicit),
            "password" => Err(GrantTypeError::Password),
            _ => Err(GrantTypeError::Unknown),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::RefreshToken => "refresh_token",
            Self::ClientCredentials => "client_credentials",
        }
    }
}

/// The algorithm of the client's ID tokens; RS256 is the OIDC default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IdTokenAlg {
    #[default]
    Rs256,
    Es256,
    EdDsa,
}

impl IdTokenAlg {
    pub fn parse(text: &str) -> Result<Self, ClientRuleError> {
        match text {
            "RS256" => Ok(Self::Rs256),
            "ES256" => Ok(Self::Es256),
            "EdDSA" => Ok(Self::EdDsa),
            _ => Err(ClientRuleError::IdTokenAlg),
        }
    }

    /// The JOSE `alg` name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Es256 => "ES256",
            Self::EdDsa => "EdDSA",
        }
    }
}

/// How long the client's tokens live, in seconds. Refresh tokens have an
/// absolute limit and an idle limit (ASVS 10.4.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenLifetimes {
    access: i64,
    refresh_absolute: i64,
    refresh_idle: i64,
}

impl Default for TokenLifetimes {
    fn default() -> Self {
        Self {
            access: ACCESS_TOKEN_DEFAULT_SECS,
            refresh_absolute: REFRESH_ABSOLUTE_DEFAULT_SECS,
            refresh_idle: REFRESH_IDLE_DEFAULT_SECS,
        }
    }
}

impl TokenLifetimes {
    pub fn new(
        access: i64,
        refresh_absolute: i64,
        refresh_idle: i64,
    ) -> Result<Self, ClientRuleError> {
        let within = |v: i64, (lo, hi): (i64, i64)| (lo..=hi).contains(&v);
        if !within(access, ACCESS_TOKEN_SECS) {
            return Err(ClientRuleError::AccessLifetime);
        }
        if !within(refresh_absolute, REFRESH_TOKEN_SECS) {
            return Err(ClientRuleError::RefreshLifetime);
        }
        if !within(refresh_idle, (REFRESH_TOKEN_SECS.0, refresh_absolute)) {
            return Err(ClientRuleError::RefreshIdle {
                absolute: refresh_absolute,
            });
        }
        Ok(Self {
            access,
            refresh_absolute,
            refresh_idle,
        })
    }

    pub(crate) fn from_trusted(access: i64, refresh_absolute: i64, refresh_idle: i64) -> Self {
        Self {
            access,
            refresh_absolute,
            refresh_idle,
        }
    }

    pub fn access_secs(&self) -> i64 {
        self.access
    }

    pub fn refresh_absolute_secs(&self) -> i64 {
        self.refresh_absolute
    }

    pub fn refresh_idle_secs(&self) -> i64 {
        self.refresh_idle
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

pub fn parse_grants(
    field: &'static str,
    values: &[String],
) -> Result<Vec<GrantType>, ClientRuleError> {
    values
        .iter()
        .map(|v| {
            GrantType::parse(v).map_err(|error| ClientRuleError::Grant {
                field,
                value: shown(v),
                error,
            })
        })
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

pub fn parse_privileges(
    field: &'static str,
    values: &[String],
) -> Result<Vec<Privilege>, ClientRuleError> {
    values
        .iter()
        .map(|v| {
            Privilege::parse(v).ok_or_else(|| ClientRuleError::Privilege {
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

/// Input echoed in an error, cut short.
fn shown(value: &str) -> String {
    const MAX: usize = 80;
    match value.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_owned(),
    }
}

/// Everything an operator sets on a client, each part parsed; the rules
/// across parts are checked by [`ClientSettings::new`].
#[derive(Debug, Clone)]
pub struct ClientDraft {
    pub name: DisplayName,
    pub redirect_uris: Vec<RedirectUri>,
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    pub grant_types: Vec<GrantType>,
    pub scopes: ScopeSet,
    pub cors_origins: Vec<CorsOrigin>,
    pub lifetimes: TokenLifetimes,
    pub refresh_reuse_interval: RefreshReuseInterval,
    pub id_token_alg: IdTokenAlg,
    pub first_party: bool,
    /// Resources (RFC 8707) the client may ask tokens for besides the
    /// tenant's default audience.
    pub allowed_resources: Vec<Resource>,
    /// Whether authorization requests need PKCE; always true for public
    /// clients, true by default for confidential ones.
    pub require_pkce: bool,
    pub privileges: Vec<Privilege>,
}

/// A partial update: `None` leaves the setting as it is.
#[derive(Debug, Clone, Default)]
pub struct ClientUpdate {
    pub name: Option<DisplayName>,
    pub redirect_uris: Option<Vec<RedirectUri>>,
    pub post_logout_redirect_uris: Option<Vec<RedirectUri>>,
    pub grant_types: Option<Vec<GrantType>>,
    pub scopes: Option<ScopeSet>,
    pub cors_origins: Option<Vec<CorsOrigin>>,
    pub access_token_lifetime_secs: Option<i64>,
    pub refresh_token_lifetime_secs: Option<i64>,
    pub refresh_token_idle_secs: Option<i64>,
    pub refresh_reuse_interval: Option<RefreshReuseInterval>,
    pub id_token_alg: Option<IdTokenAlg>,
    pub first_party: Option<bool>,
    pub allowed_resources: Option<Vec<Resource>>,
    pub require_pkce: Option<bool>,
    pub privileges: Option<Vec<Privilege>>,
}

/// A client's settings, consistent with its kind by construction.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientSettings {
    name: DisplayName,
    redirect_uris: Vec<RedirectUri>,
    post_logout_redirect_uris: Vec<RedirectUri>,
    grant_types: Vec<GrantType>,
    scopes: ScopeSet,
    cors_origins: Vec<CorsOrigin>,
    lifetimes: TokenLifetimes,
    refresh_reuse_interval: RefreshReuseInterval,
    id_token_alg: IdTokenAlg,
    /// First-party clients skip the consent screen.
    first_party: bool,
    allowed_resources: Vec<Resource>,
    require_pkce: bool,
    privileges: Vec<Privilege>,
}

impl ClientSettings {
    /// Checks the rules across settings; duplicates in lists collapse.
    pub fn new(kind: ClientKind, draft: ClientDraft) -> Result<Self, ClientRuleError> {
        let settings = Self::from_trusted(draft);
        let grants = &settings.grant_types;
        if grants.is_empty() {
            return Err(ClientRuleError::NoGrant);
        }
        if kind == ClientKind::Public && grants.contains(&GrantType::ClientCredentials) {
            return Err(ClientRuleError::PublicClientCredentials);
        }
        let code = grants.contains(&GrantType::AuthorizationCode);
        if grants.contains(&GrantType::RefreshToken) && !code {
            return Err(ClientRuleError::RefreshWithoutCode);
        }
        if kind == ClientKind::Public && !settings.require_pkce {
            return Err(ClientRuleError::PublicWithoutPkce);
        }
        for (field, len) in [
            ("redirect_uris", settings.redirect_uris.len()),
            ("allowed_resources", settings.allowed_resources.len()),
            (
                "post_logout_redirect_uris",
                settings.post_logout_redirect_uris.len(),
            ),
            ("cors_origins", settings.cors_origins.len()),
        ] {
            if len > MAX_URIS {
                return Err(ClientRuleError::TooManyUris { field });
            }
        }
        if code && settings.redirect_uris.is_empty() {
            return Err(ClientRuleError::NoRedirectUri);
        }
        Ok(settings)
    }

    /// Settings read back from our own database, checked when written.
    pub(crate) fn from_trusted(draft: ClientDraft) -> Self {
        Self {
            name: draft.name,
            redirect_uris: dedup(draft.redirect_uris),
            post_logout_redirect_uris: dedup(draft.post_logout_redirect_uris),
            grant_types: dedup(draft.grant_types),
            scopes: draft.scopes,
            cors_origins: dedup(draft.cors_origins),
            lifetimes: draft.lifetimes,
            refresh_reuse_interval: draft.refresh_reuse_interval,
            id_token_alg: draft.id_token_alg,
            first_party: draft.first_party,
            allowed_resources: dedup(draft.allowed_resources),
            require_pkce: draft.require_pkce,
            privileges: dedup(draft.privileges),
        }
    }

    /// These settings with `update` applied, checked again as a whole.
    pub fn updated(&self, kind: ClientKind, update: ClientUpdate) -> Result<Self, ClientRuleError> {
        let lifetimes = TokenLifetimes::new(
            update
                .access_token_lifetime_secs
                .unwrap_or(self.lifetimes.access),
            update
                .refresh_token_lifetime_secs
                .unwrap_or(self.lifetimes.refresh_absolute),
            update
                .refresh_token_idle_secs
                .unwrap_or(self.lifetimes.refresh_idle),
        )?;
        let s = self.clone();
        Self::new(
            kind,
            ClientDraft {
                name: update.name.unwrap_or(s.name),
                redirect_uris: update.redirect_uris.unwrap_or(s.redirect_uris),
                post_logout_redirect_uris: update
                    .post_logout_redirect_uris
                    .unwrap_or(s.post_logout_redirect_uris),
                grant_types: update.grant_types.unwrap_or(s.grant_types),
                scopes: update.scopes.unwrap_or(s.scopes),
                cors_origins: update.cors_origins.unwrap_or(s.cors_origins),
                lifetimes,
                refresh_reuse_interval: update
                    .refresh_reuse_interval
                    .unwrap_or(s.refresh_reuse_interval),
                id_token_alg: update.id_token_alg.unwrap_or(s.id_token_alg),
                first_party: update.first_party.unwrap_or(s.first_party),
                allowed_resources: update.allowed_resources.unwrap_or(s.allowed_resources),
                require_pkce: update.require_pkce.unwrap_or(s.require_pkce),
                privileges: update.privileges.unwrap_or(s.privileges),
            },
        )
    }

    pub fn name(&self) -> &DisplayName {
        &self.name
    }
    pub fn redirect_uris(&self) -> &[RedirectUri] {
        &self.redirect_uris
    }
    pub fn post_logout_redirect_uris(&self) -> &[RedirectUri] {
        &self.post_logout_redirect_uris
    }
    pub fn grant_types(&self) -> &[GrantType] {
        &self.grant_types
    }
    pub fn scopes(&self) -> &ScopeSet {
        &self.scopes
    }
    pub fn cors_origins(&self) -> &[CorsOrigin] {
        &self.cors_origins
    }
    pub fn lifetimes(&self) -> TokenLifetimes {
        self.lifetimes
    }
    pub fn refresh_reuse_interval(&self) -> RefreshReuseInterval {
        self.refresh_reuse_interval
    }
    pub fn id_token_alg(&self) -> IdTokenAlg {
        self.id_token_alg
    }
    pub fn first_party(&self) -> bool {
        self.first_party
    }
    pub fn allowed_resources(&self) -> &[Resource] {
        &self.allowed_resources
    }
    /// The stored setting; [`Client::requires_pkce`] is what applies.
    pub fn require_pkce(&self) -> bool {
        self.require_pkce
    }
    pub fn privileges(&self) -> &[Privilege] {
        &self.privileges
    }
}

fn dedup<T: PartialEq>(items: Vec<T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(items.len());
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// A client secret in clear: shown once at creation or rotation, never kept.
pub struct PlainSecret(String);

impl PlainSecret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PlainSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PlainSecret([REDACTED])")
    }
}

/// How long a rotated-out secret keeps working (0 to 7 days; 0 by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SecretOverlap(i64);

impl SecretOverlap {
    pub fn parse(secs: i64) -> Result<Self, ClientRuleError> {
        if (0..=SECRET_OVERLAP_MAX_SECS).contains(&secs) {
            Ok(Self(secs))
        } else {
            Err(ClientRuleError::Overlap)
        }
    }

    pub fn secs(self) -> i64 {
        self.0
    }
}

/// SHA-256 digests of a confidential client's secrets: the current one and,
/// after a rotation with overlap, the previous one until it expires. A fast
/// hash is right: the secrets carry 256 random bits (`crate::tokens`).
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSecrets {
    current: String,
    previous: Option<(String, i64)>,
    /// When the current secret replaced another (unix seconds); `None` for
    /// the client's first secret.
    rotated_at: Option<i64>,
}

impl fmt::Debug for ClientSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSecrets")
            .field("current", &"[REDACTED]")
            .field("previous_expires_at", &self.previous_expires_at())
            .field("rotated_at", &self.rotated_at)
            .finish()
    }
}

impl ClientSecrets {
    /// A fresh secret: 32 bytes from the OS CSPRNG, base64url.
    pub fn generate() -> Result<(Self, PlainSecret), getrandom::Error> {
        let (plain, digest) = crate::tokens::new_secret()?;
        let secrets = Self {
            current: digest,
            previous: None,
            rotated_at: None,
        };
        Ok((secrets, PlainSecret(plain)))
    }

    /// A new current secret. The one it replaces keeps working until
    /// `now + overlap` (not at all with a zero overlap); any older one stops.
    pub fn rotated(
        &self,
        overlap: SecretOverlap,
        now: i64,
    ) -> Result<(Self, PlainSecret), getrandom::Error> {
        let (mut next, plain) = Self::generate()?;
        next.rotated_at = Some(now);
        if overlap.0 > 0 {
            next.previous = Some((self.current.clone(), now + overlap.0));
        }
        Ok((next, plain))
    }

    pub(crate) fn from_stored(
        current: String,
        previous: Option<(String, i64)>,
        rotated_at: Option<i64>,
    ) -> Self {
        Self {
            current,
            previous,
            rotated_at,
        }
    }

    /// When the current secret replaced another, if it did.
    pub fn rotated_at(&self) -> Option<i64> {
        self.rotated_at
    }

    pub fn current_digest(&self) -> &str {
        &self.current
    }

    pub fn previous_digest(&self) -> Option<&str> {
        self.previous.as_ref().map(|(d, _)| d.as_str())
    }

    /// Unix seconds after which the previous secret fails.
    pub fn previous_expires_at(&self) -> Option<i64> {
        self.previous.as_ref().map(|(_, at)| *at)
    }

    /// Constant time: both digests are always compared.
    fn matches(&self, presented: &str, now: i64) -> bool {
        let digest = crate::tokens::digest(presented);
        let current = digest.as_bytes().ct_eq(self.current.as_bytes());
        let previous = match &self.previous {
            Some((old, expires_at)) => {
                digest.as_bytes().ct_eq(old.as_bytes()) & Choice::from(u8::from(now < *expires_at))
            }
            None => Choice::from(0),
        };
        bool::from(current | previous)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Client {
    pub id: ClientId,
    pub tenant_id: TenantId,
    pub kind: ClientKind,
    pub settings: ClientSettings,
    /// `Some` exactly for confidential clients.
    pub secrets: Option<ClientSecrets>,
    /// Unix seconds.
    pub created_at: i64,
    pub updated_at: i64,
    pub disabled_at: Option<i64>,
}

impl Client {
    /// A new client with a fresh id and, when confidential, a fresh secret:
    /// the only time that secret exists in clear.
    pub fn create(
        tenant_id: TenantId,
        kind: ClientKind,
        settings: ClientSettings,
        now: i64,
    ) -> Result<(Self, Option<PlainSecret>), getrandom::Error> {
        let (secrets, plain) = match kind {
            ClientKind::Confidential => {
                let (secrets, plain) = ClientSecrets::generate()?;
                (Some(secrets), Some(plain))
            }
            ClientKind::Public => (None, None),
        };
        let client = Self {
            id: ClientId::generate()?,
            tenant_id,
            kind,
            settings,
            secrets,
            created_at: now,
            updated_at: now,
            disabled_at: None,
        };
        Ok((client, plain))
    }

    pub fn is_disabled(&self) -> bool {
        self.disabled_at.is_some()
    }

    pub fn allows_grant(&self, grant: GrantType) -> bool {
        self.settings.grant_types.contains(&grant)
    }

    /// Whether a grant of `scope` comes with a refresh token: the client may
    /// use the `refresh_token` grant, and either the user granted
    /// `offline_access` (OIDC Core §11) or the client is first-party (its
    /// users log in to the tenant's own application, without a consent page).
    pub fn gets_refresh_token(&self, scope: &ScopeSet) -> bool {
        self.allows_grant(GrantType::RefreshToken)
            && (scope.contains("offline_access") || self.settings.first_party)
    }

    /// Exact string comparison, no normalisation (RFC 9700 §2.1).
    pub fn allows_redirect_uri(&self, presented: &str) -> bool {
        self.settings.redirect_uris.iter().any(|u| u.0 == presented)
    }

    pub fn allows_post_logout_redirect_uri(&self, presented: &str) -> bool {
        self.settings
            .post_logout_redirect_uris
            .iter()
            .any(|u| u.0 == presented)
    }

    /// `presented` is an `Origin` header value.
    pub fn allows_origin(&self, presented: &str) -> bool {
        self.settings.cors_origins.iter().any(|o| o.0 == presented)
    }

    /// Whether the client may name `resource` (RFC 8707): `default_audience`
    /// (the audience its tokens get without one) or a resource it was given.
    /// Exact comparison.
    pub fn allows_resource(&self, resource: &str, default_audience: &str) -> bool {
        resource == default_audience
            || self
                .settings
                .allowed_resources
                .iter()
                .any(|r| r.0 == resource)
    }

    /// Public clients always need PKCE; confidential ones unless an operator
    /// opted them out (ASVS 10.4.6).
    pub fn requires_pkce(&self) -> bool {
        self.kind == ClientKind::Public || self.settings.require_pkce
    }

    pub fn has_privilege(&self, privilege: Privilege) -> bool {
        self.settings.privileges.contains(&privilege)
    }

    /// Whether introspection may show this client a token issued to
    /// `token_client_id` for `audiences` (RFC 7662 §4): its own tokens,
    /// tokens whose `aud` names its client id (it is their resource server),
    /// or any token with the `introspect:any` privilege.
    pub fn may_introspect(&self, token_client_id: &str, audiences: &[&str]) -> bool {
        self.has_privilege(Privilege::IntrospectAny)
            || token_client_id == self.id.as_ref()
            || audiences.iter().any(|a| *a == self.id.as_ref())
    }
}

/// Whether `presented` is the secret of `client` at `now`: its current secret,
/// or its previous one before that expires. False for public and disabled
/// clients. Constant time in the secret.
pub fn verify_secret(client: &Client, presented: &str, now: i64) -> bool {
    match &client.secrets {
        Some(secrets) if !client.is_disabled() => secrets.matches(presented, now),
        _ => false,
    }
}

/// The scopes a new client gets when none are given.
pub fn default_scopes(grants: &[GrantType]) -> ScopeSet {
    ScopeSet::login_defaults(grants.contains(&GrantType::RefreshToken))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(
        kind: ClientKind,
        grants: &[GrantType],
        uris: &[&str],
    ) -> Result<ClientSettings, ClientRuleError> {
        ClientSettings::new(
            kind,
            ClientDraft {
                name: DisplayName::parse("App").expect("name"),
                redirect_uris: uris
                    .iter()
                    .map(|u| RedirectUri::parse(u).expect("uri"))
                    .collect(),
                post_logout_redirect_uris: Vec::new(),
                grant_types: grants.to_vec(),
                scopes: default_scopes(grants),
                cors_origins: Vec::new(),
                lifetimes: TokenLifetimes::default(),
                refresh_reuse_interval: RefreshReuseInterval::default(),
                id_token_alg: IdTokenAlg::default(),
                first_party: false,
                allowed_resources: Vec::new(),
                require_pkce: true,
                privileges: Vec::new(),
            },
        )
    }

    fn confidential() -> Client {
        let s = settings(
            ClientKind::Confidential,
            &DEFAULT_GRANT_TYPES,
            &["https://app.example/cb"],
        )
        .expect("valid");
        Client::create(TenantId::new(), ClientKind::Confidential, s, 1_000)
            .expect("csprng")
            .0
    }

    #[test]
    fn client_ids_are_prefixed_random_and_parse_back() {
        let a = ClientId::generate().expect("csprng");
        let b = ClientId::generate().expect("csprng");
        assert_ne!(a, b);
        assert!(a.as_ref().starts_with("cli_"));
        assert_eq!(a.as_ref().len(), 26);
        assert_eq!(ClientId::parse(a.as_ref()), Ok(a));
        assert!(
            uuid::Uuid::parse_str(b.as_ref()).is_err(),
            "never a user sub"
        );
    }

    #[test]
    fn client_ids_refuse_other_shapes() {
        for bad in [
            "",
            "cli_",
            "cli_AAAAAAAAAAAAAAAAAAAAA",
            "cli_AAAAAAAAAAAAAAAAAAAAAAA",
            "usr_AAAAAAAAAAAAAAAAAAAAAA",
            "cli_AAAAAAAAAAAAAAAAAAAA+/",
            "cli_AAAAAAAAAAAAAAAAAAAA%2",
            "00000000-0000-4000-8000-000000000000",
        ] {
            assert_eq!(
                ClientId::parse(bad),
                Err(ClientRuleError::ClientId),
                "{bad}"
            );
        }
        assert!(ClientId::parse("cli_Az09-_Az09-_Az09-_Az09").is_ok());
    }

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
    fn implicit_and_password_grants_are_refused_by_name() {
        assert_eq!(GrantType::parse("implicit"), Err(GrantTypeError::Implicit));
        assert_eq!(GrantType::parse("token"), Err(GrantTypeError::Implicit));
        assert_eq!(GrantType::parse("password"), Err(GrantTypeError::Password));
        assert_eq!(
            GrantType::parse("Authorization_Code"),
            Err(GrantTypeError::Unknown)
        );
        for g in [
            GrantType::AuthorizationCode,
            GrantType::RefreshToken,
            GrantType::ClientCredentials,
        ] {
            assert_eq!(GrantType::parse(g.as_str()), Ok(g));
        }
        let err = parse_grants("grant_types", &["implicit".into()]).expect_err("refused");
        assert!(
            err.to_string().contains("implicit grant is not allowed"),
            "{err}"
        );
    }

    #[test]
    fn kinds_and_algorithms_parse_from_their_names() {
        assert_eq!(ClientKind::parse("public"), Ok(ClientKind::Public));
        assert_eq!(ClientKind::parse("Public"), Err(ClientRuleError::Kind));
        assert_eq!(IdTokenAlg::default().as_str(), "RS256");
        for alg in [IdTokenAlg::Rs256, IdTokenAlg::Es256, IdTokenAlg::EdDsa] {
            assert_eq!(IdTokenAlg::parse(alg.as_str()), Ok(alg));
        }
        for bad in ["none", "HS256", "rs256", "EDDSA"] {
            assert_eq!(
                IdTokenAlg::parse(bad),
                Err(ClientRuleError::IdTokenAlg),
                "{bad}"
            );
        }
    }

    #[test]
    fn token_lifetimes_are_bounded() {
        let d = TokenLifetimes::default();
        assert_eq!(
            (
                d.access_secs(),
                d.refresh_absolute_secs(),
                d.refresh_idle_secs()
            ),
            (900, 2_592_000, 604_800)
        );
        assert!(TokenLifetimes::new(60, 300, 300).is_ok());
        assert!(TokenLifetimes::new(86_400, 31_536_000, 31_536_000).is_ok());
        assert_eq!(
            TokenLifetimes::new(59, 3600, 3600),
            Err(ClientRuleError::AccessLifetime)
        );
        assert_eq!(
            TokenLifetimes::new(86_401, 3600, 3600),
            Err(ClientRuleError::AccessLifetime)
        );
        assert_eq!(
            TokenLifetimes::new(900, 299, 299),
            Err(ClientRuleError::RefreshLifetime)
        );
        assert_eq!(
            TokenLifetimes::new(900, 31_536_001, 300),
            Err(ClientRuleError::RefreshLifetime)
        );
        assert_eq!(
            TokenLifetimes::new(900, 3600, 3601),
            Err(ClientRuleError::RefreshIdle { absolute: 3600 })
        );
        assert_eq!(
            TokenLifetimes::new(900, 3600, -1),
            Err(ClientRuleError::RefreshIdle { absolute: 3600 })
        );
    }

    #[test]
    fn rules_across_settings_hold() {
        use GrantType::*;
        let cb = ["https://app.example/cb"];
        assert!(settings(ClientKind::Confidential, &[ClientCredentials], &[]).is_ok());
        assert_eq!(
            settings(ClientKind::Public, &[ClientCredentials], &[]),
            Err(ClientRuleError::PublicClientCredentials)
        );
        assert_eq!(
            settings(ClientKind::Public, &[], &cb),
            Err(ClientRuleError::NoGrant)
        );
        assert_eq!(
            settings(ClientKind::Public, &[RefreshToken], &cb),
            Err(ClientRuleError::RefreshWithoutCode)
        );
        assert_eq!(
            settings(ClientKind::Public, &[AuthorizationCode], &[]),
            Err(ClientRuleError::NoRedirectUri)
        );
        let twice = settings(
            ClientKind::Public,
            &[AuthorizationCode, AuthorizationCode],
            &[cb[0], cb[0]],
        )
        .expect("valid");
        assert_eq!(
            (twice.grant_types().len(), twice.redirect_uris().len()),
            (1, 1),
            "duplicates collapse"
        );
        let many: Vec<String> = (0..=MAX_URIS)
            .map(|i| format!("https://app.example/{i}"))
            .collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(
            settings(ClientKind::Public, &[AuthorizationCode], &many),
            Err(ClientRuleError::TooManyUris {
                field: "redirect_uris"
            })
        );
    }

    #[test]
    fn updates_are_checked_as_a_whole() {
        let client = confidential();
        let kept = client
            .settings
            .updated(client.kind, ClientUpdate::default())
            .expect("no change");
        assert_eq!(kept, client.settings);
        let no_uris = ClientUpdate {
            redirect_uris: Some(Vec::new()),
            ..ClientUpdate::default()
        };
        assert_eq!(
            client.settings.updated(client.kind, no_uris),
            Err(ClientRuleError::NoRedirectUri)
        );
        let short = ClientUpdate {
            refresh_token_lifetime_secs: Some(3600),
            ..ClientUpdate::default()
        };
        assert_eq!(
            client.settings.updated(client.kind, short),
            Err(ClientRuleError::RefreshIdle { absolute: 3600 })
        );
        let both = ClientUpdate {
            refresh_token_lifetime_secs: Some(3600),
            refresh_token_idle_secs: Some(600),
            refresh_reuse_interval: Some(RefreshReuseInterval::parse(10).expect("in range")),
            first_party: Some(true),
            ..ClientUpdate::default()
        };
        let changed = client.settings.updated(client.kind, both).expect("valid");
        assert_eq!(changed.lifetimes().refresh_idle_secs(), 600);
        assert_eq!(changed.refresh_reuse_interval().secs(), 10);
        assert!(changed.first_party());
        assert_eq!(changed.redirect_uris(), client.settings.redirect_uris());
    }

    #[test]
    fn only_registered_uris_and_origins_match_exactly() {
        let client = confidential();
        assert!(client.allows_redirect_uri("https://app.example/cb"));
        for near in [
            "https://app.example/cb/",
            "https://APP.example/cb",
            "https://app.example/cb?x=1",
            "https://app.example/c",
        ] {
            assert!(!client.allows_redirect_uri(near), "{near}");
        }
        assert!(client.allows_grant(GrantType::RefreshToken));
        assert!(!client.allows_grant(GrantType::ClientCredentials));
        assert!(!client.allows_origin("https://app.example"));
        assert!(client.settings.scopes().contains("offline_access"));
    }

    #[test]
    fn refresh_tokens_need_the_grant_and_offline_access_or_a_first_party_client() {
        let third_party = confidential();
        let online = ScopeSet::parse("openid profile").expect("scope");
        let offline = ScopeSet::parse("openid offline_access").expect("scope");
        assert!(!third_party.gets_refresh_token(&online));
        assert!(third_party.gets_refresh_token(&offline));
        let first_party = Client {
            settings: third_party
                .settings
                .updated(
                    third_party.kind,
                    ClientUpdate {
                        first_party: Some(true),
                        ..ClientUpdate::default()
                    },
                )
                .expect("valid"),
            ..third_party.clone()
        };
        assert!(first_party.gets_refresh_token(&online));
        let no_refresh_grant = Client {
            settings: first_party
                .settings
                .updated(
                    first_party.kind,
                    ClientUpdate {
                        grant_types: Some(vec![GrantType::AuthorizationCode]),
                        ..ClientUpdate::default()
                    },
                )
                .expect("valid"),
            ..first_party.clone()
        };
        assert!(!no_refresh_grant.gets_refresh_token(&offline));
    }

    #[test]
    fn secrets_are_shown_once_and_only_their_digest_kept() {
        let (client, plain) = {
            let s = settings(
                ClientKind::Confidential,
                &[GrantType::ClientCredentials],
                &[],
            )
            .expect("valid");
            Client::create(TenantId::new(), ClientKind::Confidential, s, 0).expect("csprng")
        };
        let plain = plain.expect("confidential clients get a secret");
        assert_eq!(plain.expose().len(), 43, "32 bytes of base64url");
        let secrets = client.secrets.as_ref().expect("digest kept");
        assert_eq!(
            secrets.current_digest(),
            crate::tokens::digest(plain.expose())
        );
        assert!(!format!("{plain:?}{client:?}").contains(plain.expose()));
        assert!(!format!("{client:?}").contains(secrets.current_digest()));
        assert!(verify_secret(&client, plain.expose(), 0));
        assert!(!verify_secret(&client, "wrong", 0));
        assert!(!verify_secret(&client, "", 0));
        assert!(
            !verify_secret(&client, secrets.current_digest(), 0),
            "the digest is not the secret"
        );
    }

    #[test]
    fn public_and_disabled_clients_never_verify() {
        let s = settings(
            ClientKind::Public,
            &[GrantType::AuthorizationCode],
            &["http://127.0.0.1:8080/cb"],
        )
        .expect("valid");
        let (public, plain) =
            Client::create(TenantId::new(), ClientKind::Public, s, 0).expect("csprng");
        assert!(plain.is_none() && public.secrets.is_none());
        assert!(!verify_secret(&public, "", 0));
        let mut client = confidential();
        let (secrets, plain) = ClientSecrets::generate().expect("csprng");
        client.secrets = Some(secrets);
        assert!(verify_secret(&client, plain.expose(), 0));
        client.disabled_at = Some(0);
        assert!(!verify_secret(&client, plain.expose(), 0));
    }

    #[test]
    fn rotation_keeps_the_previous_secret_only_for_the_overlap() {
        let mut client = confidential();
        let (secrets, old) = ClientSecrets::generate().expect("csprng");
        let (rotated, new) = secrets
            .rotated(SecretOverlap::parse(3600).expect("in range"), 1_000)
            .expect("csprng");
        client.secrets = Some(rotated.clone());
        assert_eq!(rotated.previous_expires_at(), Some(4_600));
        assert!(verify_secret(&client, new.expose(), 1_000));
        assert!(verify_secret(&client, old.expose(), 4_599));
        assert!(!verify_secret(&client, old.expose(), 4_600));
        assert!(verify_secret(&client, new.expose(), 4_600));

        let (again, newest) = rotated
            .rotated(SecretOverlap::default(), 2_000)
            .expect("csprng");
        client.secrets = Some(again);
        assert!(verify_secret(&client, newest.expose(), 2_000));
        assert!(
            !verify_secret(&client, new.expose(), 2_000),
            "zero overlap: the old secret stops at once"
        );
        assert!(
            !verify_secret(&client, old.expose(), 2_000),
            "only one previous secret is kept"
        );
    }

    #[test]
    fn overlap_is_zero_to_seven_days() {
        assert_eq!(SecretOverlap::default().secs(), 0);
        assert!(SecretOverlap::parse(604_800).is_ok());
        assert_eq!(SecretOverlap::parse(604_801), Err(ClientRuleError::Overlap));
        assert_eq!(SecretOverlap::parse(-1), Err(ClientRuleError::Overlap));
    }

    #[test]
    fn resources_are_visible_ascii_without_fragment_and_matched_exactly() {
        for ok in ["connectauth-billing", "https://api.example/v1", "urn:x:y"] {
            assert!(Resource::parse(ok).is_some(), "{ok}");
        }
        let long = "r".repeat(RESOURCE_MAX_BYTES + 1);
        for bad in ["", "a b", "https://api.example/#x", "é", long.as_str()] {
            assert!(Resource::parse(bad).is_none(), "{bad}");
        }
        let mut client = confidential();
        assert!(
            client.allows_resource("acme-api", "acme-api"),
            "the default audience"
        );
        assert!(!client.allows_resource("https://api.example", "acme-api"));
        client.settings.allowed_resources =
            parse_resources("r", &["https://api.example".into()]).expect("valid");
        assert!(client.allows_resource("https://api.example", "acme-api"));
        assert!(!client.allows_resource("https://api.example/", "acme-api"));
    }

    #[test]
    fn pkce_is_required_unless_a_confidential_client_opts_out() {
        let mut client = confidential();
        assert!(client.requires_pkce());
        client.settings.require_pkce = false;
        assert!(!client.requires_pkce());
        client.kind = ClientKind::Public;
        assert!(client.requires_pkce(), "public clients always");
        let mut update = ClientUpdate {
            require_pkce: Some(false),
            ..ClientUpdate::default()
        };
        assert_eq!(
            client.settings.updated(ClientKind::Public, update.clone()),
            Err(ClientRuleError::PublicWithoutPkce)
        );
        update.require_pkce = Some(true);
        assert!(client.settings.updated(ClientKind::Public, update).is_ok());
    }

    #[test]
    fn introspection_sees_own_tokens_its_audience_or_everything_with_the_privilege() {
        let mut client = confidential();
        let me = client.id.to_string();
        assert!(client.may_introspect(&me, &[]));
        assert!(client.may_introspect("cli_other", &["acme-api", &me]));
        assert!(!client.may_introspect("cli_other", &["acme-api"]));
        client.settings.privileges = vec![Privilege::IntrospectAny];
        assert!(client.may_introspect("cli_other", &["acme-api"]));
        assert_eq!(
            Privilege::parse("introspect:any"),
            Some(Privilege::IntrospectAny)
        );
        assert_eq!(Privilege::parse("admin"), None);
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
