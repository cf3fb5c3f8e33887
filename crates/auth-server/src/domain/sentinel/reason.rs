//! Why an operator acted (a block by hand, a secret marked compromised), as
//! the audit trail, the block list and the tenant's webhooks show it.

/// At most this many characters.
pub const MAX_REASON_CHARS: usize = 200;

/// A reason: trimmed, 1 to [`MAX_REASON_CHARS`] characters, no control
/// characters (one line in every list that shows it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("reason: 1 to {MAX_REASON_CHARS} characters, no control characters")]
pub struct ReasonError;

impl Reason {
    pub fn parse(text: &str) -> Result<Self, ReasonError> {
        let text = text.trim();
        if text.is_empty()
            || text.chars().count() > MAX_REASON_CHARS
            || text.chars().any(char::is_control)
        {
            return Err(ReasonError);
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_trimmed_line_of_at_most_200_characters() {
        assert_eq!(
            Reason::parse("  leaked in a log ").map(|r| r.0),
            Ok("leaked in a log".to_owned())
        );
        assert!(Reason::parse(&"é".repeat(MAX_REASON_CHARS)).is_ok());
        let long = "x".repeat(MAX_REASON_CHARS + 1);
        for bad in ["", "   ", "two\nlines", "tab\there", long.as_str()] {
            assert_eq!(Reason::parse(bad), Err(ReasonError), "{bad:?}");
        }
    }
}
