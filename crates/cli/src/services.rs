//! The three services behind one interface, so `dev`, `serve` and `migrate`
//! treat them alike.
use std::sync::Arc;

use actix_web::dev::ServerHandle;
use anyhow::Context;
use auth_server::domain::sentinel::networks::AddressList;
use auth_server::domain::upstream::PrivateUpstreams;
use auth_server::keys::sealed::MasterKeys;
use auth_server::manage::{Standalone, StandaloneParts};
use auth_server::webhooks::WebhookSettings;
use auth_server::AuthConfig;
use billing::BillingConfig;
use people_api::PeopleConfig;
use service_kit::clock::SystemClock;
use service_kit::config::{Env, HttpSettings, Loader};
use service_kit::db::{self, Database, Migrations, PoolSettings};
use service_kit::secret::Secret;
use tokio::task::JoinHandle;
use url::Url;

use crate::args::ServiceName;
use crate::{dev_secrets, environment};

pub enum ServiceConfig {
    Auth(AuthConfig),
    Billing(BillingConfig),
    People(PeopleConfig),
}

/// A service that is serving.
pub struct Started {
    pub name: ServiceName,
    pub port: u16,
    pub handle: ServerHandle,
    pub task: JoinHandle<std::io::Result<()>>,
}

impl ServiceConfig {
    pub fn read(name: ServiceName, loader: &mut Loader<'_>) -> Self {
        match name {
            ServiceName::Auth => Self::Auth(AuthConfig::read(loader)),
            ServiceName::Billing => Self::Billing(BillingConfig::read(loader)),
            ServiceName::People => Self::People(PeopleConfig::read(loader)),
        }
    }

    pub fn name(&self) -> ServiceName {
        match self {
            Self::Auth(_) => ServiceName::Auth,
            Self::Billing(_) => ServiceName::Billing,
            Self::People(_) => ServiceName::People,
        }
    }

    pub fn http(&self) -> &HttpSettings {
        match self {
            Self::Auth(c) => &c.http,
            Self::Billing(c) => &c.http,
            Self::People(c) => &c.http,
        }
    }

    fn database(&self) -> (&str, PoolSettings) {
        match self {
            Self::Auth(c) => (&c.database_url, c.pool),
            Self::Billing(c) => (&c.database_url, c.pool),
            Self::People(c) => (&c.database_url, c.pool),
        }
    }

    pub async fn connect(&self) -> anyhow::Result<Database> {
        let (url, pool) = self.database();
        connect(self.name(), url, pool).await
    }

    /// Binds and starts serving on a task of its own.
    pub fn start(self, db: Database) -> anyhow::Result<Started> {
        let name = self.name();
        let bind = self.http().bind;
        let context = || format!("cannot start the {} service on {bind}", name.as_str());
        let (port, handle, task) = match self {
            Self::Auth(c) => {
                let app = auth_server::Application::build_with_db(c, db).with_context(context)?;
                (
                    app.running().port(),
                    app.running().handle(),
                    tokio::spawn(app.run_until_stopped()),
                )
            }
            Self::Billing(c) => {
                let app = billing::Application::build_with_db(c, db).with_context(context)?;
                (
                    app.running().port(),
                    app.running().handle(),
                    tokio::spawn(app.run_until_stopped()),
                )
            }
            Self::People(c) => {
                let app = people_api::Application::build_with_db(c, db).with_context(context)?;
                (
                    app.running().port(),
                    app.running().handle(),
                    tokio::spawn(app.run_until_stopped()),
                )
            }
        };
        Ok(Started {
            name,
            port,
            handle,
            task,
        })
    }
}

pub fn migrations(name: ServiceName) -> &'static Migrations {
    match name {
        ServiceName::Auth => &auth_server::MIGRATIONS,
        ServiceName::Billing => &billing::MIGRATIONS,
        ServiceName::People => &people_api::MIGRATIONS,
    }
}

pub fn dev_database_url(name: ServiceName) -> &'static str {
    match name {
        ServiceName::Auth => auth_server::config::DEV_DATABASE_URL,
        ServiceName::Billing => billing::config::DEV_DATABASE_URL,
        ServiceName::People => people_api::config::DEV_DATABASE_URL,
    }
}

/// Reads only the service's database URL (commands that need nothing else).
pub fn database_url(name: ServiceName, loader: &mut Loader<'_>) -> String {
    let key = format!("{}_DATABASE_URL", name.env_prefix());
    loader.database_url(&key, dev_database_url(name))
}

pub async fn connect(name: ServiceName, url: &str, pool: PoolSettings) -> anyhow::Result<Database> {
    db::connect(url, pool)
        .await
        .with_context(|| format!("{} database at {}", name.as_str(), db::redact_url(url)))
}

