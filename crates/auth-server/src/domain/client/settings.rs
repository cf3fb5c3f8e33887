//! What an operator sets on a client: its grants, privileges and lists, each
//! parsed on its own, then checked together against the client's kind.
use super::lifetimes::TokenLifetimes;
use super::uri::{CorsOrigin, RedirectUri, Resource};
use super::{
    shown, ClientKind, ClientRuleError, DEFAULT_GRANT_TYPES, ID_TOKEN_ALG_DEFAULT, INTROSPECT_ANY,
    MAX_URIS,
};
use crate::domain::display_name::DisplayName;
use crate::domain::refresh_reuse::RefreshReuseInterval;
use crate::domain::scope::ScopeSet;
use crate::domain::signing_alg::SigningAlg;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GrantTypeError {
    #[error("the implicit grant is not allowed (OAuth 2.1, RFC 9700 §2.1.2); use authorization_code with PKCE")]
    Implicit,
    #[error("the password grant is not allowed (RFC 9700 §2.4); use authorization_code")]
    Password,
    #[error("unknown grant type; use authorization_code, refresh_token or client_credentials")]
    Unknown,
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

/// The scopes a new client gets when none are given.
pub fn default_scopes(grants: &[GrantType]) -> ScopeSet {
    ScopeSet::login_defaults(grants.contains(&GrantType::RefreshToken))
}

/// The algorithm of a client's ID tokens, when `text` gives one (none:
/// the setting is left as it is).
pub fn parse_id_token_alg(text: Option<&str>) -> Result<Option<SigningAlg>, ClientRuleError> {
    text.map(|t| SigningAlg::parse(t).map_err(|_| ClientRuleError::IdTokenAlg))
        .transpose()
}

/// Everything an operator sets on a client, each part parsed; the rules
/// across parts are checked by [`ClientSettings::new`].
#[derive(Debug, Clone, PartialEq)]
pub struct ClientDraft {
    pub name: DisplayName,
    pub redirect_uris: Vec<RedirectUri>,
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    pub grant_types: Vec<GrantType>,
    pub scopes: ScopeSet,
    pub cors_origins: Vec<CorsOrigin>,
    pub lifetimes: TokenLifetimes,
    pub refresh_reuse_interval: RefreshReuseInterval,
    pub id_token_alg: SigningAlg,
    /// First-party clients skip the consent screen.
    pub first_party: bool,
    /// Resources (RFC 8707) the client may ask tokens for besides the
    /// tenant's default audience.
    pub allowed_resources: Vec<Resource>,
    /// Whether authorization requests need PKCE; always true for public
    /// clients, true by default for confidential ones.
    pub require_pkce: bool,
    pub privileges: Vec<Privilege>,
}

impl ClientDraft {
    /// A client named `name` using `grant_types`, every other setting at its
    /// default: the scopes those grants need, no URIs, PKCE required.
    pub fn new(name: DisplayName, grant_types: Vec<GrantType>) -> Self {
        Self {
            name,
            redirect_uris: Vec::new(),
            post_logout_redirect_uris: Vec::new(),
            scopes: default_scopes(&grant_types),
            grant_types,
            cors_origins: Vec::new(),
            lifetimes: TokenLifetimes::default(),
            refresh_reuse_interval: RefreshReuseInterval::default(),
            id_token_alg: ID_TOKEN_ALG_DEFAULT,
            first_party: false,
            allowed_resources: Vec::new(),
            require_pkce: true,
            privileges: Vec::new(),
        }
    }
}

impl ClientDraft {
    /// A new client's settings from what its creator gave, in the shape of
    /// an update: each setting left out takes its default, and scopes left
    /// out are those of the grants given (or of the default grants). The
    /// management API, the console and the CLI all start a client here, so
    /// they share one set of defaults.
    pub fn requested(name: DisplayName, given: ClientUpdate) -> Result<Self, ClientRuleError> {
        let grants = match &given.grant_types {
            Some(grants) => grants.clone(),
            None => DEFAULT_GRANT_TYPES.to_vec(),
        };
        let mut draft = Self::new(name, grants);
        given.apply(&mut draft)?;
        Ok(draft)
    }
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
    pub id_token_alg: Option<SigningAlg>,
    pub first_party: Option<bool>,
    pub allowed_resources: Option<Vec<Resource>>,
    pub require_pkce: Option<bool>,
    pub privileges: Option<Vec<Privilege>>,
}

impl ClientUpdate {
    /// Writes the given settings over `draft`. A lifetime given alone is
    /// checked beside the two kept ones; the rules across settings are left
    /// to [`ClientSettings::new`].
    pub fn apply(self, draft: &mut ClientDraft) -> Result<(), ClientRuleError> {
        // Destructured so that a new field cannot be forgotten here.
        let Self {
            name,
            redirect_uris,
            post_logout_redirect_uris,
            grant_types,
            scopes,
            cors_origins,
            access_token_lifetime_secs,
            refresh_token_lifetime_secs,
            refresh_token_idle_secs,
            refresh_reuse_interval,
            id_token_alg,
            first_party,
            allowed_resources,
            require_pkce,
            privileges,
        } = self;
        let kept = draft.lifetimes;
        draft.lifetimes = TokenLifetimes::new(
            access_token_lifetime_secs.unwrap_or(kept.access_secs()),
            refresh_token_lifetime_secs.unwrap_or(kept.refresh_absolute_secs()),
            refresh_token_idle_secs.unwrap_or(kept.refresh_idle_secs()),
        )?;
        set(&mut draft.name, name);
        set(&mut draft.redirect_uris, redirect_uris);
        set(
            &mut draft.post_logout_redirect_uris,
            post_logout_redirect_uris,
        );
        set(&mut draft.grant_types, grant_types);
        set(&mut draft.scopes, scopes);
        set(&mut draft.cors_origins, cors_origins);
        set(&mut draft.refresh_reuse_interval, refresh_reuse_interval);
        set(&mut draft.id_token_alg, id_token_alg);
        set(&mut draft.first_party, first_party);
        set(&mut draft.allowed_resources, allowed_resources);
        set(&mut draft.require_pkce, require_pkce);
        set(&mut draft.privileges, privileges);
        Ok(())
    }
}

fn set<T>(setting: &mut T, given: Option<T>) {
    if let Some(value) = given {
        *setting = value;
    }
}

/// A client's settings, consistent with its kind by construction.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientSettings {
    draft: ClientDraft,
}

