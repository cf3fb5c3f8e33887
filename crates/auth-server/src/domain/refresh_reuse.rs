//! What a spent refresh token presented again means (RFC 9700 §4.14.2). By
//! default it is a theft signal and the whole family is revoked at once. A
//! client may allow a short interval (`refresh_token_reuse_interval_secs`)
//! in which a retry of a refresh whose response was lost, or two refreshes
//! racing with one token, gets the pair the first use produced instead.
use super::client::ClientRuleError;

pub const REFRESH_REUSE_INTERVAL_MAX_SECS: i64 = 60;

/// Seconds after a refresh token is spent during which presenting it again
/// returns the same new pair: 0 (the default, no interval) to 60.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RefreshReuseInterval(i64);

/// The answer to a spent refresh token presented again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// Within the interval: the response of the first use, again.
    SamePair,
    /// The family is revoked (a stolen token, or a retry too late).
    RevokeFamily,
}

impl RefreshReuseInterval {
    pub fn parse(secs: i64) -> Result<Self, ClientRuleError> {
        if (0..=REFRESH_REUSE_INTERVAL_MAX_SECS).contains(&secs) {
            Ok(Self(secs))
        } else {
            Err(ClientRuleError::RefreshReuseInterval)
        }
    }

    /// A value read back from our own database, checked when written.
    pub(crate) fn from_trusted(secs: i64) -> Self {
        Self(secs)
    }

    pub fn secs(self) -> i64 {
        self.0
    }

    /// Until when (exclusive, Unix seconds) a token spent at `spent_at` may be
    /// presented again; `None` with no interval.
    pub fn replay_until(self, spent_at: i64) -> Option<i64> {
        (self.0 > 0).then(|| spent_at + self.0)
    }
}

impl Replay {
    /// The answer at `now` to a token whose replay window ends at `until`
    /// (fixed when it was spent, see [`RefreshReuseInterval::replay_until`]).
    pub fn at(until: Option<i64>, now: i64) -> Self {
        match until {
            Some(until) if now < until => Replay::SamePair,
            Some(_) | None => Replay::RevokeFamily,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interval_is_zero_to_sixty_seconds_and_zero_by_default() {
        assert_eq!(RefreshReuseInterval::default().secs(), 0);
        assert_eq!(RefreshReuseInterval::parse(0).map(|i| i.secs()), Ok(0));
        assert_eq!(RefreshReuseInterval::parse(60).map(|i| i.secs()), Ok(60));
        for bad in [-1, 61, 3600, i64::MIN, i64::MAX] {
            assert_eq!(
                RefreshReuseInterval::parse(bad),
                Err(ClientRuleError::RefreshReuseInterval),
                "{bad}"
            );
        }
    }

    #[test]
    fn without_an_interval_any_replay_revokes_the_family() {
        let until = RefreshReuseInterval::default().replay_until(1_000);
        assert_eq!(until, None);
        assert_eq!(Replay::at(until, 1_000), Replay::RevokeFamily);
    }

    #[test]
    fn within_the_interval_the_same_pair_after_it_revocation() {
        let until = RefreshReuseInterval::parse(30)
            .expect("in range")
            .replay_until(1_000);
        assert_eq!(until, Some(1_030));
        assert_eq!(Replay::at(until, 1_000), Replay::SamePair);
        assert_eq!(Replay::at(until, 1_029), Replay::SamePair);
        assert_eq!(Replay::at(until, 1_030), Replay::RevokeFamily);
    }
}
