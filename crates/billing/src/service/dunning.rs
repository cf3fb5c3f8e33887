//! After a failed payment the tenant keeps its plan for the grace period;
//! then its plan in force is Free and the owner is told, once.
use std::sync::Arc;
use std::time::Duration;

use service_kit::periodic::{spawn_every, First};
use tokio::task::JoinHandle;

use super::{notify, Billing, BillingError};

impl Billing {
    /// Tells the owners of tenants whose grace period ended; returns how many.
    pub async fn run_dunning_once(&self) -> Result<usize, BillingError> {
        let now = self.now();
        let lapsed = self.subscriptions.mark_lapsed(now).await?;
        for tenant in &lapsed {
            tracing::info!(%tenant, "grace period over: the tenant is on the Free plan");
            if let Some(owner) = self.accounts.get(*tenant).await?.owner_email {
                notify::downgraded(self, &owner);
            }
        }
        Ok(lapsed.len())
    }
}

/// Runs [`Billing::run_dunning_once`] every `every` until the handle is aborted.
pub fn spawn_dunning_task(billing: Arc<Billing>, every: Duration) -> JoinHandle<()> {
    spawn_every("dunning", every, First::Now, move || {
        let billing = billing.clone();
        async move {
            if let Err(e) = billing.run_dunning_once().await {
                tracing::warn!(error = %e, "dunning round failed; retried next round");
            }
        }
    })
}