impl ClientSettings {
    /// Checks the rules across settings; duplicates in lists collapse.
    pub fn new(kind: ClientKind, draft: ClientDraft) -> Result<Self, ClientRuleError> {
        let settings = Self::from_trusted(draft);
        let s = &settings.draft;
        let grants = &s.grant_types;
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
        if kind == ClientKind::Public && !s.require_pkce {
            return Err(ClientRuleError::PublicWithoutPkce);
        }
        for (field, len) in [
            ("redirect_uris", s.redirect_uris.len()),
            ("allowed_resources", s.allowed_resources.len()),
            (
                "post_logout_redirect_uris",
                s.post_logout_redirect_uris.len(),
            ),
            ("cors_origins", s.cors_origins.len()),
        ] {
            if len > MAX_URIS {
                return Err(ClientRuleError::TooManyUris { field });
            }
        }
        if code && s.redirect_uris.is_empty() {
            return Err(ClientRuleError::NoRedirectUri);
        }
        Ok(settings)
    }

    /// Settings read back from our own database, checked when written.
    pub(crate) fn from_trusted(mut draft: ClientDraft) -> Self {
        dedup(&mut draft.redirect_uris);
        dedup(&mut draft.post_logout_redirect_uris);
        dedup(&mut draft.grant_types);
        dedup(&mut draft.cors_origins);
        dedup(&mut draft.allowed_resources);
        dedup(&mut draft.privileges);
        Self { draft }
    }

    /// The settings as a draft to change and check again.
    pub fn to_draft(&self) -> ClientDraft {
        self.draft.clone()
    }

    /// These settings with `update` applied, checked again as a whole.
    pub fn updated(&self, kind: ClientKind, update: ClientUpdate) -> Result<Self, ClientRuleError> {
        let mut draft = self.to_draft();
        update.apply(&mut draft)?;
        Self::new(kind, draft)
    }

