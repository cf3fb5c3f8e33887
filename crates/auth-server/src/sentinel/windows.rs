//! What the lease holder keeps between rounds: each active tenant's window
//! of attempts (`domain::sentinel::window`), fed by the events read past the
//! cursor, and the cursor those windows were fed up to.
//!
//! The memory is trusted only while it follows the stored cursor one round
//! after another: when the cursor is not where this runner left it (the
//! lease was just taken, another instance ran meanwhile, a round failed
//! before moving it), everything is forgotten and each tenant's window is
//! read again from the database by time on its next evaluation. Each window
//! is also re-read by time about once every [`REBUILD_SECS`], a few tenants a
//! round: a PostgreSQL event committed after a higher-numbered one was read
//! is behind the cursor, and only a read by time finds it.
//!
//! Bounds: at most `WINDOW_CAP` (20,000) attempts per tenant, and at most
//! [`TOTAL_CAP`] over all tenants (the windows fed least recently are
//! forgotten first, and read again when their tenant is next active). A
//! tenant whose window empties (no attempt in the last window) is dropped.
use std::collections::HashMap;

use crate::domain::sentinel::window::Window;
use crate::domain::tenant::TenantId;

/// How often each window is read again by time (seconds of the clock).
pub const REBUILD_SECS: i64 = 60;

/// At most this many attempts are held over all tenants (about 150 bytes
/// each with its account digest: some 150 MB), 50 tenants at the cap.
pub const TOTAL_CAP: usize = 1_000_000;

struct Held {
    window: Window,
    /// When it was last read from the database (clock seconds).
    built_at: i64,
    /// The round it was last fed or read in.
    used: u64,
}

#[derive(Default)]
pub struct Windows {
    held: HashMap<TenantId, Held>,
    /// The cursor the windows hold every event up to; `None`: nothing yet.
    fed_up_to: Option<i64>,
    round: u64,
}

impl Windows {
    /// Starts a round reading events after `cursor`: when the windows were
    /// not fed up to exactly there, they are forgotten (false).
    pub fn start_round(&mut self, cursor: i64) -> bool {
        self.round = self.round.wrapping_add(1);
        let in_step = self.fed_up_to == Some(cursor);
        if !in_step {
            self.clear();
        }
        in_step
    }

    /// Forgets every window (the lease was lost).
    pub fn clear(&mut self) {
        self.held.clear();
        self.fed_up_to = None;
    }

    /// Adds a new event of `tenant`, when its window is held (one not held
    /// is read whole, this event included, when the tenant is evaluated).
    pub fn feed(&mut self, tenant: TenantId, attempt: crate::domain::sentinel::Attempt) {
        if let Some(held) = self.held.get_mut(&tenant) {
            held.window.feed(attempt);
            held.used = self.round;
        }
    }

    /// The windows now hold every event up to `read_up_to`.
    pub fn fed_up_to(&mut self, read_up_to: i64) {
        self.fed_up_to = Some(read_up_to);
    }

    pub fn get_mut(&mut self, tenant: TenantId) -> Option<&mut Window> {
        self.held.get_mut(&tenant).map(|h| &mut h.window)
    }

    /// Holds `window`, read from the database at `now`, for `tenant`
    /// (replacing what was held): true when it has more attempts than the
    /// window it replaces, once both are cut at `since` (the read found
    /// events the memory lacked).
    pub fn put(&mut self, tenant: TenantId, window: Window, now: i64, since: i64) -> bool {
        let held_before = self.held.get_mut(&tenant).map(|h| {
            h.window.expire(since);
            h.window.len()
        });
        let mut window = window;
        window.expire(since);
        let grew = window.len() > held_before.unwrap_or(0);
        self.held.insert(
            tenant,
            Held {
                window,
                built_at: now,
                used: self.round,
            },
        );
        grew
    }

    pub fn remove(&mut self, tenant: TenantId) {
        self.held.remove(&tenant);
    }

    /// Drops what left the window (`at <= since`) and the tenants left with
    /// nothing; then, over [`TOTAL_CAP`], the windows fed least recently.
    pub fn expire(&mut self, since: i64) {
        self.held.retain(|_, h| {
            h.window.expire(since);
            !h.window.is_empty()
        });
        let mut total = self.total();
        if total <= TOTAL_CAP {
            return;
        }
        let mut by_use: Vec<(u64, TenantId)> =
            self.held.iter().map(|(t, h)| (h.used, *t)).collect();
        by_use.sort_by_key(|(used, _)| *used);
        for (_, tenant) in by_use {
            if total <= TOTAL_CAP {
                break;
            }
            if let Some(h) = self.held.remove(&tenant) {
                total = total.saturating_sub(h.window.len());
            }
        }
    }

