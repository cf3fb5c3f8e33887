//! A name shown to people (a tenant's, a user's): trimmed, bounded, printable.
pub const DISPLAY_NAME_MAX: usize = 100;

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum DisplayNameError {
    #[error("display name must not be empty")]
    Empty,
    #[error("display name must be at most {DISPLAY_NAME_MAX} characters")]
    TooLong,
    #[error("display name must not contain control characters")]
    Control,
    #[error("display name must not start or end with whitespace")]
    Surrounded,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(text: &str) -> Result<Self, DisplayNameError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(DisplayNameError::Empty);
        }
        if text.chars().count() > DISPLAY_NAME_MAX {
            return Err(DisplayNameError::TooLong);
        }
        if text.chars().any(char::is_control) {
            return Err(DisplayNameError::Control);
        }
        Ok(Self(text.to_owned()))
    }

    /// A name given through an API, taken exactly as sent: surrounding
    /// whitespace is refused rather than trimmed, so what the API documents
    /// (`name_pattern`) and what it accepts are the same set.
    pub fn parse_exact(text: &str) -> Result<Self, DisplayNameError> {
        if text.trim() != text && !text.trim().is_empty() {
            return Err(DisplayNameError::Surrounded);
        }
        Self::parse(text)
    }

    /// A name read back from our own database, checked when it was written.
    pub(crate) fn from_trusted(text: String) -> Self {
        Self(text)
    }
}

impl AsRef<str> for DisplayName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimmed_bounded_printable() {
        assert_eq!(
            DisplayName::parse("  Acme  ").map(|d| d.0),
            Ok("Acme".into())
        );
        assert_eq!(DisplayName::parse("   "), Err(DisplayNameError::Empty));
        assert_eq!(
            DisplayName::parse(&"é".repeat(101)),
            Err(DisplayNameError::TooLong)
        );
        assert!(DisplayName::parse(&"é".repeat(100)).is_ok());
        assert_eq!(
            DisplayName::parse("a\u{0}b"),
            Err(DisplayNameError::Control)
        );
    }

    #[test]
    fn api_names_are_taken_exactly() {
        assert_eq!(
            DisplayName::parse_exact(" Acme"),
            Err(DisplayNameError::Surrounded)
        );
        assert_eq!(
            DisplayName::parse_exact("Acme\u{3000}"),
            Err(DisplayNameError::Surrounded)
        );
        assert_eq!(
            DisplayName::parse_exact("   "),
            Err(DisplayNameError::Empty)
        );
        assert!(DisplayName::parse_exact("Acme Inc.").is_ok());
    }
}
