//! The access tokens the auth server presents to billing: RFC 9068 tokens of
//! the `platform` tenant, minted in process with the same key and header as
//! the token endpoint's. The service token (usage, entitlements) is kept
//! until a minute before it expires; an owner token (`billing:manage` for one
//! tenant, on behalf of a dashboard session) is minted per request.
use std::sync::Arc;

use serde_json::{json, Map};
use tokio::sync::Mutex;
use url::Url;

use super::platform::{Platform, PlatformError};
use crate::clock::SharedClock;
use crate::domain::tenant::TenantId;
use crate::domain::tenant::PLATFORM_SLUG;
use crate::domain::user::UserId;
use crate::keys::keyring::{KeyService, KeyringError};
use crate::keys::signing::KeyError;
use crate::oauth::tokens::{ACCESS_TOKEN_ALG, ACCESS_TOKEN_TYP};

/// `sub` and `client_id` of the auth server's own tokens.
pub const SERVICE_CLIENT_ID: &str = "connectauth-auth-server";
/// The audience the billing API requires.
pub const BILLING_AUDIENCE: &str = "connectauth-billing";
pub const BILLING_SCOPES: &str = "billing:usage billing:entitlements";
/// `client_id` of the tokens minted for a tenant owner's dashboard session.
pub const DASHBOARD_CLIENT_ID: &str = "connectauth-dashboard";
/// The one scope of an owner token.
pub const OWNER_SCOPE: &str = "billing:manage";
/// The claim naming the tenant an owner token may act on.
pub const OWNER_TENANT_CLAIM: &str = "billing_tenant";
pub const SERVICE_TOKEN_TTL_SECS: i64 = 300;
/// A cached token this close to expiry is replaced.
const REMINT_BEFORE_SECS: i64 = 60;

#[derive(Debug, thiserror::Error)]
pub enum ServiceTokenError {
    #[error(transparent)]
    Platform(#[from] PlatformError),
    #[error("signing key: {0}")]
    Keys(#[from] KeyringError),
    #[error("signing: {0}")]
    Sign(#[from] KeyError),
}

struct Cached {
    token: String,
    expires_at: i64,
}

pub struct ServiceTokens {
    platform: Arc<Platform>,
    keys: Arc<KeyService>,
    clock: SharedClock,
    issuer: String,
    /// One mint at a time; callers meanwhile wait for its result.
    cached: Mutex<Option<Cached>>,
}

impl ServiceTokens {
    pub fn new(
        platform: Arc<Platform>,
        keys: Arc<KeyService>,
        clock: SharedClock,
        public_url: &Url,
    ) -> Self {
        let issuer = format!(
            "{}/t/{PLATFORM_SLUG}",
            public_url.as_str().trim_end_matches('/')
        );
        Self {
            platform,
            keys,
            clock,
            issuer,
            cached: Mutex::new(None),
        }
    }

    /// `{PUBLIC_URL}/t/platform`.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// A token valid for at least another minute.
    pub async fn bearer(&self) -> Result<String, ServiceTokenError> {
        let now = self.clock.now();
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached
            .as_ref()
            .filter(|c| c.expires_at - now > REMINT_BEFORE_SECS)
        {
            return Ok(c.token.clone());
        }
        let fresh = self.mint(now).await?;
        let token = fresh.token.clone();
        *cached = Some(fresh);
        Ok(token)
    }

    /// Drops the cached token (billing refused it, e.g. its key was revoked).
    pub async fn forget(&self) {
        *self.cached.lock().await = None;
    }

    /// A token for `owner` (a user of the platform tenant) to manage the
    /// billing of `tenant`, and nothing else: scope `billing:manage`, claim
    /// `billing_tenant`, 5 minutes. The caller has checked the ownership.
    pub async fn owner_token(
        &self,
        owner: UserId,
        tenant: TenantId,
    ) -> Result<OwnerToken, ServiceTokenError> {
        let now = self.clock.now();
        let mut extra = Map::new();
        extra.insert(OWNER_TENANT_CLAIM.into(), json!(tenant.to_string()));
        let grant = Grant {
            sub: &owner.to_string(),
            client_id: DASHBOARD_CLIENT_ID,
            scope: OWNER_SCOPE,
            extra,
        };
        Ok(OwnerToken(self.sign(grant, now).await?.token))
    }

    async fn mint(&self, now: i64) -> Result<Cached, ServiceTokenError> {
        let grant = Grant {
            sub: SERVICE_CLIENT_ID,
            client_id: SERVICE_CLIENT_ID,
            scope: BILLING_SCOPES,
            extra: Map::new(),
        };
        self.sign(grant, now).await
    }

    /// The one place a billing token is signed: RFC 9068 claims of the
    /// platform tenant for the billing audience, plus `grant`'s.
    async fn sign(&self, grant: Grant<'_>, now: i64) -> Result<Cached, ServiceTokenError> {
        let tenant = self.platform.ensure().await?;
        let expires_at = now + SERVICE_TOKEN_TTL_SECS;
        let mut claims = grant.extra;
        claims.insert("iss".into(), json!(self.issuer));
        claims.insert("sub".into(), json!(grant.sub));
        claims.insert("aud".into(), json!(BILLING_AUDIENCE));
        claims.insert("client_id".into(), json!(grant.client_id));
        claims.insert("scope".into(), json!(grant.scope));
        claims.insert("iat".into(), json!(now));
        claims.insert("nbf".into(), json!(now));
        claims.insert("exp".into(), json!(expires_at));
        claims.insert("jti".into(), json!(uuid::Uuid::new_v4().to_string()));
        claims.insert("tid".into(), json!(tenant.to_string()));
        let key = self.keys.signer(tenant, ACCESS_TOKEN_ALG).await?;
        let token = key.sign_jwt(ACCESS_TOKEN_TYP, &claims)?;
        Ok(Cached { token, expires_at })
    }
}

/// A `billing:manage` token of one owner for one tenant (see
/// [`ServiceTokens::owner_token`]); only the billing client reads it.
pub struct OwnerToken(String);

impl OwnerToken {
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for OwnerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OwnerToken(…)")
    }
}

/// Who a billing token speaks for and what it may do.
struct Grant<'a> {
    sub: &'a str,
    client_id: &'a str,
    scope: &'a str,
    /// Claims beyond the RFC 9068 set.
    extra: Map<String, serde_json::Value>,
}
