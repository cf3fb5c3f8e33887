//! The platform operators' daily report across tenants: each tenant's
//! security figures of one UTC day (logins, failures, incidents, blocks),
//! its active users over the last 30 days against the 30 before (a fall
//! below [`CHURN_PERCENT`] is a churn risk), its plan use from billing (at
//! [`UPGRADE_PERCENT`] of the plan's monthly active users or more: an
//! upgrade candidate), and the mails it was sent (the day's security
//! report, billing's plan-limit warning of the month). No SQL and no HTTP:
//! the store and billing hand the figures over, this file decides.
use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use super::audit::AuditKind;
use super::security_report::ReportDay;
use super::sentinel::{Detector, CLIENT_SECRET_COMPROMISED};

/// Active users of the last 30 days under this share of the 30 days
/// before: a churn risk.
pub const CHURN_PERCENT: u64 = 70;
/// Monthly active users at this share of the plan's limit or more: an
/// upgrade candidate.
pub const UPGRADE_PERCENT: u64 = 80;
/// The length of each of the two activity periods compared.
pub const ACTIVITY_DAYS: i64 = 30;

/// One count of a tenant's day: how many `kind`/`outcome` audit events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventCount {
    pub tenant_id: String,
    pub kind: String,
    pub outcome: String,
    pub count: u64,
}

/// A tenant as the report names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantName {
    pub id: String,
    pub slug: String,
    pub display_name: String,
}

/// Distinct active end users of a tenant in the two periods.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Activity {
    /// The [`ACTIVITY_DAYS`] days up to the end of the report's day.
    pub last_30_days: u64,
    /// The [`ACTIVITY_DAYS`] days before those.
    pub previous_30_days: u64,
}

impl Activity {
    /// Fewer than [`CHURN_PERCENT`] % of the previous period's users.
    pub fn churn_risk(&self) -> bool {
        self.previous_30_days > 0
            && self.last_30_days.saturating_mul(100)
                < self.previous_30_days.saturating_mul(CHURN_PERCENT)
    }
}

/// The tenant's plan and this month's use, as billing says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanUse {
    pub plan: String,
    pub mau_used: u64,
    /// `None`: unlimited.
    pub mau_limit: Option<u64>,
    /// Billing's quota warning of the month: `none`, `approaching` (the
    /// 80 % mail went out), `reached` or `over_limit` (the 100 % mail).
    pub warning: String,
}

impl PlanUse {
    pub fn upgrade_candidate(&self) -> bool {
        self.mau_limit.is_some_and(|limit| {
            limit > 0 && self.mau_used.saturating_mul(100) >= limit.saturating_mul(UPGRADE_PERCENT)
        })
    }

    /// The plan-limit mail billing sent this month, if any.
    pub fn warning_mailed(&self) -> Option<&str> {
        match self.warning.as_str() {
            "approaching" | "reached" | "over_limit" => Some(self.warning.as_str()),
            _ => None,
        }
    }
}

/// A tenant's day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DayFigures {
    pub logins_succeeded: u64,
    /// Failed and locked-out attempts.
    pub logins_failed: u64,
    pub incidents: u64,
    /// Addresses blocked, by the sentinel or by hand.
    pub blocks: u64,
}

/// One tenant's line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TenantLine {
    pub tenant_id: String,
    pub slug: String,
    pub display_name: String,
    #[serde(flatten)]
    pub day: DayFigures,
    pub active_users: Activity,
    /// `None`: billing is off or did not answer.
    pub plan: Option<PlanUse>,
    pub churn_risk: bool,
    pub upgrade_candidate: bool,
    /// The mails sent to the tenant's owners: `security_report` (the day's
    /// report), `plan_limit_approaching`, `plan_limit_reached`,
    /// `plan_limit_over_limit` (billing's warning of the month).
    pub mails: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OperatorReport {
    pub day: String,
    /// Every tenant (the platform's own excepted), by slug.
    pub tenants: Vec<TenantLine>,
    pub totals: DayFigures,
}

/// What the report is computed from.
pub struct Inputs<'a> {
    pub day: ReportDay,
    pub tenants: &'a [TenantName],
    pub counts: &'a [EventCount],
    pub activity: &'a HashMap<String, Activity>,
    pub plans: &'a HashMap<String, PlanUse>,
    /// Tenants whose report of the day was mailed.
    pub reports_mailed: &'a HashSet<String>,
}

/// What one `kind`/`outcome` adds to a day.
fn add(day: &mut DayFigures, kind: &str, outcome: &str, n: u64) {
    let Some(kind) = AuditKind::parse(kind) else {
        return;
    };
    match (kind, outcome) {
        (AuditKind::Login, "success") => day.logins_succeeded += n,
        (AuditKind::Login, "failure" | "locked") => day.logins_failed += n,
        (AuditKind::Sentinel, "blocked") => day.blocks += n,
        (AuditKind::Sentinel, o)
            if o == CLIENT_SECRET_COMPROMISED || Detector::parse(o).is_some() =>
        {
            day.incidents += n;
        }
        _ => {}
    }
}

