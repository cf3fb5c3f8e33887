//! The lease of a scheduled job (`ScheduledJobStore`), on both engines: one
//! holder at a time, taken over once a holder stops renewing, and a job due
//! every N seconds taken only when its last run is that old.
use auth_server::store::scheduled_jobs::ScheduledJobStore;
use auth_server::MIGRATIONS;
use service_kit::both_engines;
use service_kit::db::{self, Database, Engine, PoolSettings};
use service_kit::testing::TestDb;

const NOW: i64 = 1_900_000_000;

async fn store(engine: Engine) -> (TestDb, Database, ScheduledJobStore) {
    let test_db = TestDb::new(engine).await;
    let database = db::connect(&test_db.url, PoolSettings::default())
        .await
        .expect("connect");
    db::migrate(&database, &MIGRATIONS).await.expect("migrate");
    let store = ScheduledJobStore::new(database.pool.clone());
    (test_db, database, store)
}

async fn lease_admits_one_holder(engine: Engine) {
    let (_db, _database, jobs) = store(engine).await;
    let lease = |holder: &'static str, now: i64, until: i64| {
        let jobs = jobs.clone();
        async move {
            jobs.try_lease("job", holder, now, until)
                .await
                .expect("lease")
        }
    };
    assert!(lease("a", NOW, NOW + 300).await);
    assert!(!lease("b", NOW, NOW + 300).await, "held by a");
    assert!(lease("a", NOW + 10, NOW + 310).await, "renewed");
    assert!(!lease("b", NOW + 309, NOW + 600).await, "still held");
    assert!(lease("b", NOW + 311, NOW + 600).await, "a stopped renewing");
    assert!(!lease("a", NOW + 312, NOW + 600).await, "b holds it now");
    jobs.release("job", "a")
        .await
        .expect("not the holder: no-op");
    assert!(!lease("a", NOW + 312, NOW + 600).await);
    jobs.release("job", "b").await.expect("released");
    assert!(lease("a", NOW + 312, NOW + 600).await, "given back");
    // Another job's lease is another row.
    assert!(jobs
        .try_lease("other", "b", NOW + 312, NOW + 600)
        .await
        .expect("lease"));
}
both_engines!(
    scheduled_jobs_lease_admits_one_holder,
    lease_admits_one_holder
);

/// A run that finished at `NOW` makes the job due again at `NOW + 600`,
/// whichever instance asks; a run that did not finish (its holder died)
/// leaves it due once the lease has run out.
async fn a_due_job_is_taken_once_per_period(engine: Engine) {
    let (_db, _database, jobs) = store(engine).await;
    let due = |holder: &'static str, now: i64| {
        let jobs = jobs.clone();
        async move {
            jobs.try_lease_due("job", holder, now, now + 300, now - 600)
                .await
                .expect("lease")
        }
    };
    assert!(due("a", NOW).await, "never run: due");
    assert!(!due("b", NOW).await, "a is running it");
    assert!(jobs.finish("job", "a", NOW).await.expect("finished"));
    assert!(!due("b", NOW + 1).await, "just ran");
    assert!(!due("b", NOW + 599).await, "ran less than a period ago");
    assert!(
        due("b", NOW + 600).await,
        "a period later, on another instance"
    );
    // b dies mid-run: the job stays due, and is taken once b's lease ran out.
    assert!(!due("a", NOW + 900).await, "b's lease holds");
    assert!(due("a", NOW + 901).await, "b's lease ran out");
    assert!(
        !jobs.finish("job", "b", NOW + 902).await.expect("finish"),
        "b lost the lease: its late finish records nothing"
    );
    assert!(jobs.finish("job", "a", NOW + 902).await.expect("finished"));
    assert!(!due("b", NOW + 903).await);
}
both_engines!(
    scheduled_jobs_a_due_job_is_taken_once_per_period,
    a_due_job_is_taken_once_per_period
);
