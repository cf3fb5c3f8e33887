//! Monthly active users, reported to billing without a write on the login
//! path: a round reads the activity already stored (successful logins,
//! issued refresh tokens) in `[cursor, now - settle)`, collapses it to
//! distinct (tenant, user) per window, sends it in batches, and moves the
//! cursor only once billing acknowledged every batch.
//!
//! A window never crosses a UTC month boundary (so "distinct per window" is
//! "distinct per month" as far as billing cares) and lasts at most a day, so
//! a long outage is caught up window by window without loading it all. A
//! failed round leaves the cursor where it was: the next round sends the same
//! window again, which billing's set semantics make harmless. Two instances
//! may send the same window; only one moves the cursor (compare-and-set).
use std::sync::Arc;
use std::time::Duration;

use service_kit::month::Month;
use service_kit::periodic::{spawn_every, First};
use tokio::task::JoinHandle;

use super::client::{BillingClient, BillingError, UsageEvent, MAX_EVENTS_PER_REQUEST};
use crate::domain::tenant::PLATFORM_SLUG;
use crate::store::activity::{ActivityStore, Window};
use crate::store::StoreError;
use service_kit::clock::SharedClock;

/// Rows written this recently may belong to transactions still in flight.
pub const SETTLE_SECS: i64 = 5;
/// The longest window one request sequence covers.
pub const MAX_WINDOW_SECS: i64 = 24 * 60 * 60;
/// Windows one round goes through at most (a month of catching up).
const MAX_WINDOWS_PER_ROUND: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Billing(#[from] BillingError),
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    /// Windows sent and acknowledged.
    pub windows: usize,
    pub events: usize,
    pub batches: usize,
    /// Where the cursor stands after the round (unix seconds).
    pub reported_until: i64,
    /// False when the round stopped early (window limit, or another
    /// instance moved the cursor).
    pub caught_up: bool,
}

pub struct UsageReporter {
    store: ActivityStore,
    client: Arc<BillingClient>,
    clock: SharedClock,
}

impl UsageReporter {
    pub fn new(store: ActivityStore, client: Arc<BillingClient>, clock: SharedClock) -> Self {
        Self {
            store,
            client,
            clock,
        }
    }

    /// One round. On error the cursor stays at the first window not
    /// acknowledged.
    pub async fn run_once(&self) -> Result<Round, ReportError> {
        let now = self.clock.now();
        let until = now - SETTLE_SECS;
        // The first run ever starts with the current month.
        let mut cursor = self.store.cursor(month_start(now), now).await?;
        let mut round = Round::default();
        while cursor < until && round.windows < MAX_WINDOWS_PER_ROUND {
            let to = window_end(cursor, until);
            let (events, batches) = self.send_window(cursor, to).await?;
            if !self.store.advance(cursor, to, self.clock.now()).await? {
                tracing::info!("another instance moved the usage cursor; leaving the rest to it");
                round.reported_until = cursor;
                return Ok(round);
            }
            cursor = to;
            round.windows += 1;
            round.events += events;
            round.batches += batches;
        }
        round.reported_until = cursor;
        round.caught_up = cursor >= until;
        Ok(round)
    }

    /// Where the next round starts: activity at or after it is not
    /// reported yet, so it must stay (before the first round, the current
    /// month's start, where that round will start).
    pub async fn unreported_from(&self) -> Result<i64, StoreError> {
        let stored = self.store.reported_until().await?;
        Ok(stored.unwrap_or_else(|| month_start(self.clock.now())))
    }