impl OperatorReport {
    pub fn compute(inputs: &Inputs<'_>) -> Self {
        let mut days: HashMap<&str, DayFigures> = HashMap::new();
        for c in inputs.counts {
            add(
                days.entry(c.tenant_id.as_str()).or_default(),
                &c.kind,
                &c.outcome,
                c.count,
            );
        }
        let mut by_slug: BTreeMap<&str, TenantLine> = BTreeMap::new();
        let mut totals = DayFigures::default();
        for t in inputs.tenants {
            let day = days.remove(t.id.as_str()).unwrap_or_default();
            totals.logins_succeeded += day.logins_succeeded;
            totals.logins_failed += day.logins_failed;
            totals.incidents += day.incidents;
            totals.blocks += day.blocks;
            let active_users = inputs.activity.get(&t.id).copied().unwrap_or_default();
            let plan = inputs.plans.get(&t.id).cloned();
            let mut mails = Vec::new();
            if inputs.reports_mailed.contains(&t.id) {
                mails.push("security_report".to_owned());
            }
            if let Some(warning) = plan.as_ref().and_then(PlanUse::warning_mailed) {
                mails.push(format!("plan_limit_{warning}"));
            }
            by_slug.insert(
                t.slug.as_str(),
                TenantLine {
                    tenant_id: t.id.clone(),
                    slug: t.slug.clone(),
                    display_name: t.display_name.clone(),
                    day,
                    churn_risk: active_users.churn_risk(),
                    upgrade_candidate: plan.as_ref().is_some_and(PlanUse::upgrade_candidate),
                    active_users,
                    plan,
                    mails,
                },
            );
        }
        Self {
            day: inputs.day.to_string(),
            tenants: by_slug.into_values().collect(),
            totals,
        }
    }

    pub fn churn_risks(&self) -> impl Iterator<Item = &TenantLine> {
        self.tenants.iter().filter(|t| t.churn_risk)
    }

    pub fn upgrade_candidates(&self) -> impl Iterator<Item = &TenantLine> {
        self.tenants.iter().filter(|t| t.upgrade_candidate)
    }
}

impl TenantLine {
    /// The line as the operators' mail and `connectauth report operator`
    /// print it: figures and keywords (the same in every language).
    pub fn text(&self) -> String {
        let d = &self.day;
        let a = &self.active_users;
        let mut line = format!(
            "{} ({}): logins {} ok / {} failed, {} incidents, {} blocks; active users {} (30 days before: {})",
            self.slug,
            self.display_name,
            d.logins_succeeded,
            d.logins_failed,
            d.incidents,
            d.blocks,
            a.last_30_days,
            a.previous_30_days
        );
        if self.churn_risk {
            line.push_str(" CHURN-RISK");
        }
        match &self.plan {
            Some(p) => {
                let limit = p
                    .mau_limit
                    .map_or_else(|| "unlimited".to_owned(), |l| l.to_string());
                line.push_str(&format!("; plan {} {}/{}", p.plan, p.mau_used, limit));
            }
            None => line.push_str("; plan unknown"),
        }
        if self.upgrade_candidate {
            line.push_str(" UPGRADE-CANDIDATE");
        }
        if !self.mails.is_empty() {
            line.push_str(&format!("; mails: {}", self.mails.join(", ")));
        }
        line
    }
}

