//! What operators do through the management API (`/manage/v1`): each use
//! case owns its store calls and the effects that go with them (caches told
//! of the change, signing keys made before they are needed), so the handlers
//! in `http/manage/` only parse, call and render.
pub mod blocks;
mod clients;
pub mod credentials;
mod keys;
pub mod operator_report;
pub mod security_report;
pub mod standalone;
mod tenants;
pub mod upstream;
pub mod users;
pub mod webhooks;

use std::sync::Arc;

pub use blocks::Blocks;
pub use clients::Clients;
pub use credentials::Credentials;
pub use keys::Keys;
pub use operator_report::OperatorReports;
pub use security_report::SecurityReports;
pub use standalone::{Standalone, StandaloneParts};
pub use tenants::Tenants;
pub use upstream::Upstreams;
pub use users::Users;
pub use webhooks::WebhookEndpoints;

use crate::billing_link::platform::Platform;
use crate::cache::TenantDirectory;
use crate::domain::branding::BrandingError;
use crate::domain::client::ClientRuleError;
use crate::domain::tenant_settings::SettingsError;
use crate::domain::user::UserId;
use crate::identity::{Identity, IdentityError};
use crate::keys::keyring::KeyringError;
use crate::oauth::client_status::DisableClientError;
use crate::oauth::OAuth;
use crate::store::api_credentials::ApiCredentialStore;
use crate::store::clients::{ClientStore, ClientStoreError};
use crate::store::tenants::TenantStore;
use crate::store::StoreError;
use service_kit::clock::SharedClock;