/// The auth server's management use cases over the auth database, built
/// the way the server builds them (signing keys unsealed with
/// `AUTH_MASTER_KEYS`), so every command that changes or reads tenants,
/// clients, owners, keys, upstream providers or webhook endpoints does what
/// the management API does.
pub struct AuthManage {
    pub master: Arc<MasterKeys>,
    pub manage: Standalone,
}

pub async fn auth_manage() -> anyhow::Result<AuthManage> {
    let env = with_dev_keyring(environment::load()?)?;
    let mut loader = Loader::new(&env);
    let url = database_url(ServiceName::Auth, &mut loader);
    let ring = loader.keyring("AUTH_MASTER_KEYS");
    let public_url = loader.string("AUTH_PUBLIC_URL", "http://127.0.0.1:8080");
    let allow_private: bool = loader.parse("AUTH_UPSTREAM_ALLOW_PRIVATE", false);
    let webhooks = WebhookSettings::read(&mut loader);
    let never_block = auth_server::config::read_never_block(&mut loader);
    let billing_url = loader
        .optional("AUTH_BILLING_URL")
        .filter(|u| !u.trim().is_empty());
    loader.finish()?;
    let billing_url = billing_url
        .map(|u| Url::parse(u.trim()))
        .transpose()
        .context("AUTH_BILLING_URL")?;
    let public_url = Url::parse(&public_url).context("AUTH_PUBLIC_URL")?;
    let db = connect(ServiceName::Auth, &url, PoolSettings::default()).await?;
    let master = Arc::new(MasterKeys::new(&ring).context("AUTH_MASTER_KEYS")?);
    let private = if allow_private {
        PrivateUpstreams::Allowed
    } else {
        PrivateUpstreams::Refused
    };
    let manage = build(
        &db,
        master.clone(),
        public_url,
        private,
        webhooks,
        never_block,
        billing_url,
    )?;
    Ok(AuthManage { master, manage })
}

/// What `backup` and `restore` need: the service's database URL and the
/// master key ring its backups are encrypted under. Every service's backups
/// use `AUTH_MASTER_KEYS`, the one master secret of a deployment (billing
/// and the People API have none of their own); in development the ring
/// `connectauth dev` made.
pub fn backup_settings(name: ServiceName) -> anyhow::Result<(String, Vec<(String, Secret)>)> {
    let env = with_dev_keyring(environment::load()?)?;
    let mut loader = Loader::new(&env);
    let url = database_url(name, &mut loader);
    let ring = loader.keyring("AUTH_MASTER_KEYS");
    loader.finish()?;
    Ok((url, ring))
}

/// In development, a command on a database `connectauth dev` made (the
/// default one included) finds its key ring in dev's secrets file when
/// `AUTH_MASTER_KEYS` is not set, as `dev` itself does.
fn with_dev_keyring(env: Env) -> anyhow::Result<Env> {
    let given = env
        .raw("AUTH_MASTER_KEYS")
        .is_some_and(|v| !v.trim().is_empty());
    if given || env.run_mode().map_err(anyhow::Error::msg)?.is_production() {
        return Ok(env);
    }
    let url = env
        .raw("AUTH_DATABASE_URL")
        .unwrap_or(dev_database_url(ServiceName::Auth));
    Ok(match dev_secrets::keyring_beside(url)? {
        Some(ring) => Env::from_pairs([("AUTH_MASTER_KEYS", ring)]).overlay(env),
        None => env,
    })
}

/// The use cases of the auth server configured by `config`, on `db` (the
/// development demo's tenant and client are made through them).
pub fn standalone(config: &AuthConfig, db: &Database) -> anyhow::Result<Standalone> {
    let master = Arc::new(MasterKeys::new(&config.master_keys).context("AUTH_MASTER_KEYS")?);
    build(
        db,
        master,
        config.http.public_url.clone(),
        config.identity.upstream_private,
        config.webhooks.clone(),
        config.sentinel.never_block.clone(),
        config.billing.url.clone(),
    )
}

fn build(
    db: &Database,
    master: Arc<MasterKeys>,
    public_url: Url,
    upstream_private: PrivateUpstreams,
    webhook_settings: WebhookSettings,
    never_block: AddressList,
    billing_url: Option<Url>,
) -> anyhow::Result<Standalone> {
    let parts = StandaloneParts {
        master,
        clock: Arc::new(SystemClock),
        public_url,
        upstream_private,
        webhook_settings,
        never_block,
        billing_url,
    };
    Standalone::new(db, parts).context("signing keys")
}

pub async fn migrate(name: ServiceName, db: &Database) -> anyhow::Result<()> {
    db::migrate(db, migrations(name))
        .await
        .with_context(|| format!("migrating the {} database", name.as_str()))
}
