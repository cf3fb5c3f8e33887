//! The auth server's side of billing: the reserved `platform` tenant, the
//! service token it calls billing with, usage (monthly active users) reports
//! and the entitlements cache that decides whether signups stay open.
//! Without `AUTH_BILLING_URL` nothing is metered and everything is allowed.
pub mod client;
pub mod entitlements;
pub mod platform;
pub mod service_token;
pub mod usage_report;

use std::sync::Arc;

use service_kit::db::Database;
use url::Url;

use crate::config::BillingSettings;
use crate::keys::keyring::KeyService;
use crate::store::activity::ActivityStore;
use crate::store::tenants::TenantStore;
use client::{BillingClient, BillingError};
use entitlements::EntitlementsCache;
use platform::Platform;
use service_kit::clock::SharedClock;
use service_token::ServiceTokens;
use usage_report::UsageReporter;

pub struct Billing {
    pub platform: Arc<Platform>,
    pub service_tokens: Arc<ServiceTokens>,
    pub entitlements: EntitlementsCache,
    /// `None` when billing is not configured.
    pub client: Option<Arc<BillingClient>>,
    /// `None` when billing is not configured.
    pub reporter: Option<Arc<UsageReporter>>,
}

impl Billing {
    pub fn new(
        settings: &BillingSettings,
        db: &Database,
        keys: Arc<KeyService>,
        clock: SharedClock,
        public_url: &Url,
    ) -> Result<Self, BillingError> {
        let platform = Arc::new(Platform::new(
            TenantStore::with_clock(db.pool.clone(), clock.clone()),
            keys.clone(),
        ));
        let service_tokens = Arc::new(ServiceTokens::new(
            platform.clone(),
            keys,
            clock.clone(),
            public_url,
        ));
        let client = settings
            .url
            .as_ref()
            .map(|url| BillingClient::new(url, service_tokens.clone()).map(Arc::new))
            .transpose()?;
        let reporter = client.as_ref().map(|c| {
            Arc::new(UsageReporter::new(
                ActivityStore::new(db.pool.clone()),
                c.clone(),
                clock,
            ))
        });
        Ok(Self {
            platform,
            service_tokens,
            entitlements: EntitlementsCache::new(client.clone(), settings.entitlements_ttl),
            client,
            reporter,
        })
    }
}
