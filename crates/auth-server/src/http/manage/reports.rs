//! `/manage/v1/reports/operator`: the platform operators' daily report
//! across tenants (docs/sentinel.md, "The operators' report"), for the
//! operator token only.
use actix_web::web::{self, Json};
use serde::{Deserialize, Serialize};
use service_kit::ApiError;
use utoipa::{IntoParams, ToSchema};

use super::openapi::{BadRequest, Forbidden, InvalidInput, Unauthorized};
use crate::domain::operator_report::{DayFigures, OperatorReport, PlanUse, TenantLine};
use crate::http::extract::ManageCaller;
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OperatorReportQuery {
    /// The UTC day, `YYYY-MM-DD`: today or one of the 30 days before;
    /// yesterday when absent.
    #[param(example = "2026-12-05")]
    date: Option<String>,
}

/// Figures of one day.
#[derive(Serialize, ToSchema)]
pub struct DayView {
    logins_succeeded: u64,
    /// Failed and locked-out attempts.
    logins_failed: u64,
    /// Incidents opened by the sentinel, and client secrets marked
    /// compromised.
    incidents: u64,
    /// Addresses blocked, by the sentinel or by hand.
    blocks: u64,
}

impl From<&DayFigures> for DayView {
    fn from(d: &DayFigures) -> Self {
        Self {
            logins_succeeded: d.logins_succeeded,
            logins_failed: d.logins_failed,
            incidents: d.incidents,
            blocks: d.blocks,
        }
    }
}

/// A tenant's plan and this month's use, as billing tells it.
#[derive(Serialize, ToSchema)]
pub struct PlanView {
    #[schema(example = "free")]
    plan: String,
    /// Monthly active users so far this month.
    mau_used: u64,
    /// The plan's monthly active users; absent: unlimited.
    mau_limit: Option<u64>,
    /// Billing's quota warning of the month: `none`, `approaching` (the
    /// 80 % mail went out), `reached` or `over_limit` (the 100 % mail).
    warning: String,
}

impl From<&PlanUse> for PlanView {
    fn from(p: &PlanUse) -> Self {
        Self {
            plan: p.plan.clone(),
            mau_used: p.mau_used,
            mau_limit: p.mau_limit,
            warning: p.warning.clone(),
        }
    }
}

/// One tenant's line.
#[derive(Serialize, ToSchema)]
pub struct TenantLineView {
    tenant_id: String,
    slug: String,
    display_name: String,
    /// The tenant's figures of the day.
    day: DayView,
    /// Distinct end users who logged in or got a refresh token in the 30
    /// days up to the end of the day.
    active_users_last_30_days: u64,
    /// The same, in the 30 days before those.
    active_users_previous_30_days: u64,
    /// Active users of the last 30 days under 70 % of the 30 before.
    churn_risk: bool,
    /// Absent when billing is off or did not answer.
    plan: Option<PlanView>,
    /// This month's active users at 80 % of the plan's limit or more.
    upgrade_candidate: bool,
    /// Mails sent to the tenant's owners: `security_report` (its report of
    /// the day), `plan_limit_approaching`, `plan_limit_reached`,
    /// `plan_limit_over_limit` (billing's warning of the month).
    mails: Vec<String>,
}

impl From<&TenantLine> for TenantLineView {
    fn from(t: &TenantLine) -> Self {
        Self {
            tenant_id: t.tenant_id.clone(),
            slug: t.slug.clone(),
            display_name: t.display_name.clone(),
            day: DayView::from(&t.day),
            active_users_last_30_days: t.active_users.last_30_days,
            active_users_previous_30_days: t.active_users.previous_30_days,
            churn_risk: t.churn_risk,
            plan: t.plan.as_ref().map(PlanView::from),
            upgrade_candidate: t.upgrade_candidate,
            mails: t.mails.clone(),
        }
    }
}

/// The operators' report of one day across every tenant.
#[derive(Serialize, ToSchema)]
pub struct OperatorReportView {
    #[schema(example = "2026-12-05")]
    day: String,
    /// The AI analyst's summary, written when the report was mailed;
    /// absent without the analyst or when it wrote none.
    summary: Option<String>,
    totals: DayView,
    /// Slugs of the tenants at churn risk.
    churn_risks: Vec<String>,
    /// Slugs of the upgrade candidates.
    upgrade_candidates: Vec<String>,
    /// Every tenant but the platform's own, by slug.
    tenants: Vec<TenantLineView>,
}

impl OperatorReportView {
    fn new(r: &OperatorReport, summary: Option<String>) -> Self {
        Self {
            day: r.day.clone(),
            summary,
            totals: DayView::from(&r.totals),
            churn_risks: r.churn_risks().map(|t| t.slug.clone()).collect(),
            upgrade_candidates: r.upgrade_candidates().map(|t| t.slug.clone()).collect(),
            tenants: r.tenants.iter().map(TenantLineView::from).collect(),
        }
    }
}

/// The operators' report across tenants
///
/// Each tenant's logins, failures, incidents and blocks of one UTC day,
/// its active users over the last 30 days against the 30 before (churn
/// risk under 70 %), its plan use (upgrade candidate at 80 %) and the mails
/// it was sent. The operator token only.
#[utoipa::path(
    get,
    path = "/manage/v1/reports/operator",
    tag = "reports",
    params(OperatorReportQuery),
    responses(
        (status = 200, description = "The report of the day.", body = OperatorReportView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = InvalidInput),
    ),
)]
pub async fn operator_report(
    caller: ManageCaller,
    state: web::Data<AppState>,
    query: web::Query<OperatorReportQuery>,
) -> Result<Json<OperatorReportView>, ApiError> {
    caller.operator_only()?;
    let reports = &state.manage.operator_reports;
    let day = reports.day(query.date.as_deref())?;
    let report = reports.of_day(day).await?;
    let summary = reports.summary(day).await?;
    Ok(Json(OperatorReportView::new(&report, summary)))
}
