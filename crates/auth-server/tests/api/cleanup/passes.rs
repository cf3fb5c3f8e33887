//! How passes follow one another: a backlog longer than a batch goes batch
//! after batch in one pass; of two instances only the lease holder deletes,
//! and the other takes over once a holder stops renewing.
use auth_server::domain::retention::EventRetention;
use auth_server::maintenance::cleanup::{JOB, LEASE_SECS};
use auth_server::maintenance::Outcome;
use auth_server::store::scheduled_jobs::ScheduledJobStore;
use service_kit::both_engines;
use service_kit::db::Engine;

use super::scene::scene;
use super::{pass, runner, DAY, HOUR, MINUTE, T0};

/// A backlog longer than a batch is deleted batch after batch in one pass,
/// rows sharing an expiry across a batch's edge included.
async fn batches_follow_one_another(engine: Engine) {
    let s = scene(engine).await;
    for i in 0..7 {
        s.link(&format!("same-expiry-{i}"), HOUR).await;
    }
    for i in 0..5 {
        s.clock.advance(1);
        s.link(&format!("later-{i}"), HOUR).await;
    }
    s.link("live", 30 * DAY).await;
    s.clock.advance(HOUR + 8 * DAY);
    let cleanup = runner(&s.database, s.clock.clone(), EventRetention::default()).with_batch(3);
    let deleted = pass(&cleanup).await;
    assert_eq!(deleted.one_time_tokens, 12, "{deleted:?}");
    assert_eq!(s.count("one_time_tokens", "token_hash", "live").await, 1);
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM one_time_tokens")
        .fetch_one(&s.database.pool)
        .await
        .expect("count");
    assert_eq!(left, 1);
}
both_engines!(
    cleanup_batches_follow_one_another,
    batches_follow_one_another
);

/// Two instances on one database: one pass per period, by whichever holds
/// the lease; a holder that died blocks the other only until its lease
/// runs out.
async fn only_the_lease_holder_deletes(engine: Engine) {
    let s = scene(engine).await;
    let a = runner(&s.database, s.clock.clone(), EventRetention::default());
    let b = runner(&s.database, s.clock.clone(), EventRetention::default());
    s.link("first", MINUTE).await;
    s.link("second", 2 * MINUTE).await;
    // A week past the first link's expiry, a minute short of the second's.
    s.clock.set(T0 + MINUTE + 7 * DAY);
    assert_eq!(pass(&a).await.one_time_tokens, 1);
    s.clock.advance(5 * MINUTE);
    assert_eq!(
        b.run_if_due().await.expect("run"),
        Outcome::Skipped,
        "a ran 5 min ago"
    );
    assert_eq!(s.count("one_time_tokens", "token_hash", "second").await, 1);
    s.clock.advance(5 * MINUTE);
    assert_eq!(pass(&b).await.one_time_tokens, 1, "a period later, on b");
    assert_eq!(a.run_if_due().await.expect("run"), Outcome::Skipped);

    // Another instance takes the lease and dies mid-pass.
    s.link("third", MINUTE).await;
    s.clock.advance(MINUTE + 7 * DAY);
    let now = s.now();
    assert!(ScheduledJobStore::new(s.database.pool.clone())
        .try_lease(JOB, "dead-instance", now, now + LEASE_SECS)
        .await
        .expect("lease"));
    for runner in [&a, &b] {
        assert_eq!(runner.run_if_due().await.expect("run"), Outcome::Skipped);
    }
    assert_eq!(s.count("one_time_tokens", "token_hash", "third").await, 1);
    s.clock.advance(LEASE_SECS);
    assert_eq!(
        a.run_if_due().await.expect("run"),
        Outcome::Skipped,
        "not quite"
    );
    s.clock.advance(1);
    assert_eq!(
        pass(&a).await.one_time_tokens,
        1,
        "the dead holder's lease ran out"
    );
}
both_engines!(
    cleanup_only_the_lease_holder_deletes,
    only_the_lease_holder_deletes
);
