//! How long audit events stay: retention 0 keeps every event, and with
//! usage reported to billing an event past retention stays until the usage
//! report has counted it.
use std::sync::Arc;

use auth_server::domain::audit::AuditEvent;
use auth_server::domain::lockout::LockoutPolicy;
use auth_server::domain::retention::{EventRetention, Retention};
use auth_server::domain::session::SessionPolicy;
use auth_server::maintenance::{Cleanup, Deleted};
use auth_server::store::audit::AuditStore;
use service_kit::both_engines;
use service_kit::clock::ManualClock;
use service_kit::db::Engine;

use super::scene::scene;
use super::{pass, runner, DAY, HOUR, MINUTE};

async fn retention_zero_keeps_every_event(engine: Engine) {
    let s = scene(engine).await;
    s.event("ancient").await;
    s.link("link", HOUR).await;
    s.clock.advance(30_000 * DAY);
    let forever = EventRetention::from_days(0).expect("valid");
    let deleted = pass(&runner(&s.database, s.clock.clone(), forever)).await;
    assert_eq!(
        deleted,
        Deleted {
            one_time_tokens: 1,
            ..Deleted::default()
        }
    );
    assert_eq!(s.count("audit_events", "detail", "ancient").await, 1);
}
both_engines!(
    cleanup_retention_zero_keeps_every_event,
    retention_zero_keeps_every_event
);

/// With usage reported to billing, an event past retention stays until
/// the usage report has counted its window (it may be a login that makes a
/// user active this month).
async fn activity_not_yet_reported_stays(engine: Engine) {
    // 2026-11-02T00:00:00Z: the month started a day before.
    const NOV_2: i64 = 1_793_577_600;
    let fake = crate::billing_fake::FakeBilling::start().await;
    let app = crate::helpers::spawn_app(engine).await;
    let acme = app.tenant("acme", serde_json::json!({})).await;
    let clock = Arc::new(ManualClock::new(NOV_2));
    AuditStore::new(app.database.pool.clone())
        .insert(&AuditEvent {
            tenant_id: acme.id.to_string(),
            user_id: Some("u-1".into()),
            kind: "login".into(),
            outcome: "success".into(),
            ip: "127.0.0.1".into(),
            user_agent: "test".into(),
            detail: "counted-by-billing".into(),
            account: None,
            created_at: NOV_2,
        })
        .await
        .expect("event");
    clock.set(NOV_2 + 3 * DAY);
    let billing = crate::billing_fake::billing_for(&app, &fake.url, clock.clone());
    let reporter = billing.reporter.clone().expect("reporter");
    let retention = Retention::new(
        EventRetention::from_days(1).expect("valid"),
        &SessionPolicy::default(),
        &[LockoutPolicy::ACCOUNT],
    );
    let every = std::time::Duration::from_secs(10 * 60);
    let cleanup = Cleanup::new(
        &app.database,
        retention,
        every,
        Some(reporter.clone()),
        clock.clone(),
    );
    let kept = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM audit_events WHERE detail = $1")
            .bind("counted-by-billing")
            .fetch_one(&app.database.pool)
            .await
            .expect("count")
            == 1
    };
    pass(&cleanup).await;
    assert!(kept().await, "never reported: the report starts at Nov 1");
    let round = reporter.run_once().await.expect("round");
    assert!(round.caught_up && round.events == 1, "{round:?}");
    clock.advance(10 * MINUTE);
    pass(&cleanup).await;
    assert!(!kept().await, "reported and two days past retention");
}
both_engines!(
    cleanup_activity_not_yet_reported_stays,
    activity_not_yet_reported_stays
);