#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Client(#[from] ClientStoreError),
    #[error(transparent)]
    DisableClient(#[from] DisableClientError),
    #[error("signing keys: {0}")]
    Keys(#[source] KeyringError),
    #[error("cannot draw random bytes")]
    Random(#[from] getrandom::Error),
    #[error(transparent)]
    Branding(#[from] BrandingError),
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    Identity(#[from] IdentityError),
    #[error("the user's email address is already verified")]
    AlreadyVerified,
    #[error("choose at least one scope: manage:read, manage:write, manage:users, manage:team, manage:upstream-tokens")]
    NoScope,
    #[error("platform tenant: {0}")]
    Platform(String),
    #[error(transparent)]
    Upstream(#[from] crate::domain::upstream::UpstreamRuleError),
    #[error(transparent)]
    Webhook(#[from] crate::domain::webhook::endpoint::WebhookRuleError),
    #[error("webhook secret: {0}")]
    WebhookSecret(#[source] crate::keys::sealed::SealError),
    /// Concurrent rotations of the same webhook secret kept winning.
    #[error("the secret kept changing during rotation; try again")]
    SecretChangeCollided,
    #[error(transparent)]
    BlockOrder(#[from] crate::domain::sentinel::block_order::BlockOrderError),
}

impl From<ClientRuleError> for ManageError {
    fn from(e: ClientRuleError) -> Self {
        ManageError::Client(ClientStoreError::Rule(e))
    }
}

/// Who acts through the `manage` layer, as the audit trail records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The management API's operator token (or the CLI).
    Operator,
    /// A tenant owner in the console: their `platform` user id.
    Owner(UserId),
    /// A tenant's API credential: its `platform` client id.
    Credential(String),
}

impl Actor {
    /// Who an alert mail says marked a credential compromised.
    pub fn reported_by(&self) -> crate::domain::sentinel::compromise::ReportedBy {
        use crate::domain::sentinel::compromise::ReportedBy;
        match self {
            Actor::Operator => ReportedBy::Operator,
            Actor::Owner(id) => ReportedBy::Owner(id.to_string()),
            Actor::Credential(id) => ReportedBy::Credential(id.clone()),
        }
    }
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actor::Operator => f.write_str("by the operator"),
            Actor::Owner(id) => write!(f, "by owner {id}"),
            Actor::Credential(id) => write!(f, "by API credential {id}"),
        }
    }
}

impl ManageError {
    /// Whether a tenant already has the slug asked for.
    pub fn is_slug_taken(&self) -> bool {
        matches!(self, ManageError::Store(StoreError::SlugTaken(_)))
    }

    /// Whether the tenant asked for does not exist.
    pub fn is_tenant_not_found(&self) -> bool {
        matches!(self, ManageError::Store(StoreError::TenantNotFound))
    }

    /// Whether the client asked for does not exist (in that tenant).
    pub fn is_client_not_found(&self) -> bool {
        matches!(self, ManageError::Client(ClientStoreError::NotFound))
    }

    /// Whether the user asked for does not exist (in that tenant).
    pub fn is_user_not_found(&self) -> bool {
        matches!(
            self,
            ManageError::Store(StoreError::UserNotFound)
                | ManageError::Identity(IdentityError::Store(StoreError::UserNotFound))
        )
    }

    /// The settings rule a change broke, if that is why it was refused.
    pub fn settings_rule(&self) -> Option<&SettingsError> {
        match self {
            ManageError::Settings(rule) => Some(rule),
            _ => None,
        }
    }

    /// The client rule a change broke, if that is why it was refused.
    pub fn client_rule(&self) -> Option<&ClientRuleError> {
        match self {
            ManageError::Client(ClientStoreError::Rule(rule)) => Some(rule),
            _ => None,
        }
    }

    /// The upstream-provider rule a change broke, if that is why it was
    /// refused.
    pub fn upstream_rule(&self) -> Option<&crate::domain::upstream::UpstreamRuleError> {
        match self {
            ManageError::Upstream(rule) => Some(rule),
            _ => None,
        }
    }

    /// Whether the tenant already has an upstream provider with that slug.
    pub fn is_provider_slug_taken(&self) -> bool {
        matches!(self, ManageError::Store(StoreError::ProviderSlugTaken))
    }

    /// Whether the upstream provider asked for does not exist (in that
    /// tenant).
    pub fn is_provider_not_found(&self) -> bool {
        matches!(self, ManageError::Store(StoreError::ProviderNotFound))
    }

    /// The webhook rule a change broke, if that is why it was refused.
    pub fn webhook_rule(&self) -> Option<&crate::domain::webhook::endpoint::WebhookRuleError> {
        match self {
            ManageError::Webhook(rule) => Some(rule),
            _ => None,
        }
    }

    /// Whether the webhook endpoint or delivery asked for does not exist
    /// (in that tenant, for that endpoint).
    pub fn is_webhook_not_found(&self) -> bool {
        matches!(
            self,
            ManageError::Store(StoreError::WebhookNotFound | StoreError::DeliveryNotFound)
        )
    }

    /// Whether other changes of the same thing at the same moment kept
    /// winning over this one: worth trying again in a second.
    pub fn is_collision(&self) -> bool {
        matches!(
            self,
            ManageError::SecretChangeCollided
                | ManageError::Store(StoreError::Contended)
                | ManageError::Client(ClientStoreError::Contended)
        )
    }

    /// Whether the block asked for is not one of the tenant's in force.
    pub fn is_block_not_found(&self) -> bool {
        matches!(self, ManageError::Store(StoreError::BlockNotFound))
    }
}

/// The management use cases, one per resource.
pub struct Manage {
    pub tenants: Tenants,
    pub clients: Clients,
    pub users: Users,
    pub keys: Keys,
    pub credentials: Credentials,
    pub upstreams: Upstreams,
    pub blocks: Blocks,
    pub webhooks: WebhookEndpoints,
    /// The sentinel's daily security report of a tenant.
    pub security_reports: SecurityReports,
    /// The operators' daily report across tenants.
    pub operator_reports: Arc<OperatorReports>,
}

/// What the management use cases are built from.
pub struct ManageParts {
    pub tenants: TenantStore,
    pub clients: ClientStore,
    pub credentials: ApiCredentialStore,
    pub blocks: crate::store::blocks::BlockStore,
    /// Incidents opened by hand (credentials marked compromised).
    pub incidents: crate::store::reported_incidents::ReportedIncidentStore,
    /// `AUTH_SENTINEL_NEVER_BLOCK`: never blocked, by hand either.
    pub never_block: crate::domain::sentinel::networks::AddressList,
    /// The stores of the user use cases ([`users::UserStores`]).
    pub user_stores: users::UserStores,
    /// Where upstream providers are kept.
    pub upstream: crate::store::upstream::UpstreamStore,
    pub directory: Arc<TenantDirectory>,
    pub oauth: Arc<OAuth>,
    pub identity: Arc<Identity>,
    pub platform: Arc<Platform>,
    /// Where webhook endpoints are kept, and which addresses they may have.
    pub webhooks: crate::store::webhooks::WebhookStore,
    pub webhook_settings: crate::webhooks::WebhookSettings,
    /// What the daily security report reads.
    pub security_reports: crate::store::security_report::SecurityReportStore,
    /// The AI analyst's notes of incidents.
    pub incident_notes: crate::store::incident_notes::IncidentNoteStore,
    /// What the operators' report reads, and billing for the plans.
    pub operator_reports: crate::store::operator_report::OperatorReportStore,
    pub billing: Option<Arc<crate::billing_link::client::BillingClient>>,
    pub clock: SharedClock,
}

impl Manage {
    pub fn new(p: ManageParts) -> Self {
        let blocks = Blocks::new(
            p.blocks,
            p.user_stores.audit.clone(),
            p.never_block,
            p.clock.clone(),
        );
        let security_reports =
            SecurityReports::new(p.security_reports, p.incident_notes, p.clock.clone());
        let operator_reports = Arc::new(OperatorReports::new(
            p.operator_reports,
            p.billing,
            p.clock.clone(),
        ));
        let webhooks = WebhookEndpoints::new(webhooks::WebhookParts {
            store: p.webhooks,
            secrets: crate::webhooks::WebhookSecrets::new(p.identity.services.keys.clone()),
            audit: p.user_stores.audit.clone(),
            private: p.webhook_settings.private,
            retry_secs: p.webhook_settings.retry_secs,
            clock: p.clock.clone(),
        });
        Self {
            tenants: Tenants::new(p.tenants, p.directory, p.oauth.keys.clone()),
            keys: Keys::new(p.oauth.keys.clone()),
            upstreams: Upstreams::new(upstream::UpstreamParts {
                store: p.upstream,
                master: p.identity.services.keys.clone(),
                private: p.identity.services.upstream_http.private(),
                public_url: p.identity.services.public_url.clone(),
                clock: p.clock.clone(),
            }),
            users: Users::new(p.identity, p.user_stores.clone(), p.clock.clone()),
            credentials: Credentials::new(
                p.credentials,
                Clients::new(p.clients.clone(), p.oauth.clone(), p.incidents.clone()),
                p.platform,
                p.clock,
            ),
            blocks,
            webhooks,
            security_reports,
            operator_reports,
            clients: Clients::new(p.clients, p.oauth, p.incidents),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_changes_that_kept_colliding_are_collisions() {
        for collided in [
            ManageError::SecretChangeCollided,
            ManageError::Store(StoreError::Contended),
            ManageError::Client(ClientStoreError::Contended),
        ] {
            assert!(collided.is_collision(), "{collided:?}");
        }
        for other in [
            ManageError::NoScope,
            ManageError::Store(StoreError::TenantNotFound),
            ManageError::Client(ClientStoreError::NotFound),
        ] {
            assert!(!other.is_collision(), "{other:?}");
        }
    }
}
