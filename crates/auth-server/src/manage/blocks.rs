//! A tenant's blocked addresses, as operators, API credentials and the CLI
//! see, make and lift them. Making or lifting a block is audited like the
//! sentinel's own actions (kind `sentinel`, outcome `blocked` or
//! `unblocked`), so the tenant's webhooks hear of it too.
use serde_json::json;
use service_kit::clock::SharedClock;

use super::{Actor, ManageError};
use crate::domain::audit::{AuditEvent, AuditKind};
use crate::domain::sentinel::block_order::{BlockOrder, BlockOrderError};
use crate::domain::sentinel::networks::AddressList;
use crate::domain::tenant::{Tenant, TenantId};
use crate::store::audit::AuditStore;
pub use crate::store::blocks::Block;
use crate::store::blocks::{AppliesTo, BlockStore, NewBlock};
use crate::store::StoreError;

pub struct Blocks {
    store: BlockStore,
    audit: AuditStore,
    /// `AUTH_SENTINEL_NEVER_BLOCK`: never blocked, by hand either.
    never_block: AddressList,
    clock: SharedClock,
}

impl Blocks {
    pub fn new(
        store: BlockStore,
        audit: AuditStore,
        never_block: AddressList,
        clock: SharedClock,
    ) -> Self {
        Self {
            store,
            audit,
            never_block,
            clock,
        }
    }

    /// Blocks `order.network` on the tenant until `order.minutes` from now:
    /// every instance refuses it within a second. Refused when the range
    /// holds an address that is never blocked (the operator's list, the
    /// tenant's allowlist), which would otherwise lock out the operator.
    pub async fn block(
        &self,
        tenant: &Tenant,
        order: BlockOrder,
        actor: &Actor,
    ) -> Result<Block, ManageError> {
        let net = order.network;
        if self.never_block.spares(&net) || tenant.settings.sentinel_allowlist().spares(&net) {
            return Err(BlockOrderError::Spared(net).into());
        }
        let now = self.clock.now();
        let expires_at = order.expires_at(now);
        let reason = format!("operator: {}", order.reason);
        let network = net.to_string();
        let id = self
            .store
            .insert(&NewBlock {
                tenant_id: Some(tenant.id),
                network: &network,
                reason: &reason,
                created_by: "operator",
                created_at: now,
                expires_at,
                applies_to: AppliesTo::Tenant,
            })
            .await?;
        self.audit
            .insert(&AuditEvent::system(
                tenant.id,
                AuditKind::Sentinel,
                "blocked",
                json!({
                    "block": id,
                    "network": network,
                    "reason": order.reason.as_str(),
                    "expires_at": expires_at,
                    "by": actor.to_string(),
                }),
                now,
            ))
            .await?;
        tracing::warn!(tenant = %tenant.slug, %network, %actor, "address blocked by hand");
        Ok(Block {
            id,
            tenant_id: Some(tenant.id),
            tenant_slug: Some(tenant.slug.to_string()),
            network,
            reason,
            created_by: "operator".to_owned(),
            created_at: now,
            expires_at,
            applies_to: AppliesTo::Tenant,
        })
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
                AuditKind::Sentinel,
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
