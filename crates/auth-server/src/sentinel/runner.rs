//! The sentinel's loop: every [`TICK`], hold the lease (one runner across
//! instances), read the login and signup events past the stored cursor into
//! the tenants' in-memory windows (`windows`) and their hourly counts
//! (`surge`), and which tenants had token events, evaluate each of those
//! tenants, check the new successful logins (`unfamiliar`), re-read a few
//! windows by time, evaluate the addresses with new reports of 401s on the
//! management API, mail the alerts of incidents opened by hand, move the
//! cursor.
use std::sync::Arc;
use std::time::Duration;

use service_kit::periodic::{spawn_every, First};
use tokio::task::JoinHandle;

use super::surge::HourCounts;
use super::windows::Windows;
use super::{Sentinel, SentinelError};
use crate::domain::sentinel::window::{Window, WINDOW_CAP};
use crate::domain::tenant::TenantId;

/// How often the sentinel looks for new events: a detection follows its
/// triggering event within about two ticks.
pub const TICK: Duration = Duration::from_secs(1);

/// How long a lease lasts without renewal (seconds of the clock): another
/// instance takes over this long after the holder stops.
const LEASE_SECS: i64 = 10;

/// At most this many events are read per tick (a long backlog is caught up
/// over a few ticks).
const BATCH: i64 = 10_000;

impl Sentinel {
    /// Runs [`Sentinel::tick`] every [`TICK`] until the server stops.
    pub fn spawn(self: Arc<Self>) -> JoinHandle<()> {
        spawn_every("sentinel", TICK, First::Now, move || {
            let sentinel = self.clone();
            async move {
                if let Err(e) = sentinel.tick().await {
                    tracing::warn!(error = %e, "sentinel round failed; retrying next tick");
                }
            }
        })
    }

    /// One round; false when another instance holds the lease.
    pub async fn tick(&self) -> Result<bool, SentinelError> {
        let mut windows = self.windows.lock().await;
        let now = self.clock.now();
        if !self
            .store
            .try_lease(&self.instance, now, now.saturating_add(LEASE_SECS))
            .await?
        {
            // Another instance reads the trail: what is held goes stale.
            windows.clear();
            return Ok(false);
        }
        let activity = self.store.new_activity(BATCH).await?;
        let up_to = activity.read_up_to;
        windows.start_round(activity.read_from);
        let mut hours = HourCounts::default();
        for (tenant, row) in activity.attempts {
            if let Some(attempt) = super::actions::attempt(row) {
                hours.add(tenant, &attempt);
                windows.feed(tenant, attempt);
            }
        }
        self.roll_up(hours).await;
        self.prune_login_hours(now).await;
        windows.fed_up_to(up_to);
        windows.expire(self.since(now));
        for tenant in &activity.tenants {
            // One tenant's failure (a store error) must not stop the others.
            if let Err(e) = self.evaluate(*tenant, &mut windows, up_to).await {
                tracing::warn!(error = %e, %tenant, "sentinel evaluation failed");
            }
        }
        for (tenant, sign_ins) in by_tenant(activity.sign_ins) {
            if let Err(e) = self.check_sign_ins(tenant, &sign_ins).await {
                tracing::warn!(error = %e, %tenant, "sentinel sign-in check failed");
            }
        }
        for tenant in windows.due_for_rebuild(now) {
            if let Err(e) = self.rebuild(tenant, &mut windows, up_to).await {
                windows.remove(tenant);
                tracing::warn!(error = %e, %tenant, "sentinel window re-read failed");
            }
        }
        for tenant in &activity.token_tenants {
            if let Err(e) = self.evaluate_tokens(*tenant).await {
                tracing::warn!(error = %e, %tenant, "sentinel token evaluation failed");
            }
        }
        if !activity.probe_addresses.is_empty() {
            if let Err(e) = self.evaluate_probes(&activity.probe_addresses).await {
                tracing::warn!(error = %e, "sentinel management API evaluation failed");
            }
        }
        if let Err(e) = self.mail_reported().await {
            tracing::warn!(error = %e, "compromise alerts not read; retrying next tick");
        }
        self.store
            .advance(&self.instance, activity.read_up_to)
            .await?;
        Ok(true)
    }

    /// Where every detector's window starts at `now`.
    pub(super) fn since(&self, now: i64) -> i64 {
        now.saturating_sub(self.settings.thresholds.window_secs)
    }

    /// The tenant's window read from the database: its newest attempts
    /// since `since` numbered up to `up_to` (the later ones are fed).
    pub(super) async fn read_window(
        &self,
        tenant: TenantId,
        since: i64,
        up_to: i64,
    ) -> Result<Window, SentinelError> {
        let rows = self
            .store
            .attempts(tenant, since, up_to, WINDOW_CAP)
            .await?;
        Ok(Window::from_attempts(
            rows.into_iter().filter_map(super::actions::attempt),
            WINDOW_CAP,
        ))
    }

    /// Reads the tenant's window again by time, for events committed after
    /// a higher-numbered one was read; evaluates the tenant when it found
    /// some.
    async fn rebuild(
        &self,
        tenant: TenantId,
        windows: &mut Windows,
        up_to: i64,
    ) -> Result<(), SentinelError> {
        let now = self.clock.now();
        let since = self.since(now);
        let window = self.read_window(tenant, since, up_to).await?;
        if windows.put(tenant, window, now, since) {
            self.evaluate(tenant, windows, up_to).await?;
        }
        Ok(())
    }

    /// Gives the lease back (at shutdown), so another instance takes over
    /// without waiting for it to run out.
    pub async fn stop(&self) {
        if let Err(e) = self.store.release(&self.instance).await {
            tracing::warn!(error = %e, "cannot release the sentinel lease");
        }
    }
}

/// `rows` grouped by tenant, tenants in order of first appearance and each
/// tenant's rows in the order read.
fn by_tenant<T>(rows: Vec<(TenantId, T)>) -> Vec<(TenantId, Vec<T>)> {
    let mut groups: Vec<(TenantId, Vec<T>)> = Vec::new();
    let mut at: std::collections::HashMap<TenantId, usize> = std::collections::HashMap::new();
    for (tenant, row) in rows {
        match at.get(&tenant).and_then(|i| groups.get_mut(*i)) {
            Some((_, list)) => list.push(row),
            None => {
                at.insert(tenant, groups.len());
                groups.push((tenant, vec![row]));
            }
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_grouped_by_tenant_in_the_order_read() {
        let t = |n: u8| {
            TenantId::parse(&format!("00000000-0000-4000-8000-0000000000{n:02}")).expect("uuid")
        };
        let grouped = by_tenant(vec![(t(2), 1), (t(1), 2), (t(2), 3)]);
        assert_eq!(grouped, [(t(2), vec![1, 3]), (t(1), vec![2])]);
    }
}