    /// The tenants whose window was read more than [`REBUILD_SECS`] ago,
    /// longest ago first: as many as spreads a re-read of every window over
    /// about [`REBUILD_SECS`] rounds (at least one).
    pub fn due_for_rebuild(&self, now: i64) -> Vec<TenantId> {
        let per_round = self
            .held
            .len()
            .div_ceil(usize::try_from(REBUILD_SECS).unwrap_or(1))
            .max(1);
        let mut due: Vec<(i64, TenantId)> = self
            .held
            .iter()
            .filter(|(_, h)| h.built_at <= now.saturating_sub(REBUILD_SECS))
            .map(|(t, h)| (h.built_at, *t))
            .collect();
        due.sort_by_key(|(built_at, _)| *built_at);
        due.into_iter()
            .take(per_round)
            .map(|(_, tenant)| tenant)
            .collect()
    }

    /// How many attempts are held over all tenants.
    pub fn total(&self) -> usize {
        self.held.values().map(|h| h.window.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::sentinel::window::WINDOW_CAP;
    use crate::domain::sentinel::{Attempt, Outcome};

    fn tenant(n: u8) -> TenantId {
        TenantId::parse(&format!("00000000-0000-4000-8000-0000000000{n:02}")).expect("uuid")
    }

    fn at(at: i64) -> Attempt {
        Attempt {
            outcome: Outcome::Failure,
            account: None,
            ip: None,
            at,
        }
    }

    fn window(times: &[i64]) -> Window {
        Window::from_attempts(times.iter().map(|t| at(*t)), WINDOW_CAP)
    }

    fn len(w: &mut Windows, t: TenantId) -> Option<usize> {
        w.get_mut(t).map(|w| w.len())
    }

    #[test]
    fn only_held_windows_are_fed_and_only_while_in_step_with_the_cursor() {
        let (a, b) = (tenant(1), tenant(2));
        let mut w = Windows::default();
        assert!(!w.start_round(0), "nothing held at start");
        w.put(a, window(&[100]), 100, 0);
        w.feed(a, at(101));
        w.feed(b, at(101));
        w.fed_up_to(7);
        assert_eq!((len(&mut w, a), len(&mut w, b)), (Some(2), None));
        assert!(w.start_round(7));
        assert_eq!(len(&mut w, a), Some(2));
        // A round that failed before moving the cursor: the events after 7
        // were fed, the cursor is still at 7.
        w.feed(a, at(102));
        w.fed_up_to(9);
        assert!(!w.start_round(7), "out of step: forgotten");
        assert_eq!(len(&mut w, a), None);
    }

    #[test]
    fn expiry_drops_old_attempts_and_empty_tenants() {
        let (a, b) = (tenant(1), tenant(2));
        let mut w = Windows::default();
        w.put(a, window(&[100, 200]), 200, 0);
        w.put(b, window(&[150]), 200, 0);
        w.expire(160);
        assert_eq!((len(&mut w, a), len(&mut w, b)), (Some(1), None));
        assert_eq!(w.total(), 1);
    }

    #[test]
    fn a_rebuild_tells_whether_the_database_had_events_the_memory_lacked() {
        let a = tenant(1);
        let mut w = Windows::default();
        assert!(w.put(a, window(&[100, 101]), 101, 0), "first read");
        assert!(!w.put(a, window(&[100, 101]), 102, 0), "same window");
        // An event committed late, numbered before the cursor.
        assert!(w.put(a, window(&[100, 100, 101]), 103, 0));
        assert_eq!(len(&mut w, a), Some(3));
        // What left the window on either side does not count.
        assert!(!w.put(a, window(&[99, 100, 100, 101]), 104, 99));
    }

    #[test]
    fn windows_are_read_again_about_once_a_minute_a_few_a_round() {
        let mut w = Windows::default();
        for n in 0..70 {
            w.put(tenant(n), window(&[1_000]), 1_000 + i64::from(n), 0);
        }
        assert!(w.due_for_rebuild(1_059).is_empty());
        // 70 windows over 60 rounds: two a round, the oldest reads first.
        assert_eq!(w.due_for_rebuild(1_061), [tenant(0), tenant(1)]);
        assert_eq!(w.due_for_rebuild(2_000).len(), 2);
    }

    #[test]
    fn over_the_total_cap_the_least_recently_fed_windows_go() {
        let (a, b, c) = (tenant(1), tenant(2), tenant(3));
        let mut w = Windows::default();
        let full =
            |start: i64| Window::from_attempts((0..WINDOW_CAP).map(|_| at(start + 1)), WINDOW_CAP);
        w.fed_up_to(0);
        for n in 0..TOTAL_CAP / WINDOW_CAP {
            w.start_round(0);
            w.put(tenant(10 + u8::try_from(n).expect("small")), full(0), 1, 0);
        }
        w.start_round(0);
        w.put(a, full(0), 1, 0);
        w.put(b, full(0), 1, 0);
        w.put(c, full(0), 1, 0);
        w.expire(0);
        assert_eq!(w.total(), TOTAL_CAP);
        assert!(len(&mut w, tenant(10)).is_none(), "fed least recently");
        assert_eq!(len(&mut w, c), Some(WINDOW_CAP));
    }
}
