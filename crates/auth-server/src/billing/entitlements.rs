//! Each tenant's entitlements, cached, failing open. Only signups ask: logins
//! and token refreshes never wait for billing.
//!
//! A miss is single-flight per tenant: the first caller fetches while the
//! others for that tenant wait for its result (at most the client's 2 s).
//! A failed fetch keeps the last known value (stale but the best knowledge)
//! and is not retried for a short while; with nothing known, signups are
//! allowed.
use std::collections::HashMap;
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use super::client::{BillingClient, Entitlements};
use crate::domain::tenant::PLATFORM_SLUG;
use crate::domain::tenant::{Tenant, TenantId};

/// After a failed fetch, the next attempt waits this long (or the TTL if shorter).
const FAILURE_BACKOFF: Duration = Duration::from_secs(10);
/// Tenants remembered; past this the cache starts over.
const CACHE_MAX: usize = 10_000;

#[derive(Default)]
struct Slot {
    known: Option<Entitlements>,
    /// Until when no fetch is tried.
    fresh_until: Option<Instant>,
}

pub struct EntitlementsCache {
    /// `None`: billing is not configured and everything is allowed.
    client: Option<Arc<BillingClient>>,
    ttl: Duration,
    slots: std::sync::Mutex<HashMap<TenantId, Arc<Mutex<Slot>>>>,
}

impl EntitlementsCache {
    pub fn new(client: Option<Arc<BillingClient>>, ttl: Duration) -> Self {
        Self {
            client,
            ttl,
            slots: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// Whether the tenant may take new accounts. True unless billing said
    /// otherwise (now, or last time it answered). The platform tenant is not
    /// metered.
    pub async fn signups_allowed(&self, tenant: &Tenant) -> bool {
        if tenant.slug.as_ref() == PLATFORM_SLUG {
            return true;
        }
        self.get(tenant.id).await.is_none_or(|e| e.signups_allowed)
    }

    /// The freshest entitlements known, fetching when the cached ones are
    /// older than the TTL; `None` when billing is off or never answered.
    pub async fn get(&self, tenant: TenantId) -> Option<Entitlements> {
        let client = self.client.as_ref()?;
        let slot = self.slot(tenant);
        let mut slot = slot.lock().await;
        let now = Instant::now();
        if slot.fresh_until.is_some_and(|until| until > now) {
            return slot.known.clone();
        }
        match client.entitlements(tenant).await {
            Ok(fetched) => {
                slot.known = Some(fetched);
                slot.fresh_until = Some(Instant::now() + self.ttl);
            }
            Err(e) => {
                tracing::warn!(%tenant, error = %e, stale = slot.known.is_some(),
                    "entitlements unavailable; using the last known (or allowing)");
                slot.fresh_until = Some(Instant::now() + self.ttl.min(FAILURE_BACKOFF));
            }
        }
        slot.known.clone()
    }

    fn slot(&self, tenant: TenantId) -> Arc<Mutex<Slot>> {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        if slots.len() >= CACHE_MAX && !slots.contains_key(&tenant) {
            slots.clear();
        }
        Arc::clone(slots.entry(tenant).or_default())
    }
}
