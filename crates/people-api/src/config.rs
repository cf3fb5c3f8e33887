//! `PeopleConfig`: everything the service reads from its environment.
use service_kit::config::{ConfigError, Env, HttpSettings, Loader};
use service_kit::db::PoolSettings;

pub const DEFAULT_PORT: u16 = 8082;
pub const DEV_DATABASE_URL: &str = "sqlite://data/people.db";

#[derive(Debug, Clone)]
pub struct PeopleConfig {
    pub http: HttpSettings,
    pub database_url: String,
    pub pool: PoolSettings,
}

impl PeopleConfig {
    /// Reads the config, recording problems in `loader`.
    pub fn read(loader: &mut Loader<'_>) -> Self {
        let http = loader.http("PEOPLE", DEFAULT_PORT);
        let database_url = loader.database_url("PEOPLE_DATABASE_URL", DEV_DATABASE_URL);
        let pool = PoolSettings {
            max_connections: loader.parse("PEOPLE_DATABASE_MAX_CONNECTIONS", 10),
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
