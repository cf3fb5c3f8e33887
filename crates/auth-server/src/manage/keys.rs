//! A tenant's signing keys as an owner or operator looks after them: the
//! list with each key's state and dates, a rotation now, and the emergency
//! revocation of one key (it leaves the key set at once).
use std::sync::Arc;

use crate::domain::signing_alg::SigningAlg;
use crate::domain::tenant::TenantId;
use crate::keys::keyring::{KeyInfo, KeyService, KeyringError};
use crate::keys::rotation::Rotated;

pub struct Keys {
    keys: Arc<KeyService>,
}

impl Keys {
    pub fn new(keys: Arc<KeyService>) -> Self {
        Self { keys }
    }

    pub async fn list(&self, tenant: TenantId) -> Result<Vec<KeyInfo>, KeyringError> {
        self.keys.list(tenant).await
    }

    /// The next key of `alg` signs from now on; refused while it is younger
    /// than the key set's cache lifetime (see [`KeyService::rotate`]).
    pub async fn rotate(&self, tenant: TenantId, alg: SigningAlg) -> Result<Rotated, KeyringError> {
        let rotated = self.keys.rotate(tenant, alg).await?;
        tracing::info!(tenant_id = %tenant, alg = alg.as_str(), active = %rotated.active, "signing key rotated");
        Ok(rotated)
    }

    /// Days between scheduled rotations for a tenant that sets none.
    pub fn default_rotation_days(&self) -> i64 {
        self.keys.policy().period_secs / (24 * 3600)
    }

    /// Revokes the key `kid` of `tenant` (see [`KeyService::revoke`]).
    pub async fn revoke(&self, tenant: TenantId, kid: &str) -> Result<(), KeyringError> {
        self.keys.revoke(tenant, kid).await?;
        tracing::warn!(tenant_id = %tenant, kid, "signing key revoked");
        Ok(())
    }
}
