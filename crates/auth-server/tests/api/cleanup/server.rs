//! The cleanup in a running server: started with it on, the server runs a
//! pass at start.
use std::sync::Arc;

use auth_server::store::blocks::{AppliesTo, BlockStore, NewBlock};
use service_kit::both_engines;
use service_kit::clock::ManualClock;
use service_kit::db::Engine;

use super::{HOUR, MINUTE, T0};

/// A server started with `AUTH_CLEANUP_EVERY_MINUTES` set runs a pass at
/// start (and every period after), reading its clock.
async fn a_server_runs_the_cleanup(engine: Engine) {
    let clock = Arc::new(ManualClock::new(T0));
    let app = crate::helpers::spawn_app_with_clock(engine, &[], clock.clone()).await;
    let blocks = BlockStore::new(app.database.pool.clone());
    blocks
        .insert(&NewBlock {
            tenant_id: None,
            network: "203.0.113.9/32",
            reason: "test",
            created_by: "operator",
            created_at: T0,
            expires_at: T0 + MINUTE,
            applies_to: AppliesTo::Tenant,
        })
        .await
        .expect("block");
    clock.advance(HOUR);
    assert_eq!(blocks.active(0).await.expect("blocks").len(), 1);
    app.spawn_peer_with(clock, &[("AUTH_CLEANUP_EVERY_MINUTES", "10")])
        .await;
    let mut gone = false;
    for _ in 0..100 {
        if blocks.active(0).await.expect("blocks").is_empty() {
            gone = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(gone, "the peer's first pass removes the expired block");
}
both_engines!(cleanup_a_server_runs_the_cleanup, a_server_runs_the_cleanup);
