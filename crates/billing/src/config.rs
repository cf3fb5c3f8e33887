//! `BillingConfig`: everything the service reads from its environment.
use service_kit::config::{ConfigError, Env, HttpSettings, Loader};
use service_kit::db::PoolSettings;

pub const DEFAULT_PORT: u16 = 8081;
pub const DEV_DATABASE_URL: &str = "sqlite://data/billing.db";

#[derive(Debug, Clone)]
pub struct BillingConfig {
    pub http: HttpSettings,
    pub database_url: String,
    pub pool: PoolSettings,
}

impl BillingConfig {
    /// Reads the config, recording problems in `loader`.
    pub fn read(loader: &mut Loader<'_>) -> Self {
        let http = loader.http("BILLING", DEFAULT_PORT);
        let database_url = loader.database_url("BILLING_DATABASE_URL", DEV_DATABASE_URL);
        let pool = PoolSettings {
            max_connections: loader.parse("BILLING_DATABASE_MAX_CONNECTIONS", 10),
            ..PoolSettings::default()
        };
        Self {
            http,
            database_url,
            pool,
        }
    }

    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let mut loader = Loader::new(env);
        let config = Self::read(&mut loader);
        loader.finish().map(|_| config)
    }
}
