//! `/dashboard/t/{slug}/events`: an owner reads their tenant's audit trail
//! in the console, filtered by event type, user, IP address and date range,
//! newest first with cursor paging, and downloads the same selection as CSV
//! (`events.csv`). Ownership first (an unowned tenant is the same 404 as an
//! unknown one). An incident's row carries the AI analyst's triage note
//! when it wrote one.
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use minijinja::{context, Value};
use serde::Deserialize;
use service_kit::clock::rfc3339;
use service_kit::paging::{Page, PageSize};
use time::{Date, OffsetDateTime, Time};

use super::console::owned_tenant;
use super::context::PlatformPageCtx;
use super::error::PageError;
use super::render::short_time;
use crate::domain::audit::AuditKind;
use crate::domain::event_query::{EventCursor, EventFilter};
use crate::domain::team::Access;

const PAGE: u32 = 50;
/// The most rows one CSV export holds.
const CSV_MAX: i64 = 10_000;
const FIELD_MAX: usize = 200;

pub fn events_path(slug: &str) -> String {
    format!("/dashboard/t/{slug}/events")
}

/// The filter as typed (kept in the form and in the paging links).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EventsQuery {
    kind: String,
    user: String,
    ip: String,
    /// `YYYY-MM-DD`, from the start of that day (UTC).
    from: String,
    /// `YYYY-MM-DD`, to the end of that day (UTC).
    until: String,
    after: Option<String>,
}

fn day_start(text: &str) -> Result<Option<i64>, ()> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = Date::parse(text, &format).map_err(|_| ())?;
    Ok(Some(
        OffsetDateTime::new_utc(day, Time::MIDNIGHT).unix_timestamp(),
    ))
}

fn field(text: &str) -> Option<String> {
    let text: String = text.trim().chars().take(FIELD_MAX).collect();
    (!text.is_empty()).then_some(text)
}

impl EventsQuery {
    /// The filter, or `None` when a date is not a `YYYY-MM-DD` day.
    fn filter(&self) -> Option<EventFilter> {
        Some(EventFilter {
            kind: field(&self.kind),
            user_id: field(&self.user),
            ip: field(&self.ip),
            from: day_start(&self.from).ok()?,
            until: day_start(&self.until).ok()?.map(|d| d + 86_400),
        })
    }

    /// The query string of this filter (no cursor), for links.
    fn query(&self) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("kind", &self.kind),
            ("user", &self.user),
            ("ip", &self.ip),
            ("from", &self.from),
            ("until", &self.until),
        ] {
            if !v.trim().is_empty() {
                q.append_pair(k, v.trim());
            }
        }
        q.finish()
    }
}

pub async fn show_events(
    ctx: PlatformPageCtx,
    slug: web::Path<String>,
    q: web::Query<EventsQuery>,
) -> Result<HttpResponse, PageError> {
    let tenant = owned_tenant(&ctx, &slug, &events_path(&slug), Access::Read).await?;
    let after = q.after.as_deref().and_then(EventCursor::decode);
    let (status, error, rows, next) = match q.filter() {
        None => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(ctx.text("events_bad_date")),
            Vec::new(),
            None,
        ),
        Some(filter) => {
            let size = PageSize::parse(Some(PAGE)).map_err(PageError::internal)?;
            let found = ctx
                .state
                .manage
                .users
                .search_events(tenant.id, &filter, after.as_ref(), size.fetch())
                .await
                .map_err(PageError::internal)?;
            let shown = Page::from_overfetch(found, size, |(cursor, _)| cursor.encode());
            let next = shown.next_after.map(|after| {
                let sep = if q.query().is_empty() { "" } else { "&" };
                format!("{}?{}{sep}after={after}", events_path(&slug), q.query())
            });
            let incidents: Vec<String> = shown
                .items
                .iter()
                .filter_map(|(_, e)| incident_of(&e.kind, &e.outcome, &e.detail))
                .collect();
            let notes = ctx
                .state
                .manage
                .security_reports
                .incident_notes(tenant.id, &incidents)
                .await
                .map_err(PageError::internal)?;
            let rows: Vec<Value> = shown
                .items
                .iter()
                .map(|(_, e)| {
                    let note =
                        incident_of(&e.kind, &e.outcome, &e.detail).and_then(|id| notes.get(&id));
                    context! {
                        at => short_time(Some(e.created_at)),
                        kind => &e.kind,
                        outcome => &e.outcome,
                        user => e.user_id.as_deref().unwrap_or_default(),
                        ip => &e.ip,
                        detail => &e.detail,
                        note,
                    }
                })
                .collect();
            (StatusCode::OK, None, rows, next)
        }
    };
    let query = q.query();
    ctx.render(
        status,
        "events.html",
        context! {
            wide => true,
            heading => ctx.text_with("events_title", &[("tenant", tenant.display_name.as_ref())]),
            action => events_path(&slug),
            csv_url => if query.is_empty() {
                format!("{}.csv", events_path(&slug))
            } else {
                format!("{}.csv?{query}", events_path(&slug))
            },
            kind => q.kind.trim(),
            user => q.user.trim(),
            ip => q.ip.trim(),
            from => q.from.trim(),
            until => q.until.trim(),
            events => rows,
            next,
            error,
        },
    )
}

