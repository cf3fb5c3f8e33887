//! Rotation when due: each tenant's period, the background task, another
//! instance's lease, and two instances racing on one PostgreSQL database.
use std::sync::Arc;
use std::time::{Duration, Instant};

use auth_server::domain::signing_alg::SigningAlg;
use auth_server::keys::keyring::KeyringError;
use auth_server::keys::rotation::spawn_rotation_task;
use auth_server::keys::sealed::MasterKeys;
use auth_server::keys::signing::KeyState;
use auth_server::store::scheduled_jobs::ScheduledJobStore;
use serde_json::json;
use service_kit::both_engines;
use service_kit::db::Engine;

use super::{connect, kit, ring, service, DAY, START};

async fn rotate_due_follows_the_period(engine: Engine) {
    let kit = kit(engine).await;
    let default = kit.tenant("acme", json!({})).await;
    let weekly = kit.tenant("weekly", json!({"key_rotation_days": 7})).await;
    for t in [&default, &weekly] {
        kit.keys.ensure_keys(t.id, &[]).await.expect("ensured");
    }
    assert_eq!(kit.keys.rotate_due().await.expect("run"), 0);
    kit.clock.advance(7 * DAY - 1);
    assert_eq!(kit.keys.rotate_due().await.expect("run"), 0);
    kit.clock.advance(1);
    assert_eq!(
        kit.keys.rotate_due().await.expect("run"),
        2,
        "weekly tenant only"
    );
    assert_eq!(
        kit.keys.rotate_due().await.expect("run"),
        0,
        "already rotated"
    );
    assert_eq!(kit.kids(&weekly, KeyState::Retired).await.len(), 2);
    assert!(kit.kids(&default, KeyState::Retired).await.is_empty());
    kit.clock.set(START + 30 * DAY);
    // Day 30: the default period is over, and the weekly tenant's key is 23 days old.
    assert_eq!(kit.keys.rotate_due().await.expect("run"), 4);
    assert_eq!(kit.kids(&default, KeyState::Retired).await.len(), 2);
    for t in [&default, &weekly] {
        assert_eq!(kit.kids(t, KeyState::Active).await.len(), 2);
        assert_eq!(kit.kids(t, KeyState::Next).await.len(), 2);
    }
}
both_engines!(
    keys_rotate_due_follows_the_period,
    rotate_due_follows_the_period
);

/// The shortest period a tenant may set, one day, is honoured to the second.
async fn a_daily_tenant_rotates_after_exactly_one_day(engine: Engine) {
    let kit = kit(engine).await;
    let daily = kit.tenant("daily", json!({"key_rotation_days": 1})).await;
    kit.keys.ensure_keys(daily.id, &[]).await.expect("ensured");
    kit.clock.advance(DAY - 1);
    assert_eq!(kit.keys.rotate_due().await.expect("run"), 0);
    kit.clock.advance(1);
    assert_eq!(kit.keys.rotate_due().await.expect("run"), 2);
    assert_eq!(kit.kids(&daily, KeyState::Retired).await.len(), 2);
}
both_engines!(
    keys_a_daily_tenant_rotates_after_exactly_one_day,
    a_daily_tenant_rotates_after_exactly_one_day
);

