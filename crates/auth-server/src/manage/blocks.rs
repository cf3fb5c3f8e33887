//! A tenant's blocked addresses, as operators, API credentials and the CLI
//! see and lift them. Lifting a block is audited like the sentinel's own
//! actions (kind `sentinel`, outcome `unblocked`).
use serde_json::json;
use service_kit::clock::SharedClock;

use super::{Actor, ManageError};
use crate::domain::tenant::TenantId;
use crate::store::audit::{AuditEvent, AuditStore};
use crate::store::blocks::{Block, BlockStore};
use crate::store::StoreError;

pub struct Blocks {
    store: BlockStore,
    audit: AuditStore,
    clock: SharedClock,
}

impl Blocks {
    pub fn new(store: BlockStore, audit: AuditStore, clock: SharedClock) -> Self {
        Self {
            store,
            audit,
            clock,
        }
    }

    /// The tenant's blocks in force, newest first.
    pub async fn list(&self, tenant: TenantId) -> Result<Vec<Block>, ManageError> {
        Ok(self.store.list(tenant, self.clock.now()).await?)
    }

    /// Lifts the tenant's block `id`: every instance stops enforcing it
    /// within a second.
    pub async fn unblock(
        &self,
        tenant: TenantId,
        id: &str,
        actor: &Actor,
    ) -> Result<Block, ManageError> {
        let block = self
            .store
            .remove(tenant, id)
            .await?
            .ok_or(StoreError::BlockNotFound)?;
        let now = self.clock.now();
        self.audit
            .insert(&AuditEvent::system(
                tenant,
                "sentinel",
                "unblocked",
                json!({
                    "block": block.id,
                    "network": block.network,
                    "reason": block.reason,
                    "by": actor.to_string(),
                }),
                now,
            ))
            .await?;
        tracing::info!(tenant_id = %tenant, network = %block.network, %actor, "address unblocked");
        Ok(block)
    }
}
