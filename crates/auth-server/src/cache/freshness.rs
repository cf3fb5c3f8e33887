//! Per-tenant generations, one per [`Domain`]: a local counter that moves
//! when this instance changes that part of the tenant's data or learns that
//! another one did.
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::domain::tenant::TenantId;
use crate::store::tenant_versions::{ChangeFeed, Domain, TenantVersionStore};
use crate::store::StoreError;
use service_kit::clock::SharedClock;

/// How long a change made on another instance can go unseen here: the
/// version row is read at most once per clock second per tenant.
pub const STALE_BOUND_SECS: i64 = 1;
/// Tenants tracked at once; past this the table starts over (every cached
/// entry then reloads once), which costs reads and never correctness.
const TRACKED_MAX: usize = 100_000;
/// How long to wait before listening again after the feed failed.
const LISTEN_RETRY: Duration = Duration::from_secs(5);

struct Mark {
    /// The local generation entries are tagged with, per domain.
    generations: [AtomicU64; 3],
    /// The version rows as last read, per domain.
    versions: [AtomicI64; 3],
    /// The clock second of the last read.
    checked_at: AtomicI64,
}

pub struct Freshness {
    store: TenantVersionStore,
    clock: SharedClock,
    marks: RwLock<HashMap<TenantId, Arc<Mark>>>,
    /// Bumped when the whole table starts over, so no generation repeats.
    epoch: AtomicU64,
}

impl Freshness {
    pub fn new(store: TenantVersionStore, clock: SharedClock) -> Self {
        Self {
            store,
            clock,
            marks: RwLock::new(HashMap::new()),
            epoch: AtomicU64::new(0),
        }
    }

    /// The tenant's current generation of `domain`. Reads the version rows
    /// when this clock second has not read them yet; a new version moves the
    /// generation of its domain.
    pub async fn generation(&self, tenant: TenantId, domain: Domain) -> Result<u64, StoreError> {
        let now = self.clock.now();
        let mark = match self.mark(tenant) {
            Some(mark) => mark,
            None => {
                let versions = self.store.versions(tenant).await?;
                self.insert(tenant, versions, now)
            }
        };
        let last = mark.checked_at.load(Ordering::Acquire);
        // One request per tenant and second reads the rows; the others go on
        // with the generations they see.
        if now > last
            && mark
                .checked_at
                .compare_exchange(last, now, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            match self.store.versions(tenant).await {
                Ok(versions) => {
                    for (i, version) in versions.into_iter().enumerate() {
                        if mark.versions[i].swap(version, Ordering::AcqRel) != version {
                            mark.generations[i].fetch_add(1, Ordering::AcqRel);
                        }
                    }
                }
                Err(e) => {
                    // Read again on the next request rather than trust a stale mark.
                    mark.checked_at.store(last, Ordering::Release);
                    return Err(e);
                }
            }
        }
        Ok(mark.generations[domain.index()].load(Ordering::Acquire))
    }

    /// The tenant's generation of [`Domain::Catalog`].
    pub async fn catalog(&self, tenant: TenantId) -> Result<u64, StoreError> {
        self.generation(tenant, Domain::Catalog).await
    }

    /// This instance changed the tenant's catalog (tenant, clients, keys,
    /// revoked access tokens).
    pub fn catalog_changed(&self, tenant: TenantId) {
        self.changed(tenant, Domain::Catalog);
    }

    /// This instance changed that part of the tenant's data (or was told
    /// another did): entries loaded before are not used again.
    pub fn changed(&self, tenant: TenantId, domain: Domain) {
        if let Some(mark) = self.mark(tenant) {
            mark.generations[domain.index()].fetch_add(1, Ordering::AcqRel);
        }
    }

    /// Drops a tenant's entries whenever PostgreSQL says it changed, until
    /// the task is aborted. Without the feed (SQLite, or while it is down)
    /// the once-per-second version read alone keeps the bound.
    pub fn spawn_listener(self: Arc<Self>, database_url: String) -> JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                match ChangeFeed::listen(&database_url).await {
                    Ok(mut feed) => loop {
                        match feed.next().await {
                            Ok(Some((tenant, domain))) => self.changed(tenant, domain),
                            Ok(None) => {}
                            Err(e) => {
                                tracing::warn!(error = %e, "tenant change notifications stopped");
                                break;
                            }
                        }
                    },
                    Err(e) => tracing::warn!(error = %e, "cannot listen for tenant changes"),
                }
                tokio::time::sleep(LISTEN_RETRY).await;
            }
        })
    }

    fn mark(&self, tenant: TenantId) -> Option<Arc<Mark>> {
        self.marks
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&tenant)
            .cloned()
    }

    fn insert(&self, tenant: TenantId, versions: [i64; 3], now: i64) -> Arc<Mark> {
        let mut marks = self.marks.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(mark) = marks.get(&tenant) {
            return Arc::clone(mark);
        }
        if marks.len() >= TRACKED_MAX {
            marks.clear();
            self.epoch.fetch_add(1, Ordering::AcqRel);
        }
        // Generations of a new table start past every earlier one.
        let start = self.epoch.load(Ordering::Acquire) << 32;
        let mark = Arc::new(Mark {
            generations: [(); 3].map(|()| AtomicU64::new(start)),
            versions: versions.map(AtomicI64::new),
            checked_at: AtomicI64::new(now),
        });
        marks.insert(tenant, Arc::clone(&mark));
        mark
    }
}
