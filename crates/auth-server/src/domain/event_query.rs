//! How the audit trail is searched: which events a search keeps, and where
//! a page of them (newest first) ends.

/// Which events a search keeps; `None` keeps any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    pub kind: Option<String>,
    pub user_id: Option<String>,
    pub ip: Option<String>,
    /// Unix seconds, inclusive.
    pub from: Option<i64>,
    /// Unix seconds, exclusive.
    pub until: Option<i64>,
}

/// Where a page of events (newest first) ends: the next page starts after
/// this event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventCursor {
    pub created_at: i64,
    pub id: String,
}

impl EventCursor {
    /// `created_at.id`, as it goes in a URL.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.created_at, self.id)
    }

    pub fn decode(text: &str) -> Option<Self> {
        let (at, id) = text.split_once('.')?;
        let id = uuid::Uuid::parse_str(id).ok()?.to_string();
        Some(Self {
            created_at: at.parse().ok()?,
            id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_goes_through_a_url_and_nothing_else_decodes() {
        let cursor = EventCursor {
            created_at: 1_764_000_000,
            id: "1b4e28ba-2fa1-11d2-883f-0016d3cca427".into(),
        };
        assert_eq!(EventCursor::decode(&cursor.encode()), Some(cursor));
        for bad in [
            "",
            "12",
            "x.1b4e28ba-2fa1-11d2-883f-0016d3cca427",
            "12.not-a-uuid",
            "12.' OR 1=1",
        ] {
            assert_eq!(EventCursor::decode(bad), None, "{bad}");
        }
    }
}