    /// Sends `[from, to)` page by page; (events, batches).
    async fn send_window(&self, from: i64, to: i64) -> Result<(usize, usize), ReportError> {
        let limit = i64::try_from(MAX_EVENTS_PER_REQUEST).unwrap_or(i64::MAX);
        let (mut events, mut batches) = (0, 0);
        let mut after: Option<(String, String)> = None;
        loop {
            let window = Window {
                from,
                to,
                after: after.as_ref().map(|(t, u)| (t.as_str(), u.as_str())),
            };
            let page = self
                .store
                .active_users(window, PLATFORM_SLUG, limit)
                .await?;
            if page.is_empty() {
                break;
            }
            let full = page.len() >= MAX_EVENTS_PER_REQUEST;
            after = page
                .last()
                .map(|u| (u.tenant_id.clone(), u.user_id.clone()));
            let batch: Vec<UsageEvent> = page
                .into_iter()
                .map(|u| UsageEvent {
                    tenant_id: u.tenant_id,
                    user_id: u.user_id,
                    at: u.at,
                })
                .collect();
            let receipt = self.client.report_usage(&batch).await?;
            events += batch.len();
            batches += 1;
            tracing::debug!(
                from,
                to,
                sent = batch.len(),
                recorded = receipt.recorded,
                "usage batch acknowledged"
            );
            if !full {
                break;
            }
        }
        Ok((events, batches))
    }
}

/// The end of the window starting at `from`: at most a day, never past
/// `until`, never across the start of the next UTC month.
fn window_end(from: i64, until: i64) -> i64 {
    until
        .min(from.saturating_add(MAX_WINDOW_SECS))
        .min(next_month_start(from))
}

/// 00:00:00 UTC on the first day of `unix`'s month (`unix` itself outside
/// the years `Month` covers).
pub fn month_start(unix: i64) -> i64 {
    Month::of(unix).map_or(unix, Month::start)
}

/// 00:00:00 UTC on the first day of the month after `unix`'s (`i64::MAX`
/// outside the years `Month` covers).
pub fn next_month_start(unix: i64) -> i64 {
    Month::of(unix).map_or(i64::MAX, Month::end)
}

/// Runs a round every `every`, the first one a period after start. A failed
/// round is logged and retried next time; a panic costs that round only.
pub fn spawn_usage_task(reporter: Arc<UsageReporter>, every: Duration) -> JoinHandle<()> {
    spawn_every("usage report", every, First::AfterOnePeriod, move || {
        let reporter = reporter.clone();
        async move { report(&reporter).await }
    })
}

async fn report(reporter: &UsageReporter) {
    match reporter.run_once().await {
        Ok(round) if round.events > 0 || !round.caught_up => tracing::info!(
            windows = round.windows,
            events = round.events,
            batches = round.batches,
            reported_until = round.reported_until,
            caught_up = round.caught_up,
            "usage reported to billing"
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e,
            "usage not reported; the same window is sent again next round"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-11-30T23:59:59Z and 2026-12-01T00:00:00Z.
    const NOV_LAST: i64 = 1_796_083_199;
    const DEC_FIRST: i64 = 1_796_083_200;

    #[test]
    fn months_start_at_utc_midnight_on_the_first() {
        assert_eq!(month_start(NOV_LAST), 1_793_491_200); // 2026-11-01
        assert_eq!(month_start(DEC_FIRST), DEC_FIRST);
        assert_eq!(next_month_start(NOV_LAST), DEC_FIRST);
        assert_eq!(next_month_start(DEC_FIRST), 1_798_761_600); // 2027-01-01
        assert_eq!(month_start(i64::MAX), i64::MAX);
        assert_eq!(next_month_start(i64::MAX), i64::MAX);
    }

    #[test]
    fn windows_stop_at_a_day_the_settle_line_and_the_month_end() {
        assert_eq!(window_end(NOV_LAST - 10, DEC_FIRST + 600), DEC_FIRST);
        assert_eq!(window_end(DEC_FIRST, DEC_FIRST + 600), DEC_FIRST + 600);
        assert_eq!(
            window_end(DEC_FIRST, DEC_FIRST + 10 * MAX_WINDOW_SECS),
            DEC_FIRST + MAX_WINDOW_SECS
        );
    }
}
