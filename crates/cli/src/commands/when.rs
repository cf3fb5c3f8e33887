//! How the commands print a moment: RFC 3339 in UTC, or the raw seconds
//! when they are out of range.
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub(crate) fn when(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| unix.to_string())
}
