//! `PeopleConfig`: everything the service reads from its environment.
use service_kit::bearer::{BearerSettings, DefaultIssuer};
use service_kit::config::{ConfigError, Env, HttpSettings, Loader};
use service_kit::db::PoolSettings;

pub const DEFAULT_PORT: u16 = 8082;
pub const DEV_DATABASE_URL: &str = "sqlite://data/people.db";
/// The tenant of Connect People on the auth server.
pub const TENANT: &str = "connect-people";
/// The `connect-people` tenant of a local `connectauth dev`.
pub const DEFAULT_ISSUER: &str = "http://127.0.0.1:8080/t/connect-people";
pub const DEFAULT_AUDIENCE: &str = "connect-people-api";

#[derive(Debug, Clone)]
pub struct PeopleConfig {
    pub http: HttpSettings,
    pub database_url: String,
    pub pool: PoolSettings,
    pub tokens: BearerSettings,
    /// `PEOPLE_METRICS_ADDR`: Prometheus metrics apart from the public
    /// listener. Unset: none.
    pub metrics_addr: Option<std::net::SocketAddr>,
}

impl PeopleConfig {
    /// Reads the config, recording problems in `loader`.
    pub fn read(loader: &mut Loader<'_>) -> Self {
        let http = loader.http("PEOPLE", DEFAULT_PORT);
        let database_url = loader.database_url("PEOPLE_DATABASE_URL", DEV_DATABASE_URL);
        let pool = loader.pool("PEOPLE");
        // Unset `PEOPLE_ISSUER`: `{AUTH_PUBLIC_URL}/t/connect-people`.
        let tokens = BearerSettings::read(
            loader,
            "PEOPLE",
            DefaultIssuer {
                tenant: TENANT,
                development: DEFAULT_ISSUER,
            },
            DEFAULT_AUDIENCE,
        );
        let metrics_addr = loader.metrics_addr("PEOPLE");
        Self {
            http,
            database_url,
            pool,
            tokens,
            metrics_addr,
        }
    }

    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let mut loader = Loader::new(env);
        let config = Self::read(&mut loader);
        loader.finish().map(|_| config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD_SECRET: &str = "q9Dq0V3bVv6n0mJm0l3cS8jE4o5v0X9aYb3cXk2mL1E";

    fn read(pairs: &[(&str, &str)]) -> Result<PeopleConfig, ConfigError> {
        PeopleConfig::from_env(&Env::from_pairs(pairs.iter().copied()))
    }

    fn production(extra: &[(&str, &str)]) -> Result<PeopleConfig, ConfigError> {
        let mut pairs = vec![
            ("CONNECTAUTH_ENV", "production"),
            ("PEOPLE_PUBLIC_URL", "https://people.example.com"),
            ("PEOPLE_DATABASE_URL", "postgres://people:pw@db/people"),
        ];
        pairs.extend_from_slice(extra);
        read(&pairs)
    }

    #[test]
    fn development_defaults_trust_the_local_demo_tenant() {
        let config = read(&[]).expect("defaults are valid");
        assert_eq!(config.tokens.issuer, DEFAULT_ISSUER);
        assert_eq!(config.tokens.audience, DEFAULT_AUDIENCE);
        assert!(config.tokens.introspection.is_none());
    }

    #[test]
    fn production_requires_an_https_issuer() {
        let missing = production(&[]).expect_err("issuer required");
        assert!(missing.problems[0].starts_with("PEOPLE_ISSUER: required"));
        let http = production(&[("PEOPLE_ISSUER", "http://auth.example.com/t/connect-people")])
            .expect_err("http refused");
        assert!(http.problems[0].contains("https"), "{http}");
        let ok = production(&[("PEOPLE_ISSUER", "https://auth.example.com/t/connect-people")])
            .expect("https accepted");
        assert_eq!(
            ok.tokens.issuer,
            "https://auth.example.com/t/connect-people"
        );
    }

    #[test]
    fn an_unset_issuer_is_the_tenant_under_the_auth_public_url() {
        let config = production(&[("AUTH_PUBLIC_URL", "https://login.example.org/")])
            .expect("derived issuer");
        assert_eq!(
            config.tokens.issuer,
            "https://login.example.org/t/connect-people"
        );
    }

    #[test]
    fn malformed_issuers_are_refused() {
        for bad in [
            "auth.example.com",
            "ftp://a/t/x",
            "https://a/t/x?x=1",
            "https://a/#f",
        ] {
            assert!(read(&[("PEOPLE_ISSUER", bad)]).is_err(), "{bad}");
        }
    }

    #[test]
    fn introspection_needs_both_halves_and_a_strong_secret_in_production() {
        let half = read(&[("PEOPLE_INTROSPECTION_CLIENT_ID", "people-api")]).expect_err("half");
        assert!(half.problems[0].contains("both or neither"));
        let issuer = ("PEOPLE_ISSUER", "https://auth.example.com/t/connect-people");
        let weak = production(&[
            issuer,
            ("PEOPLE_INTROSPECTION_CLIENT_ID", "people-api"),
            ("PEOPLE_INTROSPECTION_CLIENT_SECRET", "change-me"),
        ])
        .expect_err("placeholder refused");
        assert!(weak.problems[0].starts_with("PEOPLE_INTROSPECTION_CLIENT_SECRET"));
        let strong = production(&[
            issuer,
            ("PEOPLE_INTROSPECTION_CLIENT_ID", "people-api"),
            ("PEOPLE_INTROSPECTION_CLIENT_SECRET", GOOD_SECRET),
        ])
        .expect("strong secret accepted");
        let client = strong.tokens.introspection.expect("configured");
        assert_eq!(client.client_id, "people-api");
        assert!(!format!("{client:?}").contains(GOOD_SECRET));
    }

    #[test]
    fn audience_is_one_token() {
        assert!(read(&[("PEOPLE_AUDIENCE", "a b")]).is_err());
        let config = read(&[("PEOPLE_AUDIENCE", "https://people.example.com")]).expect("valid");
        assert_eq!(config.tokens.audience, "https://people.example.com");
    }
}
