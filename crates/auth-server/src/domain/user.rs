//! An end user of a tenant. The same email in two tenants is two unrelated users.
use std::fmt;

use serde_json::{Map, Value};

use super::display_name::DisplayName;
use super::email::Email;
use super::json_object::{self, JsonObjectError};
use super::tenant::TenantId;

pub const METADATA_MAX_BYTES: usize = 4 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserId(uuid::Uuid);

impl UserId {
    pub fn new() -> Self {
        Self(uuid::Uuid::new_v4())
    }

    pub fn parse(text: &str) -> Option<Self> {
        uuid::Uuid::parse_str(text).ok().map(Self)
    }

    /// The id as a UUID: the WebAuthn user handle of the user's passkeys.
    pub fn as_uuid(&self) -> uuid::Uuid {
        self.0
    }

    pub fn from_uuid(id: uuid::Uuid) -> Self {
        Self(id)
    }
}

impl Default for UserId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UsernameError {
    #[error("a username has 3 to 32 characters: lowercase letters, digits, `.`, `_` or `-`")]
    Invalid,
}

/// Optional login name, unique per tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(text: &str) -> Result<Self, UsernameError> {
        let text = text.trim().to_lowercase();
        let ok = (3..=32).contains(&text.len())
            && text.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
            });
        if ok {
            Ok(Self(text))
        } else {
            Err(UsernameError::Invalid)
        }
    }

    pub(crate) fn from_trusted(text: String) -> Self {
        Self(text)
    }
}

impl AsRef<str> for Username {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MetadataError {
    #[error("metadata {0}")]
    Json(#[from] JsonObjectError),
}

/// Arbitrary JSON the tenant keeps about a user, size-capped.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UserMetadata(Map<String, Value>);

impl UserMetadata {
    pub fn parse(value: Value) -> Result<Self, MetadataError> {
        Ok(Self(json_object::parse(value, METADATA_MAX_BYTES)?))
    }

    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    pub fn to_json(&self) -> String {
        Value::Object(self.0.clone()).to_string()
    }
}

/// `Debug` leaves out the password hash and the sealed TOTP seed.
#[derive(Clone)]
pub struct User {
    pub id: UserId,
    pub tenant_id: TenantId,
    pub email: Email,
    pub username: Option<Username>,
    pub display_name: DisplayName,
    pub password_hash: Option<String>,
    pub email_verified_at: Option<i64>,
    pub metadata: UserMetadata,
    /// The sealed TOTP seed; enrolment is finished when `mfa_enabled_at` is set.
    pub totp_secret: Option<String>,
    pub totp_last_step: Option<i64>,
    /// Until when a seed shown at enrolment (not yet confirmed) is accepted.
    pub totp_pending_until: Option<i64>,
    pub mfa_enabled_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_login_at: Option<i64>,
    pub disabled_at: Option<i64>,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |set: bool| if set { "[redacted]" } else { "None" };
        f.debug_struct("User")
            .field("id", &self.id)
            .field("tenant_id", &self.tenant_id)
            .field("email", &self.email)
            .field("username", &self.username)
            .field("password_hash", &redacted(self.password_hash.is_some()))
            .field("email_verified_at", &self.email_verified_at)
            .field("totp_secret", &redacted(self.totp_secret.is_some()))
            .field("totp_pending_until", &self.totp_pending_until)
            .field("mfa_enabled_at", &self.mfa_enabled_at)
            .field("disabled_at", &self.disabled_at)
            .finish_non_exhaustive()
    }
}

impl User {
    pub fn mfa_enabled(&self) -> bool {
        self.mfa_enabled_at.is_some()
    }

    pub fn is_disabled(&self) -> bool {
        self.disabled_at.is_some()
    }

    /// The sealed seed of an enrolment still in progress at `now`: shown
    /// after a password check, confirmed with a code before it expires.
    pub fn pending_totp(&self, now: i64) -> Option<&str> {
        if self.mfa_enabled() {
            return None;
        }
        match self.totp_pending_until {
            Some(until) if now < until => self.totp_secret.as_deref(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn usernames_are_lowercased_and_restricted() {
        assert_eq!(
            Username::parse(" Alice_M ").map(|u| u.0),
            Ok("alice_m".into())
        );
        for bad in ["al", "alice martin", "alice@x", &"a".repeat(33)] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn metadata_is_a_bounded_object() {
        assert!(UserMetadata::parse(json!({"plan": "pro"})).is_ok());
        assert!(UserMetadata::parse(json!("x")).is_err());
        assert!(UserMetadata::parse(json!({"x": "a".repeat(METADATA_MAX_BYTES)})).is_err());
    }

    fn user(totp_secret: Option<&str>, pending_until: Option<i64>, enabled: Option<i64>) -> User {
        User {
            id: UserId::new(),
            tenant_id: TenantId::new(),
            email: crate::domain::email::Email::parse("a@example.com").expect("email"),
            username: None,
            display_name: DisplayName::parse("A").expect("name"),
            password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
            email_verified_at: Some(1),
            metadata: UserMetadata::default(),
            totp_secret: totp_secret.map(str::to_owned),
            totp_last_step: None,
            totp_pending_until: pending_until,
            mfa_enabled_at: enabled,
            created_at: 1,
            updated_at: 1,
            last_login_at: None,
            disabled_at: None,
        }
    }

    #[test]
    fn a_pending_seed_is_accepted_only_until_it_expires() {
        let pending = user(Some("sealed"), Some(1_000), None);
        assert_eq!(pending.pending_totp(999), Some("sealed"));
        assert_eq!(pending.pending_totp(1_000), None, "expired at the instant");
        assert_eq!(user(Some("sealed"), None, None).pending_totp(0), None);
        assert_eq!(
            user(Some("sealed"), Some(1_000), Some(5)).pending_totp(0),
            None,
            "an enabled seed is not a pending one"
        );
    }

    #[test]
    fn debug_hides_the_password_hash_and_the_seed() {
        let shown = format!("{:?}", user(Some("sealed-seed"), Some(1), None));
        assert!(
            !shown.contains("argon2") && !shown.contains("sealed-seed"),
            "{shown}"
        );
        assert!(shown.contains("a@example.com"), "{shown}");
    }
}
