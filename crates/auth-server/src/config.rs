//! `AuthConfig`: everything the auth server reads from its environment.
use service_kit::config::{ConfigError, Env, HttpSettings, Loader};
use service_kit::db::PoolSettings;
use service_kit::secret::Secret;

pub const DEFAULT_PORT: u16 = 8080;
pub const DEV_DATABASE_URL: &str = "sqlite://data/auth.db";

/// Secrets the auth server needs, for `connectauth secrets generate`.
pub const SECRET_VARIABLES: &[&str] = &["AUTH_ADMIN_TOKEN"];

#[derive(Debug, Clone)]
pub struct AuthConfig {
    pub http: HttpSettings,
    pub database_url: String,
    pub pool: PoolSettings,
    /// Bearer token of platform operators on `/manage/v1`.
    pub admin_token: Secret,
}

impl AuthConfig {
    /// Reads the config, recording problems in `loader` (which may be shared
    /// with the other services so all problems are reported together).
    pub fn read(loader: &mut Loader<'_>) -> Self {
        let http = loader.http("AUTH", DEFAULT_PORT);
        let database_url = loader.database_url("AUTH_DATABASE_URL", DEV_DATABASE_URL);
        let pool = PoolSettings {
            max_connections: loader.parse("AUTH_DATABASE_MAX_CONNECTIONS", 10),
            ..PoolSettings::default()
        };
        let admin_token = loader
            .secret("AUTH_ADMIN_TOKEN")
            .unwrap_or_else(|| Secret::new(""));
        Self {
            http,
            database_url,
            pool,
            admin_token,
        }
    }

    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let mut loader = Loader::new(env);
        let config = Self::read(&mut loader);
        loader.finish().map(|_| config)
    }
}