/// The background task rotates what is due as soon as it starts, and again
/// every round.
async fn the_rotation_task_rotates_due_keys(engine: Engine) {
    let kit = kit(engine).await;
    let t = kit.tenant("acme", json!({"key_rotation_days": 1})).await;
    kit.keys.ensure_keys(t.id, &[]).await.expect("ensured");
    kit.clock.advance(DAY);
    let task = spawn_rotation_task(Arc::clone(&kit.keys), Duration::from_secs(1));
    let deadline = Instant::now() + Duration::from_secs(20);
    while kit.kids(&t, KeyState::Retired).await.len() < 2 {
        assert!(
            Instant::now() < deadline,
            "the task rotated nothing in 20 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A day later the next round rotates again.
    kit.clock.advance(DAY);
    while kit.kids(&t, KeyState::Retired).await.len() < 4 {
        assert!(Instant::now() < deadline, "no second rotation in 20 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    task.abort();
}
both_engines!(
    keys_the_rotation_task_rotates_due_keys,
    the_rotation_task_rotates_due_keys
);

/// While another instance holds the rotation lease (it may be mid-run, or
/// dead), due keys wait; once its lease has run out they are rotated.
async fn rotation_waits_for_another_instance_s_lease(engine: Engine) {
    let kit = kit(engine).await;
    let t = kit.tenant("acme", json!({"key_rotation_days": 1})).await;
    kit.keys.ensure_keys(t.id, &[]).await.expect("ensured");
    kit.clock.advance(DAY);
    let now = START + DAY;
    let store = ScheduledJobStore::new(kit.database.pool.clone());
    assert!(store
        .try_lease("rotation", "another-instance", now, now + 300)
        .await
        .expect("lease"));
    assert_eq!(kit.keys.rotate_due().await.expect("run"), 0);
    assert!(kit.kids(&t, KeyState::Retired).await.is_empty());
    kit.clock.advance(301);
    assert_eq!(kit.keys.rotate_due().await.expect("run"), 2);
}
both_engines!(
    keys_rotation_waits_for_another_instance_s_lease,
    rotation_waits_for_another_instance_s_lease
);

/// Two instances (two pools) on one PostgreSQL database, racing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_rotate_once() {
    let kit = kit(Engine::Postgres).await;
    let master = Arc::new(MasterKeys::new(&ring(&["k1"])).expect("keys"));
    let other_db = connect(&kit._db.url).await;
    let one = Arc::new(service(
        &kit.database,
        Arc::clone(&master),
        Arc::clone(&kit.clock),
    ));
    let two = Arc::new(service(&other_db, master, Arc::clone(&kit.clock)));
    let mut tenants = Vec::new();
    for slug in ["alpha", "bravo", "charlie"] {
        let t = kit.tenant(slug, json!({})).await;
        one.ensure_keys(t.id, &[]).await.expect("ensured");
        // The second instance's ensure finds everything in place.
        two.ensure_keys(t.id, &[]).await.expect("ensured");
        tenants.push(t);
    }
    kit.clock.advance(30 * DAY);
    let (a, b) = tokio::join!(
        tokio::spawn({
            let s = Arc::clone(&one);
            async move { s.rotate_due().await }
        }),
        tokio::spawn({
            let s = Arc::clone(&two);
            async move { s.rotate_due().await }
        }),
    );
    let total = a.expect("task").expect("run") + b.expect("task").expect("run");
    assert_eq!(total, 6, "3 tenants × 2 algorithms, once each");
    for t in &tenants {
        assert_eq!(kit.kids(t, KeyState::Active).await.len(), 2);
        assert_eq!(kit.kids(t, KeyState::Next).await.len(), 2);
        assert_eq!(kit.kids(t, KeyState::Retired).await.len(), 2);
    }
    // On-demand rotations racing: exactly one wins each round.
    let t = tenants[0].id;
    for round in 1..=3 {
        kit.clock.advance(one.policy().jwks_max_age_secs);
        let (a, b) = tokio::join!(
            tokio::spawn({
                let s = Arc::clone(&one);
                async move { s.rotate(t, SigningAlg::ES256).await }
            }),
            tokio::spawn({
                let s = Arc::clone(&two);
                async move { s.rotate(t, SigningAlg::ES256).await }
            }),
        );
        let (a, b) = (a.expect("task"), b.expect("task"));
        assert_eq!(
            a.is_ok() as u8 + b.is_ok() as u8,
            1,
            "round {round}: {a:?} / {b:?}"
        );
        for lost in [a, b].into_iter().filter_map(Result::err) {
            assert!(
                matches!(
                    lost,
                    KeyringError::Conflict(_) | KeyringError::NextTooYoung { .. }
                ),
                "{lost:?}"
            );
        }
        let retired = kit.keys.list(t).await.expect("list");
        let es_retired = retired
            .iter()
            .filter(|k| k.alg == SigningAlg::ES256 && k.state == KeyState::Retired)
            .count();
        assert_eq!(es_retired, 1 + round);
    }
}
