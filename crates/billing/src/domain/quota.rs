//! Where a tenant stands against its monthly-active-user limit.
use serde::Serialize;
use utoipa::ToSchema;

use super::plan::{plan_that_fits, PlanId};

/// Percentages of the limit at which the tenant owner is emailed, once each
/// per month.
pub const NOTICE_THRESHOLDS: [u32; 2] = [80, 100];

/// Where usage stands against the limit: `none`, `approaching` (≥ 80 %),
/// `reached` (≥ 100 %), `over_limit` (at the hard limit: signups refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Warning {
    None,
    /// At or above 80 %.
    Approaching,
    /// At or above 100 %: still working, an upgrade is due.
    Reached,
    /// At or above the hard limit: new signups are refused.
    OverLimit,
}

/// One tenant's usage in one month, against its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub used: u64,
    /// `None`: no limit (Enterprise without a contractual figure).
    pub limit: Option<u64>,
    pub hard_limit_percent: u32,
}

impl Quota {
    /// Rounded down, so 79.9 % is not yet 80 %.
    pub fn percent(&self) -> Option<u64> {
        let limit = self.limit?;
        if limit == 0 {
            return Some(if self.used == 0 { 0 } else { u64::MAX });
        }
        Some(self.used.saturating_mul(100) / limit)
    }

    /// The number of users at which signups stop (limit × hard %, rounded down).
    pub fn hard_limit(&self) -> Option<u64> {
        self.limit
            .map(|l| l.saturating_mul(u64::from(self.hard_limit_percent)) / 100)
    }

    pub fn warning(&self) -> Warning {
        let Some(percent) = self.percent() else {
            return Warning::None;
        };
        if !self.signups_allowed() {
            Warning::OverLimit
        } else if percent >= 100 {
            Warning::Reached
        } else if percent >= 80 {
            Warning::Approaching
        } else {
            Warning::None
        }
    }

    /// Reaching the hard limit closes signups; existing users always log in.
    pub fn signups_allowed(&self) -> bool {
        self.hard_limit().is_none_or(|hard| self.used < hard)
    }

    /// The notice thresholds reached, smallest first.
    pub fn thresholds_reached(&self) -> Vec<u32> {
        let Some(percent) = self.percent() else {
            return Vec::new();
        };
        NOTICE_THRESHOLDS
            .into_iter()
            .filter(|t| percent >= u64::from(*t))
            .collect()
    }

    /// The plan to suggest once 80 % is reached, if it is bigger than `current`.
    pub fn suggestion(&self, current: PlanId) -> Option<PlanId> {
        if matches!(self.warning(), Warning::None) {
            return None;
        }
        // Leave room to grow: at least the next plan up, and a quarter more
        // users than today.
        let next_up = self.limit.map_or(0, |l| l.saturating_add(1));
        let wanted = plan_that_fits(self.used.saturating_add(self.used / 4).max(next_up));
        (wanted > current).then_some(wanted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn free(used: u64) -> Quota {
        Quota {
            used,
            limit: Some(1_000),
            hard_limit_percent: 110,
        }
    }

    #[test]
    fn warnings_follow_the_thresholds() {
        assert_eq!(free(0).warning(), Warning::None);
        assert_eq!(free(799).warning(), Warning::None);
        assert_eq!(free(800).warning(), Warning::Approaching);
        assert_eq!(free(999).warning(), Warning::Approaching);
        assert_eq!(free(1_000).warning(), Warning::Reached);
        assert_eq!(free(1_099).warning(), Warning::Reached);
        assert_eq!(free(1_100).warning(), Warning::OverLimit);
    }

    #[test]
    fn signups_stop_at_the_hard_limit_only() {
        assert_eq!(free(0).hard_limit(), Some(1_100));
        assert!(free(1_099).signups_allowed());
        assert!(!free(1_100).signups_allowed());
        assert!(!free(5_000).signups_allowed());
        let strict = Quota {
            hard_limit_percent: 100,
            ..free(1_000)
        };
        assert!(!strict.signups_allowed());
        let unlimited = Quota {
            used: 10_000_000,
            limit: None,
            hard_limit_percent: 110,
        };
        assert!(unlimited.signups_allowed());
        assert_eq!(unlimited.warning(), Warning::None);
        assert!(unlimited.thresholds_reached().is_empty());
    }

    #[test]
    fn thresholds_and_suggestions() {
        assert!(free(799).thresholds_reached().is_empty());
        assert_eq!(free(800).thresholds_reached(), vec![80]);
        assert_eq!(free(1_000).thresholds_reached(), vec![80, 100]);
        assert_eq!(free(700).suggestion(PlanId::Free), None);
        assert_eq!(free(800).suggestion(PlanId::Free), Some(PlanId::Starter));
        assert_eq!(free(900).suggestion(PlanId::Free), Some(PlanId::Starter));
        assert_eq!(free(4_500).suggestion(PlanId::Free), Some(PlanId::Pro));
        let starter = Quota {
            used: 4_500,
            limit: Some(5_000),
            hard_limit_percent: 110,
        };
        assert_eq!(starter.suggestion(PlanId::Starter), Some(PlanId::Pro));
        let pro = Quota {
            used: 19_000,
            limit: Some(20_000),
            hard_limit_percent: 110,
        };
        assert_eq!(pro.suggestion(PlanId::Pro), Some(PlanId::Enterprise));
    }

    #[test]
    fn a_zero_limit_is_over_at_once() {
        let zero = Quota {
            used: 1,
            limit: Some(0),
            hard_limit_percent: 110,
        };
        assert!(!zero.signups_allowed());
        assert_eq!(zero.warning(), Warning::OverLimit);
    }
}
