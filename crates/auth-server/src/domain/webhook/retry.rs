//! When a failed delivery is tried again: after 30 s, then twice as long
//! each time, at most an hour apart, until the retry period (24 h by
//! default) has passed since the event; then it is given up. An endpoint
//! whose deliveries have failed for the whole retry period is disabled.

/// The first wait after a failure.
pub const FIRST_DELAY_SECS: i64 = 30;
/// The longest wait between two attempts.
pub const MAX_DELAY_SECS: i64 = 3600;

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again at this time.
    RetryAt(i64),
    /// The retry period is over: the delivery has failed.
    GiveUp,
}

/// After the `attempts`-th failed attempt (1 for the first) at `now`, of a
/// delivery retried until `retry_until`.
pub fn after_failure(attempts: i64, now: i64, retry_until: i64) -> AfterFailure {
    let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    let delay = FIRST_DELAY_SECS
        .saturating_mul(1_i64 << exponent)
        .min(MAX_DELAY_SECS);
    if now >= retry_until {
        AfterFailure::GiveUp
    } else {
        AfterFailure::RetryAt(now.saturating_add(delay).min(retry_until))
    }
}

/// Whether an endpoint failing since `failing_since` has failed for the
/// whole retry period at `now` and is to be disabled.
pub fn failed_too_long(failing_since: Option<i64>, now: i64, retry_secs: i64) -> bool {
    failing_since.is_some_and(|since| now.saturating_sub(since) >= retry_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 24 * 3600;

    #[test]
    fn waits_double_from_thirty_seconds_up_to_an_hour() {
        let until = DAY;
        let waits: Vec<i64> = (1..=9)
            .map(|n| match after_failure(n, 0, until) {
                AfterFailure::RetryAt(at) => at,
                AfterFailure::GiveUp => panic!("gave up at {n}"),
            })
            .collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        // Far past the doubling, the wait stays an hour.
        assert_eq!(after_failure(500, 0, until), AfterFailure::RetryAt(3600));
    }

    #[test]
    fn the_last_attempt_falls_on_the_end_of_the_period_then_it_gives_up() {
        let until = DAY;
        assert_eq!(
            after_failure(20, until - 60, until),
            AfterFailure::RetryAt(until)
        );
        assert_eq!(after_failure(20, until, until), AfterFailure::GiveUp);
        assert_eq!(after_failure(1, until + 5, until), AfterFailure::GiveUp);
    }

    #[test]
    fn a_redelivery_with_no_period_is_tried_once() {
        assert_eq!(after_failure(1, 100, 100), AfterFailure::GiveUp);
    }

    #[test]
    fn an_endpoint_is_disabled_after_failing_for_the_whole_period() {
        assert!(!failed_too_long(None, DAY * 9, DAY));
        assert!(!failed_too_long(Some(10), DAY + 9, DAY));
        assert!(failed_too_long(Some(10), DAY + 10, DAY));
    }
}
