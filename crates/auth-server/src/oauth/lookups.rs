//! What the token endpoints read on every request — the client, the
//! origins the tenant's clients registered, the revoked access tokens,
//! whether a grant is live, the user userinfo shows — from the instance's
//! cache, loaded again only after that part of the tenant changed
//! (`crate::cache`).
use std::collections::HashSet;
use std::sync::Arc;

use super::OAuth;
use crate::cache::Domain;
use crate::domain::client::{Client, ClientId};
use crate::domain::grant::GrantId;
use crate::domain::tenant::TenantId;
use crate::domain::user::{User, UserId};
use crate::store::clients::ClientStoreError;
use crate::store::local_changes;
use crate::store::StoreError;
use service_kit::paging::PageRequest;

/// What a cached grant's liveness depends on: the tenant's catalog (its
/// client may be disabled), its grant revocations, and this process's.
pub(super) type GrantTag = (u64, u64, u64);
/// What a cached user depends on: the tenant's user changes and this process's.
pub(super) type UserTag = (u64, u64);

/// Entries of each map kept at once; past this a map starts over.
pub(super) const LOOKUPS_MAX: usize = 100_000;

impl OAuth {
    /// The client `id` of `tenant`, disabled or not.
    pub async fn client(
        &self,
        tenant: TenantId,
        id: &ClientId,
    ) -> Result<Arc<Client>, ClientStoreError> {
        let generation = self
            .keys
            .freshness()
            .catalog(tenant)
            .await
            .map_err(store_error)?;
        let key = (tenant, id.as_ref().to_owned());
        if let Some(client) = self.client_cache.get(&key, generation) {
            return Ok(client);
        }
        let client = Arc::new(self.clients.get(tenant, id).await?);
        self.client_cache.put(key, generation, Arc::clone(&client));
        Ok(client)
    }

    /// Whether an enabled client of `tenant` registered `origin` for CORS.
    pub async fn origin_allowed(&self, tenant: TenantId, origin: &str) -> Result<bool, StoreError> {
        let generation = self.keys.freshness().catalog(tenant).await?;
        let origins = match self.origin_cache.get(&tenant, generation) {
            Some(origins) => origins,
            None => {
                let origins = Arc::new(self.registered_origins(tenant).await?);
                self.origin_cache
                    .put(tenant, generation, Arc::clone(&origins));
                origins
            }
        };
        Ok(origins.contains(origin))
    }

    async fn registered_origins(&self, tenant: TenantId) -> Result<HashSet<String>, StoreError> {
        let mut origins = HashSet::new();
        let mut after: Option<String> = None;
        loop {
            let page = PageRequest::parse(Some(100), after.clone())
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let clients = self
                .clients
                .list(tenant, &page)
                .await
                .map_err(client_error)?;
            for client in clients.items.iter().filter(|c| !c.is_disabled()) {
                origins.extend(
                    client
                        .settings
                        .cors_origins()
                        .iter()
                        .map(|o| o.as_ref().to_owned()),
                );
            }
            match clients.next_after {
                Some(next) => after = Some(next),
                None => return Ok(origins),
            }
        }
    }

    /// Whether the access token `jti` of `tenant` was revoked before it
    /// expired (tokens without a grant row: client_credentials).
    pub async fn is_revoked(&self, tenant: TenantId, jti: &str) -> Result<bool, StoreError> {
        let generation = self.keys.freshness().catalog(tenant).await?;
        let revoked = match self.revoked_cache.get(&tenant, generation) {
            Some(revoked) => revoked,
            None => {
                let live = self.revoked.live(tenant, self.now()).await?;
                let revoked = Arc::new(live.into_iter().collect::<HashSet<_>>());
                self.revoked_cache
                    .put(tenant, generation, Arc::clone(&revoked));
                revoked
            }
        };
        Ok(revoked.contains(jti))
    }

    /// Whether the grant `id` of `tenant` is live: not revoked, and its
    /// client not disabled.
    pub async fn grant_is_live(&self, tenant: TenantId, id: GrantId) -> Result<bool, StoreError> {
        let local = local_changes::grant_revocations();
        let freshness = self.keys.freshness();
        let tag = (
            freshness.catalog(tenant).await?,
            freshness.generation(tenant, Domain::Grants).await?,
            local,
        );
        let key = (tenant, id);
        if let Some(live) = self.grant_cache.get(&key, tag) {
            return Ok(live);
        }
        let live = self.grants.is_live(tenant, id).await?;
        self.grant_cache.put(key, tag, live);
        Ok(live)
    }

    /// The user `id` of `tenant` as userinfo shows it, disabled or not;
    /// `None` when there is none. The cached copy holds no password hash
    /// and no TOTP seed.
    pub async fn user_for_claims(
        &self,
        tenant: TenantId,
        id: UserId,
    ) -> Result<Option<Arc<User>>, StoreError> {
        let local = local_changes::user_changes();
        let tag = (
            self.keys
                .freshness()
                .generation(tenant, Domain::Users)
                .await?,
            local,
        );
        let key = (tenant, id);
        if let Some(user) = self.user_cache.get(&key, tag) {
            return Ok(Some(user));
        }
        let mut user = match self.users.get(tenant, id).await {
            Ok(user) => user,
            Err(StoreError::UserNotFound) => return Ok(None),
            Err(e) => return Err(e),
        };
        user.password_hash = None;
        user.totp_secret = None;
        let user = Arc::new(user);
        self.user_cache.put(key, tag, Arc::clone(&user));
        Ok(Some(user))
    }

    /// This instance changed a client of `tenant` (or its revocations):
    /// cached entries of the tenant are not used again.
    pub fn client_changed(&self, tenant: TenantId) {
        self.keys.freshness().catalog_changed(tenant);
    }
}

fn store_error(e: StoreError) -> ClientStoreError {
    match e {
        StoreError::Database(e) => ClientStoreError::Database(e),
        other => ClientStoreError::Corrupt(other.to_string()),
    }
}

fn client_error(e: ClientStoreError) -> StoreError {
    match e {
        ClientStoreError::Database(e) => StoreError::Database(e),
        other => StoreError::Corrupt(other.to_string()),
    }
}
