//! `PeopleConfig`: everything the service reads from its environment.
use service_kit::config::{secret_weakness, ConfigError, Env, HttpSettings, Loader};
use service_kit::db::PoolSettings;
use service_kit::secret::Secret;
use url::Url;

pub const DEFAULT_PORT: u16 = 8082;
pub const DEV_DATABASE_URL: &str = "sqlite://data/people.db";
/// The `connect-people` tenant of a local `connectauth dev`.
pub const DEFAULT_ISSUER: &str = "http://127.0.0.1:8080/t/connect-people";
pub const DEFAULT_AUDIENCE: &str = "connect-people-api";

#[derive(Debug, Clone)]
pub struct PeopleConfig {
    pub http: HttpSettings,
    pub database_url: String,
    pub pool: PoolSettings,
    pub tokens: TokenSettings,
}

/// Which access tokens the API accepts: those of one issuer (one tenant of
/// ConnectAuth) made out to one audience.
#[derive(Debug, Clone)]
pub struct TokenSettings {
    /// Compared exactly with `iss`; its discovery document names the JWKS.
    pub issuer: String,
    pub audience: String,
    /// A confidential client of the tenant, for token introspection.
    pub introspection: Option<IntrospectionClient>,
    /// Fewest seconds between two JWKS fetches (`PEOPLE_JWKS_MIN_REFETCH_SECS`, default 30).
    pub jwks_min_refetch_secs: u64,
    /// How long a validated token is remembered (`PEOPLE_TOKEN_CACHE_SECS`,
    /// default 30; 0 checks every request's signature).
    pub token_cache_secs: u64,
}

#[derive(Debug, Clone)]
pub struct IntrospectionClient {
    pub client_id: String,
    pub client_secret: Secret,
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
        let tokens = TokenSettings::read(loader);
        Self {
            http,
            database_url,
            pool,
            tokens,
        }
    }

    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let mut loader = Loader::new(env);
        let config = Self::read(&mut loader);
        loader.finish().map(|_| config)
    }
}

impl TokenSettings {
    fn read(loader: &mut Loader<'_>) -> Self {
        let production = loader.mode().is_production();
        let issuer = match loader
            .optional("PEOPLE_ISSUER")
            .map(|v| v.trim().to_owned())
        {
            Some(v) if !v.is_empty() => v,
            _ if production => {
                loader.problem(
                    "PEOPLE_ISSUER: required in production (the https issuer of the trusted \
                     tenant, e.g. https://auth.example.com/t/connect-people)",
                );
                String::new()
            }
            _ => DEFAULT_ISSUER.to_owned(),
        };
        if !issuer.is_empty() {
            if let Err(problem) = check_issuer(&issuer, production) {
                loader.problem(format!("PEOPLE_ISSUER: {problem}"));
            }
        }
        let audience = loader.string("PEOPLE_AUDIENCE", DEFAULT_AUDIENCE);
        let audience = audience.trim().to_owned();
        if audience
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            loader.problem("PEOPLE_AUDIENCE: must not contain spaces or control characters");
        }
        let introspection = read_introspection(loader, production);
        let jwks_min_refetch_secs = loader.parse("PEOPLE_JWKS_MIN_REFETCH_SECS", 30);
        let token_cache_secs = loader.parse("PEOPLE_TOKEN_CACHE_SECS", 30);
        Self {
            jwks_min_refetch_secs,
            token_cache_secs,
            issuer,
            audience,
            introspection,
        }
    }
}

/// An issuer is an absolute http(s) URL without query or fragment (OIDC
/// Discovery §3), https in production: its keys are fetched from it.
fn check_issuer(issuer: &str, production: bool) -> Result<(), String> {
    let url = Url::parse(issuer).map_err(|e| format!("`{issuer}` is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!("`{issuer}` is not an absolute http(s) URL"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("an issuer has no query or fragment".into());
    }
    if production && url.scheme() != "https" {
        return Err("must be https in production (its signing keys are fetched from it)".into());
    }
    Ok(())
}

fn read_introspection(loader: &mut Loader<'_>, production: bool) -> Option<IntrospectionClient> {
    let id = loader
        .optional("PEOPLE_INTROSPECTION_CLIENT_ID")
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty());
    let secret = loader
        .optional("PEOPLE_INTROSPECTION_CLIENT_SECRET")
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty());
    match (id, secret) {
        (None, None) => None,
        (Some(client_id), Some(secret)) => {
            let client_secret = Secret::new(secret);
            if let Some(issue) = secret_weakness(&client_secret) {
                if production {
                    loader.problem(format!("PEOPLE_INTROSPECTION_CLIENT_SECRET: {issue}"));
                    return None;
                }
                tracing::warn!(
                    variable = "PEOPLE_INTROSPECTION_CLIENT_SECRET",
                    "weak secret accepted in development: {issue}"
                );
            }
            Some(IntrospectionClient {
                client_id,
                client_secret,
            })
        }
        _ => {
            loader.problem(
                "PEOPLE_INTROSPECTION_CLIENT_ID and PEOPLE_INTROSPECTION_CLIENT_SECRET: \
                 set both or neither",
            );
            None
        }
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
