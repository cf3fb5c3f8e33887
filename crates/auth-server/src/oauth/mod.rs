//! The OAuth 2.1 / OpenID Connect provider of each tenant: authorization
//! requests, the grants of the token endpoint, token minting and the checks
//! of our own tokens. No HTTP here: `http/oidc/` parses and renders.
pub mod authorize;
pub mod client_auth;
pub mod client_status;
pub mod discovery;
pub mod grants;
pub mod introspection;
pub mod logout;
pub mod lookups;
pub mod mint;
pub mod own_jwt;
pub mod userinfo;

use std::sync::Arc;

use service_kit::db::Database;
use url::Url;

use std::collections::HashSet;

use crate::cache::GenMap;
use crate::domain::client::Client;
use crate::domain::grant::GrantId;
use crate::domain::tenant::{Tenant, TenantId};
use crate::domain::user::{User, UserId};
use crate::keys::keyring::KeyService;
use crate::keys::sealed::MasterKeys;
use crate::store::audit::AuditStore;
use crate::store::auth_codes::AuthCodeStore;
use crate::store::clients::ClientStore;
use crate::store::consents::ConsentStore;
use crate::store::grants::GrantStore;
use crate::store::refresh_tokens::RefreshTokenStore;
use crate::store::revoked_tokens::RevokedTokenStore;
use crate::store::users::UserStore;
use service_kit::clock::SharedClock;

/// Authorization codes live 60 s (ASVS 10.4.3 L3).
pub const CODE_TTL_SECS: i64 = 60;

pub struct OAuth {
    clients: ClientStore,
    users: UserStore,
    codes: AuthCodeStore,
    grants: GrantStore,
    refresh_tokens: RefreshTokenStore,
    consents: ConsentStore,
    revoked: RevokedTokenStore,
    /// Where reused refresh tokens and replayed codes are recorded, for
    /// the sentinel (`grants/signals.rs`).
    audit: AuditStore,
    pub keys: Arc<KeyService>,
    pub master: Arc<MasterKeys>,
    pub clock: SharedClock,
    pub public_url: Url,
    client_cache: GenMap<(TenantId, String), Arc<Client>>,
    origin_cache: GenMap<TenantId, Arc<HashSet<String>>>,
    revoked_cache: GenMap<TenantId, Arc<HashSet<String>>>,
    discovery_cache: GenMap<TenantId, Arc<discovery::Document>>,
    grant_cache: GenMap<(TenantId, GrantId), bool, lookups::GrantTag>,
    user_cache: GenMap<(TenantId, UserId), Arc<User>, lookups::UserTag>,
    verified_cache: GenMap<(TenantId, [u8; 32]), Arc<own_jwt::Verified>>,
}

impl OAuth {
    pub fn new(
        db: &Database,
        keys: Arc<KeyService>,
        master: Arc<MasterKeys>,
        clock: SharedClock,
        public_url: Url,
    ) -> Self {
        let pool = db.pool.clone();
        Self {
            clients: ClientStore::new(pool.clone()),
            users: UserStore::new(pool.clone()),
            codes: AuthCodeStore::new(pool.clone(), db.engine),
            grants: GrantStore::new(pool.clone()),
            refresh_tokens: RefreshTokenStore::new(pool.clone(), db.engine),
            consents: ConsentStore::new(pool.clone()),
            revoked: RevokedTokenStore::new(pool.clone()),
            audit: AuditStore::new(pool),
            keys,
            master,
            clock,
            public_url,
            client_cache: GenMap::new(lookups::LOOKUPS_MAX),
            origin_cache: GenMap::new(lookups::LOOKUPS_MAX),
            revoked_cache: GenMap::new(lookups::LOOKUPS_MAX),
            discovery_cache: GenMap::new(lookups::LOOKUPS_MAX),
            grant_cache: GenMap::new(lookups::LOOKUPS_MAX),
            user_cache: GenMap::new(lookups::LOOKUPS_MAX),
            verified_cache: GenMap::new(own_jwt::VERIFIED_MAX),
        }
    }

    /// `{PUBLIC_URL}/t/{slug}`: every token of the tenant names it.
    pub fn issuer(&self, tenant: &Tenant) -> String {
        format!(
            "{}/t/{}",
            self.public_url.as_str().trim_end_matches('/'),
            tenant.slug
        )
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }
}
