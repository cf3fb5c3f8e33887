//! The analyst's monthly budget, in tokens as the model's answers count
//! them (`usage.total_tokens`).
use time::OffsetDateTime;

/// The calendar month (UTC) `at` (unix seconds) falls in, `YYYY-MM`: the
/// key the tokens spent are counted under.
pub fn month_of(at: i64) -> String {
    let at = OffsetDateTime::from_unix_timestamp(at).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format!("{:04}-{:02}", at.year(), u8::from(at.month()))
}

/// Whether another call may be made when `spent` tokens of `budget` are
/// spent this month. A call's size is known only from its answer, so the
/// last call of a month may go past the budget by its own size.
pub fn may_call(spent: i64, budget: u64) -> bool {
    u64::try_from(spent).map_or(true, |spent| spent < budget)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_utc_calendar_months() {
        // 2026-12-31 23:59:59 and 2027-01-01 00:00:00 UTC.
        assert_eq!(month_of(1_798_761_599), "2026-12");
        assert_eq!(month_of(1_798_761_600), "2027-01");
        assert_eq!(month_of(0), "1970-01");
    }

    #[test]
    fn calls_stop_once_the_budget_is_spent() {
        assert!(may_call(0, 1000));
        assert!(may_call(999, 1000));
        assert!(!may_call(1000, 1000));
        assert!(!may_call(1500, 1000));
    }
}
