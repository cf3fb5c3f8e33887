//! What handlers get through `web::Data<AppState>`.
use service_kit::db::Database;

use crate::billing_link::Billing;
use crate::cache::{Freshness, TenantDirectory};
use crate::config::{AuthConfig, TrustedProxies};
use crate::dashboard::invites::Invitations;
use crate::dashboard::owner_billing::OwnerBilling;
use crate::dashboard::owners::Owners;
use crate::domain::lockout::LockoutPolicy;
use crate::domain::session::SessionPolicy;
use crate::http::extract::OperatorTokenDigest;
use crate::http::pages::client_ip::UntrustedProxyAlarm;
use crate::http::pages::cookies::CookiePolicy;
use crate::http::pages::render::Pages;
use crate::http::rate_limit::{RateLimits, SharedLimits};
use crate::i18n::Catalog;
use crate::identity::upstream_http::UpstreamHttp;
use crate::identity::{Identity, IdentityServices};
use crate::keys::keyring::{KeyService, RotationPolicy};
use crate::keys::sealed::MasterKeys;
use crate::manage::users::UserStores;
use crate::manage::{Manage, ManageParts};
use crate::oauth::OAuth;
use crate::password::PasswordHasher;
use crate::sentinel::{Blocklist, ManageProbes};
use crate::store::api_credentials::ApiCredentialStore;
use crate::store::audit::AuditStore;
use crate::store::blocks::BlockStore;
use crate::store::clients::ClientStore;
use crate::store::consents::ConsentStore;
use crate::store::grants::GrantStore;
use crate::store::owners::OwnerStore;
use crate::store::sessions::SessionStore;
use crate::store::signing_keys::SigningKeyStore;
use crate::store::team_invites::TeamInviteStore;
use crate::store::tenant_versions::TenantVersionStore;
use crate::store::tenants::TenantStore;
use crate::store::upstream::UpstreamStore;
use crate::store::users::UserStore;
use service_kit::mail::MailQueue;
use std::sync::Arc;

