//! A person of Connect People: an end user of the trusted tenant, known by
//! the `sub` of their access tokens, with the profile they chose to show.
use std::fmt;

use super::text::{TextError, TextRule};

pub const DISPLAY_NAME: TextRule = TextRule {
    field: "display_name",
    max_chars: 100,
    multiline: false,
};
pub const BIO: TextRule = TextRule {
    field: "bio",
    max_chars: 500,
    multiline: true,
};
pub const LOCATION: TextRule = TextRule {
    field: "location",
    max_chars: 100,
    multiline: false,
};

/// Longest identifier accepted from a token or a request, in bytes.
pub const ID_MAX_BYTES: usize = 255;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("an identifier has 1 to {ID_MAX_BYTES} bytes, without spaces or control characters")]
pub struct IdError;

fn check_id(text: &str) -> Result<(), IdError> {
    let ok = !text.is_empty()
        && text.len() <= ID_MAX_BYTES
        && !text.chars().any(|c| c.is_control() || c.is_whitespace());
    ok.then_some(()).ok_or(IdError)
}

/// The tenant a person belongs to: the `tid` claim of their tokens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TenantId(String);

impl TenantId {
    pub fn parse(text: &str) -> Result<Self, IdError> {
        check_id(text).map(|()| Self(text.to_owned()))
    }
}

impl AsRef<str> for TenantId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A person's id: the issuer's `sub`, opaque and case-sensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PersonId(String);

impl PersonId {
    pub fn parse(text: &str) -> Result<Self, IdError> {
        check_id(text).map(|()| Self(text.to_owned()))
    }
}

impl AsRef<str> for PersonId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PersonId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who is calling: a person of a tenant, as their access token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub tenant: TenantId,
    pub person: PersonId,
}

/// What a person shows of themselves. Every field valid by construction.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Profile {
    display_name: Option<String>,
    bio: Option<String>,
    location: Option<String>,
}

impl Profile {
    /// A whole new profile (`PUT /v1/me`): the name is required, the rest
    /// may be absent or blank, which clears it.
    pub fn parse(
        display_name: &str,
        bio: Option<&str>,
        location: Option<&str>,
    ) -> Result<Self, TextError> {
        Ok(Self {
            display_name: Some(DISPLAY_NAME.required(display_name)?),
            bio: bio.map(|b| BIO.clean(b)).transpose()?.flatten(),
            location: location.map(|l| LOCATION.clean(l)).transpose()?.flatten(),
        })
    }

    /// A profile read back from our own database, checked when written.
    pub(crate) fn from_trusted(
        display_name: Option<String>,
        bio: Option<String>,
        location: Option<String>,
    ) -> Self {
        Self {
            display_name,
            bio,
            location,
        }
    }

    /// `None` until the person names themselves.
    pub fn display_name(&self) -> Option<&str> {
        self.display_name.as_deref()
    }

    pub fn bio(&self) -> Option<&str> {
        self.bio.as_deref()
    }

    pub fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub tenant: TenantId,
    pub id: PersonId,
    pub profile: Profile,
    /// Unix seconds.
    pub created_at: i64,
    pub updated_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_bounded_opaque_text() {
        assert!(PersonId::parse("3f0c7c8e-1a2b-4c3d-9e8f-0a1b2c3d4e5f").is_ok());
        assert!(PersonId::parse("auth0|AbC").is_ok());
        assert_eq!(PersonId::parse(""), Err(IdError));
        assert_eq!(PersonId::parse("a b"), Err(IdError));
        assert_eq!(PersonId::parse("a\u{0}"), Err(IdError));
        assert_eq!(PersonId::parse(&"x".repeat(256)), Err(IdError));
        assert!(TenantId::parse(&"x".repeat(255)).is_ok());
    }

    #[test]
    fn a_profile_needs_a_name_and_clears_blank_fields() {
        let p = Profile::parse(" Zoé ", Some("  "), None).expect("valid");
        assert_eq!(p.display_name(), Some("Zoé"));
        assert_eq!((p.bio(), p.location()), (None, None));
        assert_eq!(
            Profile::parse("", None, None),
            Err(TextError::Empty("display_name"))
        );
        assert!(Profile::parse(&"n".repeat(101), None, None).is_err());
        assert!(Profile::parse("n", Some(&"b".repeat(501)), None).is_err());
        assert!(Profile::parse("n", Some(&"b".repeat(500)), Some(&"l".repeat(100))).is_ok());
        assert!(Profile::parse("n", None, Some(&"l".repeat(101))).is_err());
    }
}
