//! Signing keys made a month ago, and what became of them: the key
//! rotation part of the scale-out test.
use std::sync::Arc;

use auth_server::domain::tenant::{DisplayName, NewTenant, TenantId, TenantSettings, TenantSlug};
use auth_server::keys::keyring::{KeyService, RotationPolicy};
use auth_server::keys::sealed::MasterKeys;
use auth_server::keys::signing::KeyState;
use auth_server::store::audit::AuditStore;
use auth_server::store::signing_keys::SigningKeyStore;
use auth_server::store::tenants::TenantStore;
use serde_json::json;
use service_kit::clock::{Clock, ManualClock, SystemClock};
use service_kit::db::PoolSettings;
use service_kit::secret::Secret;

use crate::common::MASTER_KEYS;

const DAY: i64 = 86_400;

/// A tenant whose signing keys were made 31 days ago (a key service on a
/// clock set back), so they are due to rotate when the instances start.
pub async fn tenant_with_month_old_keys(database_url: &str, slug: &str) -> TenantId {
    let database = service_kit::db::connect(database_url, PoolSettings::default())
        .await
        .expect("connect");
    let tenant = TenantStore::new(database.pool.clone())
        .create(NewTenant {
            slug: TenantSlug::parse(slug).expect("slug"),
            display_name: DisplayName::parse(slug).expect("name"),
            settings: TenantSettings::parse(json!({})).expect("settings"),
        })
        .await
        .expect("tenant");
    keys(
        &database,
        Arc::new(ManualClock::new(SystemClock.now() - 31 * DAY)),
    )
    .ensure_keys(tenant.id, &[])
    .await
    .expect("keys");
    tenant.id
}

pub fn keys(
    database: &service_kit::db::Database,
    clock: service_kit::clock::SharedClock,
) -> KeyService {
    let ring: Vec<(String, Secret)> = MASTER_KEYS
        .split(',')
        .filter_map(|pair| pair.split_once(':'))
        .map(|(id, secret)| (id.to_owned(), Secret::new(secret)))
        .collect();
    KeyService::new(
        SigningKeyStore::new(database.pool.clone()),
        Arc::new(MasterKeys::new(&ring).expect("master keys")),
        clock,
        RotationPolicy::default(),
    )
    .expect("key service")
}

/// (key_rotated events, active, next, retired keys) of the tenant.
pub async fn rotation_state(database_url: &str, tenant: TenantId) -> (usize, usize, usize, usize) {
    let database = service_kit::db::connect(database_url, PoolSettings::default())
        .await
        .expect("connect");
    let rotated = AuditStore::new(database.pool.clone())
        .recent(tenant, 500)
        .await
        .expect("audit")
        .into_iter()
        .filter(|e| e.kind == "key_rotated")
        .count();
    let list = keys(&database, Arc::new(SystemClock))
        .list(tenant)
        .await
        .expect("keys");
    let count = |state| list.iter().filter(|k| k.state == state).count();
    (
        rotated,
        count(KeyState::Active),
        count(KeyState::Next),
        count(KeyState::Retired),
    )
}