pub struct AppState {
    /// Tenants by slug, cached per instance (`crate::cache`).
    pub directory: Arc<TenantDirectory>,
    /// What the management API does (`crate::manage`).
    pub manage: Manage,
    pub billing: Billing,
    pub owners: Owners,
    pub invitations: Invitations,
    pub owner_billing: OwnerBilling,
    pub operator_token: OperatorTokenDigest,
    pub identity: Arc<Identity>,
    pub oauth: Arc<OAuth>,
    pub pages: Pages,
    pub limits: RateLimits,
    pub cookies: CookiePolicy,
    pub trusted_proxies: TrustedProxies,
    /// The blocked addresses every request to a tenant is checked against
    /// (`crate::sentinel`).
    pub blocklist: Arc<Blocklist>,
    /// The 401s this instance's management API answers, counted by address
    /// for the sentinel's `manage_probe` detector.
    pub manage_probes: Arc<ManageProbes>,
    /// Logs once when a production server without trusted proxies is
    /// reached from a private address.
    pub proxy_alarm: UntrustedProxyAlarm,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("templates: {0}")]
    Templates(#[from] minijinja::Error),
    #[error(transparent)]
    Catalog(#[from] crate::i18n::CatalogError),
    #[error("master keys: {0}")]
    Keys(#[from] crate::keys::sealed::SealError),
    #[error("password hasher: {0}")]
    Hasher(String),
    #[error("mail: {0}")]
    Mail(String),
    #[error("upstream providers' HTTP client: {0}")]
    Upstream(String),
    #[error("signing keys: {0}")]
    SigningKeys(String),
    /// The URL is not one Redis understands (connecting is lazy).
    #[error("REDIS_URL: {0}")]
    Redis(#[from] redis::RedisError),
    #[error(transparent)]
    Billing(#[from] crate::billing_link::client::BillingError),
}

impl AppState {
    /// Must run inside the Tokio runtime: the mail queue starts its sender task.
    pub fn new(config: &AuthConfig, db: Database) -> Result<Self, StateError> {
        Self::with_clock(config, db, Arc::new(service_kit::clock::SystemClock))
    }

    /// [`AppState::new`] with the clock that OAuth, signing keys and billing
    /// read (tests move a `ManualClock` to prove expiry).
    pub fn with_clock(
        config: &AuthConfig,
        db: Database,
        clock: service_kit::clock::SharedClock,
    ) -> Result<Self, StateError> {
        let id = &config.identity;
        let master = Arc::new(MasterKeys::new(&config.master_keys)?);
        let freshness = Arc::new(Freshness::new(
            TenantVersionStore::new(db.pool.clone()),
            clock.clone(),
        ));
        let keys = Arc::new(
            KeyService::sharing(
                SigningKeyStore::new(db.pool.clone()),
                master.clone(),
                clock.clone(),
                RotationPolicy::default(),
                freshness.clone(),
            )
            .map_err(|e| StateError::SigningKeys(e.to_string()))?,
        );
        let billing = Billing::new(
            &config.billing,
            &db,
            keys.clone(),
            clock.clone(),
            &config.http.public_url,
        )?;
        let owner_billing = OwnerBilling::new(
            billing.client.clone(),
            billing.service_tokens.clone(),
            config.http.public_url.clone(),
            config.billing.payment_origins.clone(),
        );
        let oauth = Arc::new(OAuth::new(
            &db,
            keys,
            master.clone(),
            clock.clone(),
            config.http.public_url.clone(),
        ));
        let lockout = |threshold: i64, base: LockoutPolicy| LockoutPolicy { threshold, ..base };
        let services = IdentityServices {
            upstream_http: UpstreamHttp::new(id.upstream_private)
                .map_err(|e| StateError::Upstream(e.to_string()))?,
            hasher: PasswordHasher::from_settings(&id.password)
                .map_err(|e| StateError::Hasher(e.to_string()))?,
            mail: MailQueue::from_settings(&id.mail, &id.mail_from)
                .map_err(|e| StateError::Mail(e.to_string()))?,
            keys: master.clone(),
            catalog: Catalog::load()?,
            session_policy: SessionPolicy {
                idle: id.session_idle,
                absolute: id.session_absolute,
                max_per_user: id.max_sessions_per_user,
                ..SessionPolicy::default()
            },
            account_lockout: lockout(id.account_lockout_threshold, LockoutPolicy::ACCOUNT),
            ip_lockout: lockout(id.ip_lockout_threshold, LockoutPolicy::IP),
            public_url: config.http.public_url.clone(),
        };
        let directory = Arc::new(TenantDirectory::new(
            TenantStore::with_clock(db.pool.clone(), clock.clone()),
            freshness,
        ));
        let identity = Arc::new(Identity::new(&db, services, clock.clone()));
        let owners = Owners::new(
            OwnerStore::new(db.pool.clone()),
            UserStore::new(db.pool.clone()),
            TenantStore::with_clock(db.pool.clone(), clock.clone()),
            billing.platform.clone(),
            clock.clone(),
        );
        let invitations = Invitations::new(
            TeamInviteStore::new(db.pool.clone()),
            OwnerStore::new(db.pool.clone()),
            TenantStore::with_clock(db.pool.clone(), clock.clone()),
            identity.clone(),
            clock.clone(),
        );
        let manage = Manage::new(ManageParts {
            tenants: TenantStore::with_clock(db.pool.clone(), clock.clone()),
            clients: ClientStore::new(db.pool.clone()),
            credentials: ApiCredentialStore::new(db.pool.clone()),
            blocks: BlockStore::new(db.pool.clone()),
            incidents: crate::store::reported_incidents::ReportedIncidentStore::new(
                db.pool.clone(),
            ),
            never_block: config.sentinel.never_block.clone(),
            user_stores: UserStores {
                users: UserStore::new(db.pool.clone()),
                sessions: SessionStore::new(db.pool.clone()),
                grants: GrantStore::new(db.pool.clone()),
                consents: ConsentStore::new(db.pool.clone()),
                audit: AuditStore::new(db.pool.clone()),
            },
            upstream: UpstreamStore::new(db.pool.clone()),
            directory: directory.clone(),
            oauth: oauth.clone(),
            identity: identity.clone(),
            platform: billing.platform.clone(),
            webhooks: crate::store::webhooks::WebhookStore::new(db.pool.clone()),
            webhook_settings: config.webhooks.clone(),
            security_reports: crate::store::security_report::SecurityReportStore::new(
                db.pool.clone(),
            ),
            incident_notes: crate::store::incident_notes::IncidentNoteStore::new(db.pool.clone()),
            operator_reports: crate::store::operator_report::OperatorReportStore::new(
                db.pool.clone(),
            ),
            billing: billing.client.clone(),
            clock: clock.clone(),
        });
        let blocklist = Arc::new(Blocklist::new(
            BlockStore::new(db.pool.clone()),
            config.sentinel.never_block.clone(),
            clock.clone(),
        ));
        let manage_probes = Arc::new(ManageProbes::new(
            AuditStore::new(db.pool.clone()),
            directory.clone(),
            clock.clone(),
            config.sentinel.manage_probe,
            config.sentinel.never_block.clone(),
        ));
        let limits = RateLimits::new(id.form_rate_per_minute, id.signup_rate_per_minute);
        let limits = match &id.shared_limits {
            Some(settings) => limits.shared(SharedLimits::new(settings)?, clock),
            None => limits,
        };
        Ok(Self {
            directory,
            manage,
            billing,
            owners,
            invitations,
            owner_billing,
            operator_token: OperatorTokenDigest::of(&config.admin_token),
            identity,
            oauth,
            pages: Pages::load()?,
            limits,
            cookies: CookiePolicy {
                secure: config.http.served_over_https(),
            },
            trusted_proxies: id.trusted_proxies.clone(),
            blocklist,
            manage_probes,
            proxy_alarm: UntrustedProxyAlarm::new(config.http.mode, &id.trusted_proxies),
        })
    }
}
