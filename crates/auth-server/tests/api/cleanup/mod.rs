//! The scheduled cleanup of expired rows (`maintenance::Cleanup`), on both
//! engines with a moved clock: what has outlived every use goes, what a live
//! path still reads stays; batches follow one another until the backlog is
//! gone; of two instances only the lease holder deletes, and the other takes
//! over once a holder stops renewing; retention 0 keeps every event; a
//! server started with the cleanup on runs it.
mod expired_rows;
mod passes;
mod retention;
mod scene;
mod server;

use std::sync::Arc;

use auth_server::domain::lockout::LockoutPolicy;
use auth_server::domain::retention::{EventRetention, Retention};
use auth_server::domain::session::SessionPolicy;
use auth_server::maintenance::{Cleanup, Deleted, Outcome};
use service_kit::clock::ManualClock;
use service_kit::db::Database;

pub(super) const T0: i64 = 1_900_000_000;
pub(super) const MINUTE: i64 = 60;
pub(super) const HOUR: i64 = 3600;
pub(super) const DAY: i64 = 24 * HOUR;
/// When the first pass runs: ten days and an hour after the rows were made.
pub(super) const T1: i64 = T0 + 10 * DAY + HOUR;

/// A cleanup on `database` as the server builds it (default session and
/// lockout policies), due every 10 minutes, reading `clock`.
pub fn runner(database: &Database, clock: Arc<ManualClock>, events: EventRetention) -> Cleanup {
    let retention = Retention::new(
        events,
        &SessionPolicy::default(),
        &[LockoutPolicy::ACCOUNT, LockoutPolicy::IP],
    );
    let every = std::time::Duration::from_secs(10 * 60);
    Cleanup::new(database, retention, every, None, clock)
}

/// What a whole pass deleted; panics on a skipped or cut pass.
pub async fn pass(cleanup: &Cleanup) -> Deleted {
    match cleanup.run_if_due().await.expect("pass") {
        Outcome::Done(deleted) => deleted,
        other => panic!("expected a whole pass, got {other:?}"),
    }
}
