//! API credentials for a tenant's own automation: each is a confidential
//! client of the `platform` tenant (client_credentials only, the
//! management API as its one resource, `manage:*` scopes) bound to the
//! tenant. Its secret is shown once; revoking disables the client, so its
//! tokens stop working at once, and unbinds it.
use std::sync::Arc;

use super::clients::Clients;
use super::{Actor, ManageError};
use crate::billing_link::platform::Platform;
use crate::domain::api_credential::{ApiCredential, ManageScope, MANAGE_AUDIENCE};
use crate::domain::client::{
    ClientDraft, ClientId, ClientKind, ClientRuleError, ClientSettings, GrantType, PlainSecret,
    Resource,
};
use crate::domain::display_name::DisplayName;
use crate::domain::scope::ScopeSet;
use crate::domain::tenant::TenantId;
use crate::store::api_credentials::ApiCredentialStore;
use service_kit::clock::SharedClock;

pub struct Credentials {
    store: ApiCredentialStore,
    clients: Clients,
    platform: Arc<Platform>,
    clock: SharedClock,
}

/// A credential with what its client says of it.
pub struct CredentialView {
    pub credential: ApiCredential,
    pub scopes: Vec<ManageScope>,
    pub disabled: bool,
}

impl Credentials {
    pub fn new(
        store: ApiCredentialStore,
        clients: Clients,
        platform: Arc<Platform>,
        clock: SharedClock,
    ) -> Self {
        Self {
            store,
            clients,
            platform,
            clock,
        }
    }

    async fn platform_id(&self) -> Result<TenantId, ManageError> {
        self.platform
            .ensure()
            .await
            .map_err(|e| ManageError::Platform(e.to_string()))
    }

    /// A new credential of `tenant` named `name` with `scopes` (at least
    /// one); its secret in clear, this once.
    pub async fn create(
        &self,
        tenant: TenantId,
        name: &str,
        scopes: &[ManageScope],
        actor: Actor,
    ) -> Result<(ApiCredential, PlainSecret), ManageError> {
        let name = DisplayName::parse_exact(name.trim()).map_err(ClientRuleError::Name)?;
        if scopes.is_empty() {
            return Err(ManageError::NoScope);
        }
        let mut draft = ClientDraft::new(name.clone(), vec![GrantType::ClientCredentials]);
        draft.scopes = ScopeSet::from_tokens(scopes.iter().map(|s| s.as_str()))
            .map_err(|_| ManageError::NoScope)?;
        draft.allowed_resources =
            vec![Resource::parse(MANAGE_AUDIENCE).ok_or(ManageError::NoScope)?];
        let settings = ClientSettings::new(ClientKind::Confidential, draft)?;
        let platform = self.platform_id().await?;
        let (client, secret) = self
            .clients
            .create(platform, ClientKind::Confidential, settings)
            .await?;
        let secret = secret.ok_or(ManageError::NoScope)?;
        let credential = ApiCredential {
            client_id: client.id.to_string(),
            tenant_id: tenant,
            name: name.as_ref().to_owned(),
            created_by: actor.to_string(),
            created_at: self.clock.now(),
        };
        self.store.insert(&credential).await?;
        tracing::info!(tenant_id = %tenant, client_id = %client.id, %actor, "API credential created");
        Ok((credential, secret))
    }

    /// The tenant's credentials, oldest first, with their scopes.
    pub async fn list(&self, tenant: TenantId) -> Result<Vec<CredentialView>, ManageError> {
        let platform = self.platform_id().await?;
        let mut views = Vec::new();
        for credential in self.store.list(tenant).await? {
            let Ok(id) = ClientId::parse(&credential.client_id) else {
                continue;
            };
            let client = self.clients.get(platform, &id).await?;
            views.push(CredentialView {
                scopes: client
                    .settings
                    .scopes()
                    .iter()
                    .filter_map(ManageScope::parse)
                    .collect(),
                disabled: client.is_disabled(),
                credential,
            });
        }
        Ok(views)
    }

    /// Revokes the credential: its client is disabled (its tokens fail at
    /// once) and it no longer belongs to the tenant. `false` when the tenant
    /// has no credential with that id.
    pub async fn revoke(&self, tenant: TenantId, client_id: &str) -> Result<bool, ManageError> {
        let Some(found) = self.store.find(client_id).await? else {
            return Ok(false);
        };
        if found.tenant_id != tenant {
            return Ok(false);
        }
        let platform = self.platform_id().await?;
        if let Ok(id) = ClientId::parse(client_id) {
            self.clients.disable(platform, &id).await?;
        }
        self.store.delete(tenant, client_id).await?;
        tracing::info!(tenant_id = %tenant, client_id, "API credential revoked");
        Ok(true)
    }

    /// The tenant a platform client acts for, if it is a credential.
    pub async fn tenant_of(&self, client_id: &str) -> Result<Option<TenantId>, ManageError> {
        Ok(self.store.find(client_id).await?.map(|c| c.tenant_id))
    }
}
