//! An OAuth client (an application) of one tenant: who it is, where it may
//! send users back, which grants and scopes it may use, and its secret.
use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::display_name::DisplayNameError;
use super::refresh_reuse::REFRESH_REUSE_INTERVAL_MAX_SECS;
use super::scope::{ScopeError, ScopeSet};
use super::signing_alg::SigningAlg;
use super::tenant::TenantId;

mod lifetimes;
mod secret;
mod settings;
mod uri;

pub use lifetimes::TokenLifetimes;
pub use secret::{verify_secret, ClientSecrets, PlainSecret, SecretOverlap};
pub use settings::{
    default_scopes, parse_grants, parse_id_token_alg, parse_privileges, ClientDraft,
    ClientSettings, ClientUpdate, GrantType, GrantTypeError, Privilege,
};
pub(crate) use uri::web_url;
pub use uri::{
    parse_origins, parse_resources, parse_uris, CorsOrigin, RedirectUri, Resource, UriError,
};

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
/// The algorithm of a client's ID tokens unless it names another. ES256: a
/// P-256 signature costs a tenth of an RSA-2048 one on the token path and
/// every maintained OpenID Connect library verifies it; a relying party that
/// knows only RS256 (the algorithm every provider must offer, OIDC Core
/// §15.1, and still offered here) asks for it when its client is created.
pub const ID_TOKEN_ALG_DEFAULT: SigningAlg = SigningAlg::ES256;

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
        self.settings.grant_types().contains(&grant)
    }

    /// Whether a grant of `scope` comes with a refresh token: the client may
    /// use the `refresh_token` grant, and either the user granted
    /// `offline_access` (OIDC Core §11) or the client is first-party (its
    /// users log in to the tenant's own application, without a consent page).
    pub fn gets_refresh_token(&self, scope: &ScopeSet) -> bool {
        self.allows_grant(GrantType::RefreshToken)
            && (scope.contains("offline_access") || self.settings.first_party())
    }

    /// Exact string comparison, no normalisation (RFC 9700 §2.1).
    pub fn allows_redirect_uri(&self, presented: &str) -> bool {
        self.settings
            .redirect_uris()
            .iter()
            .any(|u| u.as_ref() == presented)
    }

    pub fn allows_post_logout_redirect_uri(&self, presented: &str) -> bool {
        self.settings
            .post_logout_redirect_uris()
            .iter()
            .any(|u| u.as_ref() == presented)
    }

    /// `presented` is an `Origin` header value.
    pub fn allows_origin(&self, presented: &str) -> bool {
        self.settings
            .cors_origins()
            .iter()
            .any(|o| o.as_ref() == presented)
    }

    /// Whether the client may name `resource` (RFC 8707): `default_audience`
    /// (the audience its tokens get without one) or a resource it was given.
    /// Exact comparison.
    pub fn allows_resource(&self, resource: &str, default_audience: &str) -> bool {
        resource == default_audience
            || self
                .settings
                .allowed_resources()
                .iter()
                .any(|r| r.as_ref() == resource)
    }

    /// Public clients always need PKCE; confidential ones unless an operator
    /// opted them out (ASVS 10.4.6).
    pub fn requires_pkce(&self) -> bool {
        self.kind == ClientKind::Public || self.settings.require_pkce()
    }

    pub fn has_privilege(&self, privilege: Privilege) -> bool {
        self.settings.privileges().contains(&privilege)
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

/// Input echoed in an error, cut short.
fn shown(value: &str) -> String {
    const MAX: usize = 80;
    match value.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_owned(),
    }
}

#[cfg(test)]
mod fixtures {
    use super::*;
    use crate::domain::display_name::DisplayName;

    pub(super) fn settings(
        kind: ClientKind,
        grants: &[GrantType],
        uris: &[&str],
    ) -> Result<ClientSettings, ClientRuleError> {
        let draft = ClientDraft {
            redirect_uris: uris
                .iter()
                .map(|u| RedirectUri::parse(u).expect("uri"))
                .collect(),
            ..ClientDraft::new(DisplayName::parse("App").expect("name"), grants.to_vec())
        };
        ClientSettings::new(kind, draft)
    }

    pub(super) fn confidential() -> Client {
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
}

#[cfg(test)]
mod tests {
    use super::fixtures::confidential;
    use super::*;

    fn change(client: &mut Client, update: ClientUpdate) {
        client.settings = client.settings.updated(client.kind, update).expect("valid");
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
    fn resources_are_visible_ascii_without_fragment_and_matched_exactly() {
        let mut client = confidential();
        assert!(
            client.allows_resource("acme-api", "acme-api"),
            "the default audience"
        );
        assert!(!client.allows_resource("https://api.example", "acme-api"));
        change(
            &mut client,
            ClientUpdate {
                allowed_resources: Some(
                    parse_resources("r", &["https://api.example".into()]).expect("valid"),
                ),
                ..ClientUpdate::default()
            },
        );
        assert!(client.allows_resource("https://api.example", "acme-api"));
        assert!(!client.allows_resource("https://api.example/", "acme-api"));
    }

    #[test]
    fn pkce_is_required_unless_a_confidential_client_opts_out() {
        let mut client = confidential();
        assert!(client.requires_pkce());
        change(
            &mut client,
            ClientUpdate {
                require_pkce: Some(false),
                ..ClientUpdate::default()
            },
        );
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
        change(
            &mut client,
            ClientUpdate {
                privileges: Some(vec![Privilege::IntrospectAny]),
                ..ClientUpdate::default()
            },
        );
        assert!(client.may_introspect("cli_other", &["acme-api"]));
        assert_eq!(
            Privilege::parse("introspect:any"),
            Some(Privilege::IntrospectAny)
        );
        assert_eq!(Privilege::parse("admin"), None);
    }
}
