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
            .insert(&AuditEvent {
                tenant_id: tenant.to_string(),
                user_id: None,
                kind: "sentinel".to_owned(),
                outcome: "unblocked".to_owned(),
                ip: String::new(),
                user_agent: String::new(),
                detail: json!({
                    "block": block.id,
                    "network": block.network,
                    "reason": block.reason,
                    "by": actor.to_string(),
                })
                .to_string(),
                account: None,
                created_at: now,
            })
            .await?;
        tracing::info!(tenant_id = %tenant, network = %block.network, %actor, "address unblocked");
        Ok(block)
    }
}