    pub fn name(&self) -> &DisplayName {
        &self.draft.name
    }
    pub fn redirect_uris(&self) -> &[RedirectUri] {
        &self.draft.redirect_uris
    }
    pub fn post_logout_redirect_uris(&self) -> &[RedirectUri] {
        &self.draft.post_logout_redirect_uris
    }
    pub fn grant_types(&self) -> &[GrantType] {
        &self.draft.grant_types
    }
    pub fn scopes(&self) -> &ScopeSet {
        &self.draft.scopes
    }
    pub fn cors_origins(&self) -> &[CorsOrigin] {
        &self.draft.cors_origins
    }
    pub fn lifetimes(&self) -> TokenLifetimes {
        self.draft.lifetimes
    }
    pub fn refresh_reuse_interval(&self) -> RefreshReuseInterval {
        self.draft.refresh_reuse_interval
    }
    pub fn id_token_alg(&self) -> SigningAlg {
        self.draft.id_token_alg
    }
    pub fn first_party(&self) -> bool {
        self.draft.first_party
    }
    pub fn allowed_resources(&self) -> &[Resource] {
        &self.draft.allowed_resources
    }
    /// The stored setting; [`Client::requires_pkce`](super::Client::requires_pkce) is what applies.
    pub fn require_pkce(&self) -> bool {
        self.draft.require_pkce
    }
    pub fn privileges(&self) -> &[Privilege] {
        &self.draft.privileges
    }
}

/// Keeps the first of equal items, in order.
fn dedup<T: PartialEq>(items: &mut Vec<T>) {
    let mut out: Vec<T> = Vec::with_capacity(items.len());
    for item in items.drain(..) {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    *items = out;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::client::fixtures::{confidential, settings};
    use crate::domain::client::DEFAULT_GRANT_TYPES;

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
    fn a_requested_client_takes_the_defaults_of_what_it_leaves_out() {
        let name = || DisplayName::parse("App").expect("name");
        let plain = ClientDraft::requested(name(), ClientUpdate::default()).expect("defaults");
        assert_eq!(
            plain,
            ClientDraft::new(name(), DEFAULT_GRANT_TYPES.to_vec())
        );
        assert!(plain.require_pkce);
        assert_eq!(plain.id_token_alg, ID_TOKEN_ALG_DEFAULT);

        let machine = ClientDraft::requested(
            name(),
            ClientUpdate {
                grant_types: Some(vec![GrantType::ClientCredentials]),
                access_token_lifetime_secs: Some(600),
                ..ClientUpdate::default()
            },
        )
        .expect("machine client");
        assert_eq!(
            machine.scopes,
            default_scopes(&[GrantType::ClientCredentials]),
            "scopes follow the grants given"
        );
        assert_eq!(machine.lifetimes.access_secs(), 600);
        assert_eq!(
            machine.lifetimes.refresh_absolute_secs(),
            TokenLifetimes::default().refresh_absolute_secs()
        );

        let scoped = ScopeSet::parse("openid orders:read").expect("scopes");
        let given = ClientDraft::requested(
            name(),
            ClientUpdate {
                scopes: Some(scoped.clone()),
                ..ClientUpdate::default()
            },
        )
        .expect("scoped client");
        assert_eq!(given.scopes, scoped);
    }

    #[test]
    fn kinds_and_algorithms_parse_from_their_names() {
        assert_eq!(ClientKind::parse("public"), Ok(ClientKind::Public));
        assert_eq!(ClientKind::parse("Public"), Err(ClientRuleError::Kind));
        let draft = ClientDraft::new(
            DisplayName::parse("App").expect("name"),
            DEFAULT_GRANT_TYPES.to_vec(),
        );
        assert_eq!(draft.id_token_alg.as_str(), "ES256");
        for alg in SigningAlg::ALL {
            assert_eq!(parse_id_token_alg(Some(alg.as_str())), Ok(Some(alg)));
        }
        assert_eq!(parse_id_token_alg(None), Ok(None));
        for bad in ["none", "HS256", "rs256", "EDDSA"] {
            assert_eq!(
                parse_id_token_alg(Some(bad)),
                Err(ClientRuleError::IdTokenAlg),
                "{bad}"
            );
        }
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
        assert_eq!(changed.lifetimes().access_secs(), 900, "kept");
        assert_eq!(changed.refresh_reuse_interval().secs(), 10);
        assert!(changed.first_party());
        assert_eq!(changed.redirect_uris(), client.settings.redirect_uris());
    }
}
