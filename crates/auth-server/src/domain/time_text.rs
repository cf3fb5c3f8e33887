//! How a moment reads to people, in pages and mails: UTC, to the minute
//! (`2026-11-26 15:26 UTC`) or to the day (`2026-11-26`).
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::OffsetDateTime;

const MINUTE: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
const DAY: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");

/// `2026-11-26 15:26 UTC`; empty for a moment out of range.
pub fn minute_utc(unix: i64) -> String {
    formatted(unix, MINUTE)
}

/// `2026-11-26` (UTC); empty for a moment out of range.
pub fn day_utc(unix: i64) -> String {
    formatted(unix, DAY)
}

fn formatted(unix: i64, format: &[BorrowedFormatItem<'static>]) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(format).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_read_in_utc() {
        assert_eq!(minute_utc(1_764_170_760), "2025-11-26 15:26 UTC");
        assert_eq!(day_utc(1_764_170_760), "2025-11-26");
        assert_eq!(day_utc(0), "1970-01-01");
    }

    #[test]
    fn a_moment_out_of_range_reads_empty() {
        assert_eq!(minute_utc(i64::MAX), "");
        assert_eq!(day_utc(i64::MIN), "");
    }
}
