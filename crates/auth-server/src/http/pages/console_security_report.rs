//! `/dashboard/t/{slug}/security-report`: the sentinel's daily security
//! report of a tenant, yesterday's by default, one of the last 30 days with
//! `?day=YYYY-MM-DD` (anything else: 400). Members of every role read it;
//! not a member: the 404 of an unknown tenant. Accounts at risk link to
//! their user page (where members see the email address). The logins per hour are bars
//! of an SVG drawn here, so the page needs no script and no inline style.
//! The AI analyst's summary, when it wrote one as the report was mailed,
//! comes first, said to be a model's.
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use minijinja::{context, Value};
use serde::Deserialize;

use super::console::owned_tenant;
use super::context::PlatformPageCtx;
use super::error::PageError;
use crate::domain::security_report::{HourCount, SecurityReport};
use crate::domain::team::Access;

/// The chart's drawing area, in SVG units.
const CHART_HEIGHT: u64 = 120;
const SLOT_WIDTH: u64 = 20;

pub fn security_report_path(slug: &str) -> String {
    format!("/dashboard/t/{slug}/security-report")
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReportQuery {
    day: Option<String>,
}

pub async fn show_security_report(
    ctx: PlatformPageCtx,
    slug: web::Path<String>,
    q: web::Query<ReportQuery>,
) -> Result<HttpResponse, PageError> {
    let tenant = owned_tenant(&ctx, &slug, &security_report_path(&slug), Access::Read).await?;
    let reports = &ctx.state.manage.security_reports;
    let heading = ctx.text_with("report_title", &[("tenant", tenant.display_name.as_ref())]);
    let Ok(day) = reports.day(q.day.as_deref()) else {
        return ctx.render(
            StatusCode::BAD_REQUEST,
            "message.html",
            context! {
                heading,
                message => ctx.text("report_bad_day"),
                action_url => security_report_path(&slug),
                action_label => ctx.text("report_yesterday"),
            },
        );
    };
    let report = reports
        .of_day(tenant.id, day)
        .await
        .map_err(PageError::internal)?;
    let summary = reports
        .summary(tenant.id, day)
        .await
        .map_err(PageError::internal)?;
    ctx.render(
        StatusCode::OK,
        "security_report.html",
        context! {
            wide => true,
            heading,
            action => security_report_path(&slug),
            users_url => super::console_users::users_path(&slug),
            day => day.to_string(),
            summary,
            report => figures(&report),
            bars => bars(&report.hours),
            chart_height => CHART_HEIGHT,
            chart_width => SLOT_WIDTH * 24,
        },
    )
}

fn figures(r: &SecurityReport) -> Value {
    let pairs = |list: &[(String, u64)]| -> Vec<Value> {
        list.iter()
            .map(|(name, n)| context! { name, count => n })
            .collect()
    };
    let incidents: Vec<Value> = r
        .incidents
        .iter()
        .map(|(name, n)| context! { name, count => n })
        .collect();
    context! {
        succeeded => r.succeeded,
        failed => r.failed,
        locked => r.locked,
        failure_rate => r.failure_rate(),
        blocks_by_sentinel => r.blocks_by_sentinel,
        blocks_by_hand => r.blocks_by_hand,
        incidents,
        top_addresses => pairs(&r.top_addresses),
        accounts_at_risk => pairs(&r.accounts_at_risk),
        mfa_users => r.mfa.with_second_factor,
        users => r.mfa.users,
        mfa_percent => r.mfa.percent(),
        blocks => r.actions.blocks,
        sessions_ended => r.actions.sessions_ended,
        grants_revoked => r.actions.grants_revoked,
        secrets_replaced => r.actions.secrets_replaced,
    }
}

/// Two bars an hour (logins that succeeded, attempts that failed), scaled
/// to the busiest hour.
fn bars(hours: &[HourCount; 24]) -> Vec<Value> {
    let top = hours
        .iter()
        .map(|h| h.succeeded.max(h.failed))
        .max()
        .unwrap_or(0)
        .max(1);
    let height = |n: u64| n.saturating_mul(CHART_HEIGHT).div_ceil(top);
    (0u64..)
        .zip(hours.iter())
        .map(|(hour, h)| {
            let (ok, failed) = (height(h.succeeded), height(h.failed));
            context! {
                hour,
                succeeded => h.succeeded,
                failed => h.failed,
                x_ok => hour * SLOT_WIDTH + 2,
                x_failed => hour * SLOT_WIDTH + 10,
                y_ok => CHART_HEIGHT - ok,
                y_failed => CHART_HEIGHT - failed,
                h_ok => ok,
                h_failed => failed,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_scaled_to_the_busiest_hour() {
        let mut hours = [HourCount::default(); 24];
        hours[2] = HourCount {
            succeeded: 4,
            failed: 1,
        };
        hours[23].failed = 2;
        let drawn = bars(&hours);
        assert_eq!(drawn.len(), 24);
        let at = |i: usize, key: &str| {
            drawn[i]
                .get_attr(key)
                .ok()
                .and_then(|v| u64::try_from(v).ok())
        };
        assert_eq!(at(2, "h_ok"), Some(CHART_HEIGHT));
        assert_eq!(at(2, "y_ok"), Some(0));
        assert_eq!(at(2, "h_failed"), Some(CHART_HEIGHT / 4));
        assert_eq!(at(23, "h_failed"), Some(CHART_HEIGHT / 2));
        assert_eq!(at(23, "x_failed"), Some(23 * SLOT_WIDTH + 10));
        assert_eq!(at(0, "h_ok"), Some(0));
        assert_eq!(at(0, "y_ok"), Some(CHART_HEIGHT));
    }
}
