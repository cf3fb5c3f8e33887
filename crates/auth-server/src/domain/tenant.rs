//! A tenant: one customer of ConnectAuth, with its own users, clients, keys
//! and issuer (`{PUBLIC_URL}/t/{slug}`).
use std::fmt;

pub use super::display_name::{DisplayName, DisplayNameError};
pub use super::tenant_settings::{SettingsError, TenantSettings};

/// The reserved tenant where owners and operators log in and whose tokens
/// ConnectAuth's own services exchange (`billing::platform`). Reserved, so
/// `TenantSlug::parse` refuses it and only the server makes it.
pub const PLATFORM_SLUG: &str = "platform";

/// Slugs users may not take: they name parts of the product or its URLs.
pub const RESERVED_SLUGS: &[&str] = &[
    PLATFORM_SLUG,
    "admin",
    "administrator",
    "api",
    "www",
    "t",
    "static",
    "assets",
    "app",
    "auth",
    "login",
    "logout",
    "signup",
    "register",
    "oauth",
    "oauth2",
    "oidc",
    "well-known",
    "manage",
    "management",
    "dashboard",
    "billing",
    "healthz",
    "readyz",
    "metrics",
    "status",
    "connectauth",
    "root",
    "system",
    "support",
    "help",
    "docs",
    "security",
    "internal",
    "mail",
    "email",
    "smtp",
    "default",
    "null",
    "undefined",
    "new",
    "settings",
    "account",
    "accounts",
    "tenant",
    "tenants",
];
pub const SLUG_MIN: usize = 3;
pub const SLUG_MAX: usize = 40;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TenantRuleError {
    #[error("slug must be {SLUG_MIN} to {SLUG_MAX} characters long")]
    SlugLength,
    #[error("slug may contain only lowercase letters a-z, digits and hyphens")]
    SlugCharacters,
    #[error("slug must start and end with a letter or a digit")]
    SlugEdge,
    #[error("slug `{0}` is reserved")]
    SlugReserved(String),
    #[error(transparent)]
    DisplayName(#[from] DisplayNameError),
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error("tenant id must be a UUID")]
    BadId,
}

/// A tenant's URL name, valid by construction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TenantSlug(String);

impl TenantSlug {
    pub fn parse(text: &str) -> Result<Self, TenantRuleError> {
        let len = text.chars().count();
        if !(SLUG_MIN..=SLUG_MAX).contains(&len) {
            return Err(TenantRuleError::SlugLength);
        }
        if !text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(TenantRuleError::SlugCharacters);
        }
        if text.starts_with('-') || text.ends_with('-') {
            return Err(TenantRuleError::SlugEdge);
        }
        if RESERVED_SLUGS.contains(&text) {
            return Err(TenantRuleError::SlugReserved(text.to_owned()));
        }
        Ok(Self(text.to_owned()))
    }

    /// A slug read back from our own database: already checked when written,
    /// but reserved names (`platform`) are allowed for system tenants.
    pub(crate) fn from_trusted(text: String) -> Self {
        Self(text)
    }
}

impl AsRef<str> for TenantSlug {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A tenant's id (a UUID, stored as text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TenantId(uuid::Uuid);

impl TenantId {
    pub fn new() -> Self {
        Self(uuid::Uuid::new_v4())
    }

    pub fn parse(text: &str) -> Result<Self, TenantRuleError> {
        uuid::Uuid::parse_str(text)
            .map(Self)
            .map_err(|_| TenantRuleError::BadId)
    }
}

impl Default for TenantId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tenant {
    pub id: TenantId,
    pub slug: TenantSlug,
    pub display_name: DisplayName,
    pub settings: TenantSettings,
    /// Unix seconds.
    pub created_at: i64,
    pub updated_at: i64,
    pub disabled_at: Option<i64>,
}

impl Tenant {
    pub fn is_disabled(&self) -> bool {
        self.disabled_at.is_some()
    }
}

/// What creating a tenant needs.
#[derive(Debug, Clone)]
pub struct NewTenant {
    pub slug: TenantSlug,
    pub display_name: DisplayName,
    pub settings: TenantSettings,
}

/// A partial update: `None` leaves the field as it is.
#[derive(Debug, Clone, Default)]
pub struct TenantUpdate {
    pub display_name: Option<DisplayName>,
    pub settings: Option<TenantSettings>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_slugs_parse() {
        for s in [
            "abc",
            "connect-people",
            "a1b2",
            "x".repeat(40).as_str(),
            "123",
        ] {
            assert!(TenantSlug::parse(s).is_ok(), "{s}");
        }
    }

    #[test]
    fn slug_length_is_bounded() {
        assert_eq!(TenantSlug::parse("ab"), Err(TenantRuleError::SlugLength));
        assert_eq!(
            TenantSlug::parse(&"a".repeat(41)),
            Err(TenantRuleError::SlugLength)
        );
        assert_eq!(TenantSlug::parse(""), Err(TenantRuleError::SlugLength));
    }

    #[test]
    fn slug_characters_are_restricted() {
        for s in [
            "Acme", "ac me", "acme_co", "acmé", "ac.me", "acme/x", "ac%20", "ACME",
        ] {
            assert_eq!(
                TenantSlug::parse(s),
                Err(TenantRuleError::SlugCharacters),
                "{s}"
            );
        }
    }

    #[test]
    fn slug_cannot_start_or_end_with_hyphen() {
        assert_eq!(TenantSlug::parse("-acme"), Err(TenantRuleError::SlugEdge));
        assert_eq!(TenantSlug::parse("acme-"), Err(TenantRuleError::SlugEdge));
    }

    #[test]
    fn reserved_slug_is_rejected() {
        for s in ["platform", "admin", "api", "www", "static", "well-known"] {
            assert!(
                matches!(TenantSlug::parse(s), Err(TenantRuleError::SlugReserved(_))),
                "{s}"
            );
        }
    }

    #[test]
    fn tenant_ids_must_be_uuids() {
        assert!(TenantId::parse("not-a-uuid").is_err());
        let id = TenantId::new();
        assert_eq!(TenantId::parse(&id.to_string()), Ok(id));
    }
}
