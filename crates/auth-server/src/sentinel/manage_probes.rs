//! Every instance counts the 401s its management API answers, by address,
//! in memory, and once a second writes the reports that are due
//! (`domain::sentinel::manage_probe`) as `manage_auth` audit events of the
//! `platform` tenant: an address's first 401s at once, then at most one
//! report a minute, sooner only while its count alone shows an attack. The
//! sentinel reads them (`probes.rs`) and blocks the address on the
//! management API. Counting costs a lock and a map entry, never a write.
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use service_kit::clock::SharedClock;
use service_kit::periodic::{spawn_every, First};
use tokio::task::JoinHandle;

use crate::cache::TenantDirectory;
use crate::domain::audit::{AuditEvent, AuditKind};
use crate::domain::sentinel::manage_probe::{ProbeCounts, ProbeSettings, Report};
use crate::domain::sentinel::networks::AddressList;
use crate::domain::tenant::PLATFORM_SLUG;
use crate::store::audit::AuditStore;
use crate::store::StoreError;

/// How often the reports due are written.
pub const FLUSH: Duration = Duration::from_secs(1);

pub struct ManageProbes {
    counts: Mutex<ProbeCounts>,
    audit: AuditStore,
    directory: Arc<TenantDirectory>,
    clock: SharedClock,
    settings: ProbeSettings,
    /// `AUTH_SENTINEL_NEVER_BLOCK`: never blocked, so never urgent.
    never_block: AddressList,
}

impl ManageProbes {
    pub fn new(
        audit: AuditStore,
        directory: Arc<TenantDirectory>,
        clock: SharedClock,
        settings: ProbeSettings,
        never_block: AddressList,
    ) -> Self {
        Self {
            counts: Mutex::new(ProbeCounts::default()),
            audit,
            directory,
            clock,
            settings,
            never_block,
        }
    }

    /// Counts one 401 answered to `ip`.
    pub fn record(&self, ip: IpAddr) {
        let counted = match self.counts.lock() {
            Ok(mut counts) => counts.record(ip),
            Err(poisoned) => poisoned.into_inner().record(ip),
        };
        if !counted {
            tracing::warn!("management API 401s: too many addresses counted; one not counted");
        }
    }

    /// Writes the reports due now. Reports that cannot be written are lost
    /// (logged): the counts they carried are not counted again.
    pub async fn flush(&self) -> Result<usize, StoreError> {
        let now = self.clock.now();
        let due: Vec<Report> = match self.counts.lock() {
            Ok(mut counts) => counts.due(now, self.settings, &self.never_block),
            Err(poisoned) => poisoned
                .into_inner()
                .due(now, self.settings, &self.never_block),
        };
        if due.is_empty() {
            return Ok(0);
        }
        let platform = self.directory.by_slug(PLATFORM_SLUG).await?;
        for report in &due {
            let event = AuditEvent {
                ip: report.network.addr().to_string(),
                ..AuditEvent::system(
                    platform.id,
                    AuditKind::ManageAuth,
                    "failure",
                    json!({ "failures": report.failures, "network": report.network.to_string() }),
                    now,
                )
            };
            self.audit.insert(&event).await?;
        }
        Ok(due.len())
    }

    /// Flushes every [`FLUSH`] until the server stops.
    pub fn spawn(self: Arc<Self>) -> JoinHandle<()> {
        spawn_every("management API 401 reports", FLUSH, First::Now, move || {
            let probes = self.clone();
            async move {
                if let Err(e) = probes.flush().await {
                    tracing::warn!(error = %e, "management API 401 reports not written");
                }
            }
        })
    }
}
