//! Text people type for others to read: trimmed, bounded in characters, and
//! free of control and invisible formatting characters (bidi overrides,
//! zero-width spaces), which would let one name pass for another.

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TextError {
    #[error("{0} must not be empty")]
    Empty(&'static str),
    #[error("{field} must be at most {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("{0} must not contain control or invisible formatting characters")]
    NotPrintable(&'static str),
}

/// How one field is cleaned.
pub struct TextRule {
    pub field: &'static str,
    pub max_chars: usize,
    /// Line breaks allowed (a bio), else one line (a name, a place).
    pub multiline: bool,
}

impl TextRule {
    /// The cleaned text, or `None` when nothing but whitespace was given.
    pub fn clean(&self, text: &str) -> Result<Option<String>, TextError> {
        let text = if self.multiline {
            text.replace("\r\n", "\n")
        } else {
            text.to_owned()
        };
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        if text.chars().count() > self.max_chars {
            return Err(TextError::TooLong {
                field: self.field,
                max: self.max_chars,
            });
        }
        let allowed =
            |c: char| !is_invisible(c) && (!c.is_control() || (self.multiline && c == '\n'));
        if !text.chars().all(allowed) {
            return Err(TextError::NotPrintable(self.field));
        }
        Ok(Some(text.to_owned()))
    }

    /// Like [`clean`](Self::clean), but the text is required.
    pub fn required(&self, text: &str) -> Result<String, TextError> {
        self.clean(text)?.ok_or(TextError::Empty(self.field))
    }
}

/// Characters that change how text around them displays without showing
/// themselves. Joiners (U+200C, U+200D) stay: emoji and several scripts need them.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{200B}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}' | '\u{00AD}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: TextRule = TextRule {
        field: "name",
        max_chars: 5,
        multiline: false,
    };
    const PARAGRAPH: TextRule = TextRule {
        field: "bio",
        max_chars: 10,
        multiline: true,
    };

    #[test]
    fn trimmed_and_counted_in_characters() {
        assert_eq!(LINE.clean("  Zoé  "), Ok(Some("Zoé".into())));
        assert_eq!(LINE.clean("ééééé"), Ok(Some("ééééé".into())));
        assert_eq!(
            LINE.clean("éééééé"),
            Err(TextError::TooLong {
                field: "name",
                max: 5
            })
        );
        assert_eq!(LINE.clean(" \t "), Ok(None));
        assert_eq!(LINE.required(" "), Err(TextError::Empty("name")));
    }

    #[test]
    fn control_and_invisible_characters_are_refused() {
        for bad in ["a\nb", "a\u{0}b", "a\u{202E}b", "a\u{200B}b", "a\u{7F}"] {
            assert_eq!(
                LINE.clean(bad),
                Err(TextError::NotPrintable("name")),
                "{bad:?}"
            );
        }
        assert!(LINE.clean("👨\u{200D}👩").is_ok(), "emoji joiners are fine");
    }

    #[test]
    fn paragraphs_keep_line_breaks_only() {
        assert_eq!(PARAGRAPH.clean("a\r\nb\n"), Ok(Some("a\nb".into())));
        assert_eq!(PARAGRAPH.clean("a\tb"), Err(TextError::NotPrintable("bio")));
    }
}