/// The incident a `sentinel` event opened (its `detail.incident`), for the
/// AI analyst's note; `None` for any other event (a block, an alert names
/// its incident too, but did not open it).
fn incident_of(kind: &str, outcome: &str, detail: &str) -> Option<String> {
    use crate::domain::sentinel::{Detector, CLIENT_SECRET_COMPROMISED};
    if AuditKind::parse(kind) != Some(AuditKind::Sentinel)
        || (Detector::parse(outcome).is_none() && outcome != CLIENT_SECRET_COMPROMISED)
    {
        return None;
    }
    let detail: serde_json::Value = serde_json::from_str(detail).ok()?;
    detail["incident"].as_str().map(str::to_owned)
}

/// A cell a spreadsheet will not run as a formula (OWASP CSV injection).
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

pub async fn export_events(
    ctx: PlatformPageCtx,
    slug: web::Path<String>,
    q: web::Query<EventsQuery>,
) -> Result<HttpResponse, PageError> {
    let back = format!("{}.csv", events_path(&slug));
    let tenant = owned_tenant(&ctx, &slug, &back, Access::Read).await?;
    let Some(filter) = q.filter() else {
        return Ok(HttpResponse::UnprocessableEntity()
            .content_type("text/plain; charset=utf-8")
            .body(ctx.text("events_bad_date")));
    };
    let events = ctx
        .state
        .manage
        .users
        .search_events(tenant.id, &filter, None, CSV_MAX)
        .await
        .map_err(PageError::internal)?;
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "at",
        "kind",
        "outcome",
        "user_id",
        "ip",
        "user_agent",
        "detail",
    ])
    .map_err(PageError::internal)?;
    for (_, e) in &events {
        out.write_record([
            rfc3339(e.created_at),
            cell(&e.kind),
            cell(&e.outcome),
            cell(e.user_id.as_deref().unwrap_or_default()),
            cell(&e.ip),
            cell(&e.user_agent),
            cell(&e.detail),
        ])
        .map_err(PageError::internal)?;
    }
    let body = out
        .into_inner()
        .map_err(|e| PageError::internal(e.into_error()))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}-events.csv\"", tenant.slug),
        ))
        .body(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_text_is_kept() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        for risky in ["+1", "-1", "@SUM(A1)"] {
            assert!(cell(risky).starts_with('\''), "{risky}");
        }
        assert_eq!(cell("login"), "login");
    }

    #[test]
    fn days_are_utc_days_and_other_dates_are_refused() {
        assert_eq!(day_start(""), Ok(None));
        assert_eq!(day_start("2026-12-05"), Ok(Some(1_796_428_800)));
        for bad in ["05/12/2026", "2026-13-01", "yesterday"] {
            assert_eq!(day_start(bad), Err(()), "{bad}");
        }
    }
}
