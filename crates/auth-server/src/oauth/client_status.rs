//! Disabling a client ends what it holds: every grant it got is revoked, so
//! its refresh tokens are refused and its access tokens are inactive at
//! introspection and userinfo (which also check the client itself). A
//! client whose secret leaked keeps working with a new secret, and loses
//! the same.
use super::OAuth;
use crate::domain::client::{Client, ClientId, PlainSecret, SecretOverlap};
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

    /// The client's secret leaked: a new one replaces it at once (the old
    /// one is refused from now, no overlap), every grant the client holds is
    /// revoked (refresh tokens refused, access tokens inactive), and its
    /// client_credentials tokens, issued before the rotation, are inactive
    /// at introspection. The new secret, and how many grants were revoked.
    pub async fn replace_leaked_secret(
        &self,
        tenant: TenantId,
        id: &ClientId,
    ) -> Result<(Client, PlainSecret, u64), DisableClientError> {
        let now = self.now();
        let (client, secret) = self
            .clients
            .rotate_secret(tenant, id, SecretOverlap::NONE, now)
            .await?;
        self.client_changed(tenant);
        let revoked = self
            .grants
            .revoke_for_client(tenant, id.as_ref(), "client secret compromised", now)
            .await?;
        Ok((client, secret, revoked))
    }
}
