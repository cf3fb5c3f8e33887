//! The management use cases for a process that serves nothing: the
//! `connectauth` CLI. Built from the database and the master keys the way
//! the server builds its own (`state.rs`), so a command and the management
//! API do the same thing for the same operation, and the CLI names no store.
use std::sync::Arc;

use service_kit::clock::SharedClock;
use service_kit::db::Database;
use url::Url;

use super::upstream::UpstreamParts;
use super::webhooks::WebhookParts;
use super::{Blocks, Clients, Keys, OperatorReports, Tenants, Upstreams, WebhookEndpoints};
use crate::billing_link::client::BillingClient;
use crate::billing_link::platform::Platform;
use crate::billing_link::service_token::ServiceTokens;
use crate::cache::{Freshness, TenantDirectory};
use crate::dashboard::owners::Owners;
use crate::domain::upstream::PrivateUpstreams;
use crate::keys::keyring::{KeyService, KeyringError, RotationPolicy};
use crate::keys::reseal::Resealer;
use crate::keys::sealed::MasterKeys;
use crate::oauth::OAuth;
use crate::store::audit::AuditStore;
use crate::store::blocks::BlockStore;
use crate::store::clients::ClientStore;
use crate::store::operator_report::OperatorReportStore;
use crate::store::owners::OwnerStore;
use crate::store::reported_incidents::ReportedIncidentStore;
use crate::store::sealed_values::SealedValueStore;
use crate::store::signing_keys::SigningKeyStore;
use crate::store::tenant_versions::TenantVersionStore;
use crate::store::tenants::TenantStore;
use crate::store::upstream::UpstreamStore;
use crate::store::users::UserStore;
use crate::store::webhooks::WebhookStore;
use crate::webhooks::{WebhookSecrets, WebhookSettings};

/// What the standalone use cases are built from besides the database.
pub struct StandaloneParts {
    pub master: Arc<MasterKeys>,
    pub clock: SharedClock,
    /// Where the server is reached (upstream providers' callback URLs).
    pub public_url: Url,
    pub upstream_private: PrivateUpstreams,
    /// Which addresses endpoints may have and how long a test delivery is
    /// retried (`AUTH_WEBHOOK*`); the CLI sends nothing itself.
    pub webhook_settings: WebhookSettings,
    /// `AUTH_SENTINEL_NEVER_BLOCK`: refused as a block by hand.
    pub never_block: crate::domain::sentinel::networks::AddressList,
    /// `AUTH_BILLING_URL`: where the operators' report asks for each
    /// tenant's plan (with the platform's service token, which billing
    /// checks against the running server's keys); `None`: no plans.
    pub billing_url: Option<Url>,
}

/// The use cases an operator reaches from the command line.
pub struct Standalone {
    pub tenants: Tenants,
    pub clients: Clients,
    pub keys: Keys,
    pub owners: Owners,
    pub upstreams: Upstreams,
    /// The sentinel's blocks: listed and lifted.
    pub blocks: Blocks,
    /// The tenants' webhook endpoints: the running server delivers.
    pub webhooks: WebhookEndpoints,
    /// The operators' report across tenants (plans from billing when its
    /// URL is known).
    pub operator_reports: OperatorReports,
    /// The key ring itself, for what only an operator on the host does:
    /// making missing keys before listing them.
    pub key_ring: Arc<KeyService>,
    /// Resealing every sealed value under the master keyring's first key.
    pub resealer: Resealer,
}

impl Standalone {
    pub fn new(db: &Database, p: StandaloneParts) -> Result<Self, KeyringError> {
        let pool = &db.pool;
        let tenant_store = || TenantStore::with_clock(pool.clone(), p.clock.clone());
        let freshness = Arc::new(Freshness::new(
            TenantVersionStore::new(pool.clone()),
            p.clock.clone(),
        ));
        let key_ring = Arc::new(KeyService::sharing(
            SigningKeyStore::new(pool.clone()),
            p.master.clone(),
            p.clock.clone(),
            RotationPolicy::default(),
            freshness.clone(),
        )?);
        let directory = Arc::new(TenantDirectory::new(tenant_store(), freshness));
        let oauth = Arc::new(OAuth::new(
            db,
            key_ring.clone(),
            p.master.clone(),
            p.clock.clone(),
            p.public_url.clone(),
        ));
        let platform = Arc::new(Platform::new(tenant_store(), key_ring.clone()));
        let resealer = Resealer::new(
            key_ring.clone(),
            SealedValueStore::new(pool.clone()),
            p.master.clone(),
        );
        let billing = p.billing_url.as_ref().and_then(|url| {
            let tokens = Arc::new(ServiceTokens::new(
                platform.clone(),
                key_ring.clone(),
                p.clock.clone(),
                &p.public_url,
            ));
            BillingClient::new(url, tokens)
                .map_err(|e| tracing::warn!(error = %e, "no plans in the operators' report"))
                .ok()
                .map(Arc::new)
        });
        let operator_reports = OperatorReports::new(
            OperatorReportStore::new(pool.clone()),
            billing,
            p.clock.clone(),
        );
        Ok(Self {
            tenants: Tenants::new(tenant_store(), directory, key_ring.clone()),
            clients: Clients::new(
                ClientStore::new(pool.clone()),
                oauth,
                ReportedIncidentStore::new(pool.clone()),
            ),
            keys: Keys::new(key_ring.clone()),
            owners: Owners::new(
                OwnerStore::new(pool.clone()),
                UserStore::new(pool.clone()),
                tenant_store(),
                platform,
                p.clock.clone(),
            ),
            blocks: Blocks::new(
                BlockStore::new(pool.clone()),
                AuditStore::new(pool.clone()),
                p.never_block,
                p.clock.clone(),
            ),
            webhooks: WebhookEndpoints::new(WebhookParts {
                store: WebhookStore::new(pool.clone()),
                secrets: WebhookSecrets::new(p.master.clone()),
                audit: AuditStore::new(pool.clone()),
                private: p.webhook_settings.private,
                retry_secs: p.webhook_settings.retry_secs,
                clock: p.clock.clone(),
            }),
            upstreams: Upstreams::new(UpstreamParts {
                store: UpstreamStore::new(pool.clone()),
                master: p.master,
                private: p.upstream_private,
                public_url: p.public_url,
                clock: p.clock,
            }),
            operator_reports,
            key_ring,
            resealer,
        })
    }
}
