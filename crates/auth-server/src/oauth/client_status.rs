//! Disabling a client ends what it holds: every grant it got is revoked, so
//! its refresh tokens are refused and its access tokens are inactive at
//! introspection and userinfo (which also check the client itself).
use super::OAuth;
use crate::domain::client::{Client, ClientId};
use crate::domain::tenant::TenantId;
use crate::store::clients::ClientStoreError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum DisableClientError {
    #[error(transparent)]
    Client(#[from] ClientStoreError),
    #[error(transparent)]
    Grants(#[from] StoreError),
}

impl OAuth {
    /// Disables the client and revokes its grants. Calling it again (after a
    /// failure half-way) finishes the job: the first date is kept.
    pub async fn disable_client(
        &self,
        tenant: TenantId,
        id: &ClientId,
    ) -> Result<(Client, u64), DisableClientError> {
        let now = self.now();
        let client = self.clients.disable(tenant, id, now).await?;
        self.client_changed(tenant);
        let revoked = self
            .grants
            .revoke_for_client(tenant, id.as_ref(), "client disabled", now)
            .await?;
        Ok((client, revoked))
    }
}
