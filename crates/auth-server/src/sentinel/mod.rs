//! The sentinel: the security agent inside the auth server. One instance
//! at a time (a database lease) reads the audit trail as it grows, runs the
//! detectors of `domain::sentinel` on each tenant with new login or signup
//! events, and acts: it opens an incident, blocks the attacking addresses
//! for a while, records both as `sentinel` audit events and mails the
//! tenant's owners. Reused refresh tokens and replayed codes (`token`
//! events the OAuth layer writes) open an incident too: the user's sessions
//! end and the user is mailed (`tokens`). A tenant's login failure ratio
//! far above its own hourly baseline is an incident too (`surge`), and a
//! password login to an account without a second factor from a range and
//! a browser it never used is told to its user (`unfamiliar`). Bursts of
//! 401s on the management API from one address, counted by every instance
//! (`manage_probes`), get the address blocked there (`probes`).
//! Credentials marked compromised by hand have their alert mailed from
//! here (`reported`). Every instance enforces the blocks (`blocklist`).
//! docs/sentinel.md says what each detector does and how to tune it.
mod actions;
pub mod blocklist;
pub mod daily_report;
pub mod manage_probes;
mod probes;
mod reported;
mod runner;
mod step_up;
mod surge;
mod tokens;
mod unfamiliar;
mod windows;

use std::sync::atomic::AtomicI64;
use std::sync::Arc;

use service_kit::clock::SharedClock;
use service_kit::db::Database;

use crate::config::SentinelSettings;
use crate::identity::{Identity, IdentityError};
use crate::store::audit::AuditStore;
use crate::store::blocks::BlockStore;
use crate::store::clients::ClientStore;
use crate::store::grants::GrantStore;
use crate::store::login_hours::LoginHoursStore;
use crate::store::owners::OwnerStore;
use crate::store::reported_incidents::ReportedIncidentStore;
use crate::store::sentinel::SentinelStore;
use crate::store::sign_in_history::SignInHistoryStore;
use crate::store::step_up::StepUpStore;
use crate::store::tenants::TenantStore;
use crate::store::users::UserStore;
use crate::store::StoreError;
pub use blocklist::Blocklist;
pub use manage_probes::ManageProbes;
pub use runner::TICK;

#[derive(Debug, thiserror::Error)]
pub enum SentinelError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Identity(#[from] IdentityError),
}

pub struct Sentinel {
    store: SentinelStore,
    /// Incidents opened by hand whose alert waits to be mailed.
    reported: ReportedIncidentStore,
    blocks: BlockStore,
    tenants: TenantStore,
    /// The name of a reused token's application, for the user's mail.
    clients: ClientStore,
    owners: OwnerStore,
    audit: AuditStore,
    /// A reused refresh token's grant, revoked again by the incident.
    grants: GrantStore,
    /// The user a reused refresh token belonged to, for their mail.
    users: UserStore,
    /// Accounts under attack, marked for a second step at login.
    step_up: StepUpStore,
    /// Each tenant's logins per hour: the failure surge's baseline.
    login_hours: LoginHoursStore,
    /// An account's earlier logins, for the unfamiliar-login detector.
    sign_ins: SignInHistoryStore,
    /// The hour this instance last deleted old login hours in.
    pruned_hour: AtomicI64,
    /// Mails go through the identity mail queue and texts.
    identity: Arc<Identity>,
    /// This instance's blocks, refreshed at once after a block is made.
    blocklist: Arc<Blocklist>,
    clock: SharedClock,
    settings: SentinelSettings,
    /// Who holds the lease: this process.
    instance: String,
    /// Each active tenant's window, held by the round in progress.
    windows: tokio::sync::Mutex<windows::Windows>,
}

impl Sentinel {
    pub fn new(
        db: &Database,
        identity: Arc<Identity>,
        blocklist: Arc<Blocklist>,
        clock: SharedClock,
        settings: SentinelSettings,
    ) -> Self {
        let pool = db.pool.clone();
        Self {
            store: SentinelStore::new(pool.clone()),
            reported: ReportedIncidentStore::new(pool.clone()),
            blocks: BlockStore::new(pool.clone()),
            tenants: TenantStore::with_clock(pool.clone(), clock.clone()),
            clients: ClientStore::new(pool.clone()),
            owners: OwnerStore::new(pool.clone()),
            audit: AuditStore::new(pool.clone()),
            grants: GrantStore::new(pool.clone()),
            step_up: StepUpStore::new(pool.clone()),
            login_hours: LoginHoursStore::new(pool.clone()),
            sign_ins: SignInHistoryStore::new(pool.clone()),
            pruned_hour: AtomicI64::new(i64::MIN),
            users: UserStore::new(pool),
            identity,
            blocklist,
            clock,
            settings,
            instance: uuid::Uuid::new_v4().to_string(),
            windows: tokio::sync::Mutex::new(windows::Windows::default()),
        }
    }
}
