//! The blocks every instance enforces, held in memory and swapped whole
//! once a second from `blocked_addresses`, so the edge never waits on the
//! database and a block made or lifted anywhere holds everywhere within a
//! second: on the tenants' paths, and on the management API.
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use ipnet::IpNet;
use service_kit::clock::SharedClock;
use service_kit::periodic::{spawn_every, First};
use tokio::task::JoinHandle;

use crate::domain::sentinel::networks::{covers, parse_network, AddressList};
use crate::store::blocks::{AppliesTo, BlockStore};
use crate::store::StoreError;

/// How often each instance reads the blocks again.
pub const REFRESH: Duration = Duration::from_secs(1);

/// (range, expires_at) pairs.
type Ranges = Vec<(IpNet, i64)>;

#[derive(Debug, Default)]
struct Snapshot {
    /// Blocks for every tenant.
    global: Ranges,
    /// Blocks of one tenant, by the slug requests name.
    by_slug: HashMap<String, Ranges>,
    /// Blocks on the management API.
    manage: Ranges,
}

/// The seconds left of the longest block in `ranges` over `ip` at `now`.
fn longest(ranges: &Ranges, ip: IpAddr, now: i64) -> Option<i64> {
    ranges
        .iter()
        .filter(|(net, expires_at)| *expires_at > now && covers(net, ip))
        .map(|(_, expires_at)| expires_at - now)
        .max()
}

pub struct Blocklist {
    snapshot: RwLock<Arc<Snapshot>>,
    store: BlockStore,
    never_block: AddressList,
    clock: SharedClock,
}

impl Blocklist {
    pub fn new(store: BlockStore, never_block: AddressList, clock: SharedClock) -> Self {
        Self {
            snapshot: RwLock::new(Arc::new(Snapshot::default())),
            store,
            never_block,
            clock,
        }
    }

    /// Reads the blocks in force and swaps them in.
    pub async fn refresh(&self) -> Result<(), StoreError> {
        let mut next = Snapshot::default();
        for block in self.store.active(self.clock.now()).await? {
            let Ok(net) = parse_network(&block.network) else {
                tracing::warn!(id = %block.id, "ignoring a block whose range does not parse");
                continue;
            };
            if self.never_block.spares(&net) {
                continue;
            }
            if block.applies_to == AppliesTo::ManageApi {
                next.manage.push((net, block.expires_at));
                continue;
            }
            match block.tenant_slug {
                Some(slug) => next
                    .by_slug
                    .entry(slug)
                    .or_default()
                    .push((net, block.expires_at)),
                None if block.tenant_id.is_none() => next.global.push((net, block.expires_at)),
                // Scoped to a tenant that is gone: nothing to enforce.
                None => {}
            }
        }
        let next = Arc::new(next);
        match self.snapshot.write() {
            Ok(mut current) => *current = next,
            Err(poisoned) => *poisoned.into_inner() = next,
        }
        Ok(())
    }

    /// When `ip` is blocked on tenant `slug` (or on every tenant): the
    /// seconds until the block ends.
    pub fn refuses(&self, slug: Option<&str>, ip: IpAddr) -> Option<i64> {
        let snapshot = self.snapshot();
        let now = self.clock.now();
        let scoped = slug.and_then(|s| snapshot.by_slug.get(s));
        longest(&snapshot.global, ip, now).max(scoped.and_then(|ranges| longest(ranges, ip, now)))
    }

    /// When `ip` is blocked on the management API: the seconds until the
    /// block ends.
    pub fn refuses_manage(&self, ip: IpAddr) -> Option<i64> {
        let snapshot = self.snapshot();
        let now = self.clock.now();
        longest(&snapshot.manage, ip, now)
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        match self.snapshot.read() {
            Ok(s) => Arc::clone(&s),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Refreshes every [`REFRESH`] until the server stops.
    pub fn spawn_refresh(self: Arc<Self>) -> JoinHandle<()> {
        spawn_every("blocklist", REFRESH, First::Now, move || {
            let blocklist = self.clone();
            async move {
                if let Err(e) = blocklist.refresh().await {
                    tracing::warn!(error = %e, "cannot read the blocked addresses; keeping the last ones");
                }
            }
        })
    }
}