/// The start of the two activity periods before the end of `day`:
/// (previous period's start, last period's start, end).
pub fn activity_periods(day: ReportDay) -> (i64, i64, i64) {
    let end = day.end();
    let span = ACTIVITY_DAYS * 86_400;
    (end - 2 * span, end - span, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-05 00:00:00 UTC.
    const DAY0: i64 = 1_796_428_800;

    fn name(id: &str, slug: &str) -> TenantName {
        TenantName {
            id: id.into(),
            slug: slug.into(),
            display_name: slug.to_uppercase(),
        }
    }

    fn count(tenant: &str, kind: &str, outcome: &str, n: u64) -> EventCount {
        EventCount {
            tenant_id: tenant.into(),
            kind: kind.into(),
            outcome: outcome.into(),
            count: n,
        }
    }

    fn plan(used: u64, limit: Option<u64>, warning: &str) -> PlanUse {
        PlanUse {
            plan: "free".into(),
            mau_used: used,
            mau_limit: limit,
            warning: warning.into(),
        }
    }

    #[test]
    fn churn_is_a_fall_below_seventy_percent() {
        let a = |last, previous| Activity {
            last_30_days: last,
            previous_30_days: previous,
        };
        assert!(a(69, 100).churn_risk());
        assert!(!a(70, 100).churn_risk());
        assert!(a(0, 1).churn_risk());
        assert!(!a(5, 0).churn_risk(), "a new tenant is not churning");
        assert!(!a(0, 0).churn_risk());
    }

    #[test]
    fn upgrade_candidates_use_eighty_percent_of_their_plan() {
        assert!(plan(800, Some(1000), "approaching").upgrade_candidate());
        assert!(!plan(799, Some(1000), "none").upgrade_candidate());
        assert!(plan(1200, Some(1000), "over_limit").upgrade_candidate());
        assert!(!plan(50_000, None, "none").upgrade_candidate(), "unlimited");
        assert_eq!(plan(0, Some(1000), "none").warning_mailed(), None);
        assert_eq!(
            plan(900, Some(1000), "approaching").warning_mailed(),
            Some("approaching")
        );
    }

    #[test]
    fn every_tenant_gets_a_line_with_its_day_health_and_mails() {
        let day = ReportDay::of(DAY0 + 10);
        let tenants = [name("t2", "beta"), name("t1", "acme"), name("t3", "quiet")];
        let counts = [
            count("t1", "login", "success", 5),
            count("t1", "login", "failure", 3),
            count("t1", "login", "locked", 1),
            count("t1", "login", "mfa_required", 9),
            count("t1", "sentinel", "brute_force", 1),
            count("t1", "sentinel", "client_secret_compromised", 1),
            count("t1", "sentinel", "blocked", 2),
            count("t1", "sentinel", "alerted", 1),
            count("t2", "login", "success", 1),
            count("gone", "login", "success", 100),
        ];
        let activity = HashMap::from([
            (
                "t1".to_owned(),
                Activity {
                    last_30_days: 40,
                    previous_30_days: 100,
                },
            ),
            (
                "t2".to_owned(),
                Activity {
                    last_30_days: 900,
                    previous_30_days: 800,
                },
            ),
        ]);
        let plans = HashMap::from([("t2".to_owned(), plan(900, Some(1000), "approaching"))]);
        let mailed = HashSet::from(["t1".to_owned()]);
        let report = OperatorReport::compute(&Inputs {
            day,
            tenants: &tenants,
            counts: &counts,
            activity: &activity,
            plans: &plans,
            reports_mailed: &mailed,
        });
        assert_eq!(report.day, "2026-12-05");
        let slugs: Vec<&str> = report.tenants.iter().map(|t| t.slug.as_str()).collect();
        assert_eq!(slugs, ["acme", "beta", "quiet"]);
        let acme = &report.tenants[0];
        assert_eq!(
            acme.day,
            DayFigures {
                logins_succeeded: 5,
                logins_failed: 4,
                incidents: 2,
                blocks: 2
            }
        );
        assert!(acme.churn_risk && !acme.upgrade_candidate);
        assert_eq!(acme.mails, ["security_report"]);
        let beta = &report.tenants[1];
        assert!(!beta.churn_risk && beta.upgrade_candidate);
        assert_eq!(beta.mails, ["plan_limit_approaching"]);
        let quiet = &report.tenants[2];
        assert_eq!(quiet.day, DayFigures::default());
        assert!(quiet.plan.is_none() && quiet.mails.is_empty());
        assert_eq!(
            report.totals,
            DayFigures {
                logins_succeeded: 6,
                logins_failed: 4,
                incidents: 2,
                blocks: 2
            },
            "a tenant not listed (erased) is not counted"
        );
        assert_eq!(report.churn_risks().count(), 1);
        assert_eq!(report.upgrade_candidates().count(), 1);
    }

    #[test]
    fn a_line_names_the_tenant_its_figures_and_flags() {
        let line = TenantLine {
            tenant_id: "t1".into(),
            slug: "acme".into(),
            display_name: "Acme".into(),
            day: DayFigures {
                logins_succeeded: 5,
                logins_failed: 4,
                incidents: 1,
                blocks: 2,
            },
            active_users: Activity {
                last_30_days: 40,
                previous_30_days: 100,
            },
            plan: Some(plan(900, Some(1000), "approaching")),
            churn_risk: true,
            upgrade_candidate: true,
            mails: vec!["security_report".into()],
        };
        assert_eq!(
            line.text(),
            "acme (Acme): logins 5 ok / 4 failed, 1 incidents, 2 blocks; active users 40 \
             (30 days before: 100) CHURN-RISK; plan free 900/1000 UPGRADE-CANDIDATE; mails: security_report"
        );
        let bare = TenantLine {
            plan: None,
            churn_risk: false,
            upgrade_candidate: false,
            mails: Vec::new(),
            ..line
        };
        assert!(
            bare.text().ends_with("(30 days before: 100); plan unknown"),
            "{}",
            bare.text()
        );
    }

    #[test]
    fn the_periods_end_with_the_day() {
        let day = ReportDay::of(DAY0 + 10);
        let (previous, last, end) = activity_periods(day);
        assert_eq!(end, DAY0 + 86_400);
        assert_eq!(end - last, 30 * 86_400);
        assert_eq!(last - previous, 30 * 86_400);
    }
}
