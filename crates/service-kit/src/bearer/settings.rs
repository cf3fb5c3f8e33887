//! Which bearer tokens a service accepts, read from `{PREFIX}_ISSUER`,
//! `{PREFIX}_AUDIENCE`, `{PREFIX}_INTROSPECTION_CLIENT_ID|SECRET`,
//! `{PREFIX}_JWKS_MIN_REFETCH_SECS` and `{PREFIX}_TOKEN_CACHE_SECS`.
use url::Url;

/// The auth server's public URL: a trusted issuer left unset is its tenant's
/// issuer under it, so a deployment names the auth server's host once.
pub const AUTH_PUBLIC_URL: &str = "AUTH_PUBLIC_URL";

use crate::config::{secret_weakness, Loader};
use crate::secret::Secret;

/// Which access tokens a service accepts: those of one issuer (one tenant of
/// ConnectAuth) made out to one audience.
#[derive(Debug, Clone)]
pub struct BearerSettings {
    /// Compared exactly with `iss`; its discovery document names the JWKS.
    pub issuer: String,
    pub audience: String,
    /// A confidential client of the tenant, for token introspection.
    pub introspection: Option<IntrospectionClient>,
    /// Fewest seconds between two JWKS fetches (`{PREFIX}_JWKS_MIN_REFETCH_SECS`, default 30).
    pub jwks_min_refetch_secs: u64,
    /// How long a validated token is remembered (`{PREFIX}_TOKEN_CACHE_SECS`,
    /// default 30; 0 checks every request's signature).
    pub token_cache_secs: u64,
}

/// Whose tokens a service trusts when `{PREFIX}_ISSUER` is unset.
#[derive(Debug, Clone, Copy)]
pub struct DefaultIssuer<'a> {
    /// The tenant whose tokens are trusted: the issuer is
    /// `{AUTH_PUBLIC_URL}/t/{tenant}` when `AUTH_PUBLIC_URL` is set.
    pub tenant: &'a str,
    /// The issuer in development when `AUTH_PUBLIC_URL` is unset too
    /// (`connectauth dev`'s auth server). Production has none.
    pub development: &'a str,
}

#[derive(Debug, Clone)]
pub struct IntrospectionClient {
    pub client_id: String,
    pub client_secret: Secret,
}

impl BearerSettings {
    /// The issuer is `{PREFIX}_ISSUER`, else the tenant of `default_issuer`
    /// under `AUTH_PUBLIC_URL`, else (development only) its development
    /// issuer; production without either is a problem.
    pub fn read(
        loader: &mut Loader<'_>,
        prefix: &str,
        default_issuer: DefaultIssuer<'_>,
        default_audience: &str,
    ) -> Self {
        let production = loader.mode().is_production();
        let key = format!("{prefix}_ISSUER");
        let explicit = loader
            .optional(&key)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty());
        let derived = loader
            .optional(AUTH_PUBLIC_URL)
            .map(|v| v.trim().trim_end_matches('/').to_owned())
            .filter(|v| !v.is_empty());
        let (issuer, origin) = match (explicit, derived) {
            (Some(v), _) => (v, key.clone()),
            (None, Some(base)) => (
                format!("{base}/t/{}", default_issuer.tenant),
                format!(
                    "{key} (unset, so {AUTH_PUBLIC_URL}/t/{})",
                    default_issuer.tenant
                ),
            ),
            (None, None) if production => {
                loader.problem(format!(
                    "{key}: required in production: set {AUTH_PUBLIC_URL} (the issuer is then \
                     {AUTH_PUBLIC_URL}/t/{}) or {key} (the https issuer of the trusted tenant, \
                     e.g. https://auth.example.com/t/<tenant>)",
                    default_issuer.tenant
                ));
                (String::new(), key.clone())
            }
            (None, None) => (default_issuer.development.to_owned(), key.clone()),
        };
        if !issuer.is_empty() {
            if let Err(problem) = check_issuer(&issuer, production) {
                loader.problem(format!("{origin}: {problem}"));
            }
        }
        let audience = loader.string(&format!("{prefix}_AUDIENCE"), default_audience);
        let audience = audience.trim().to_owned();
        if audience
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            loader.problem(format!(
                "{prefix}_AUDIENCE: must not contain spaces or control characters"
            ));
        }
        let introspection = read_introspection(loader, prefix, production);
        let jwks_min_refetch_secs = loader.parse(&format!("{prefix}_JWKS_MIN_REFETCH_SECS"), 30);
        let token_cache_secs = loader.parse(&format!("{prefix}_TOKEN_CACHE_SECS"), 30);
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

fn read_introspection(
    loader: &mut Loader<'_>,
    prefix: &str,
    production: bool,
) -> Option<IntrospectionClient> {
    let id = loader
        .optional(&format!("{prefix}_INTROSPECTION_CLIENT_ID"))
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty());
    let secret = loader
        .optional(&format!("{prefix}_INTROSPECTION_CLIENT_SECRET"))
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty());
    match (id, secret) {
        (None, None) => None,
        (Some(client_id), Some(secret)) => {
            let client_secret = Secret::new(secret);
            if let Some(issue) = secret_weakness(&client_secret) {
                if production {
                    loader.problem(format!("{prefix}_INTROSPECTION_CLIENT_SECRET: {issue}"));
                    return None;
                }
                tracing::warn!(
                    variable = %format!("{prefix}_INTROSPECTION_CLIENT_SECRET"),
                    "weak secret accepted in development: {issue}"
                );
            }
            Some(IntrospectionClient {
                client_id,
                client_secret,
            })
        }
        _ => {
            loader.problem(format!(
                "{prefix}_INTROSPECTION_CLIENT_ID and {prefix}_INTROSPECTION_CLIENT_SECRET: \
                 set both or neither"
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ConfigError, Env};

    const PLATFORM: DefaultIssuer<'static> = DefaultIssuer {
        tenant: "platform",
        development: "http://127.0.0.1:8080/t/platform",
    };

    fn issuer(pairs: &[(&str, &str)]) -> Result<String, ConfigError> {
        let env = Env::from_pairs(pairs.iter().copied());
        let mut loader = Loader::new(&env);
        let settings = BearerSettings::read(&mut loader, "S", PLATFORM, "aud");
        loader.finish().map(|_| settings.issuer)
    }

    #[test]
    fn an_unset_issuer_is_the_tenant_under_the_auth_public_url() {
        let prod = ("CONNECTAUTH_ENV", "production");
        for base in ["https://auth.example.org", " https://auth.example.org/ "] {
            assert_eq!(
                issuer(&[prod, ("AUTH_PUBLIC_URL", base)]).expect("derived"),
                "https://auth.example.org/t/platform"
            );
        }
        // An explicit issuer wins; an empty one counts as unset.
        let explicit = ("S_ISSUER", "https://login.example.net/t/other");
        assert_eq!(
            issuer(&[
                prod,
                ("AUTH_PUBLIC_URL", "https://auth.example.org"),
                explicit
            ])
            .expect("explicit"),
            "https://login.example.net/t/other"
        );
        assert_eq!(
            issuer(&[
                prod,
                ("AUTH_PUBLIC_URL", "https://a.example.org"),
                ("S_ISSUER", " ")
            ])
            .expect("derived"),
            "https://a.example.org/t/platform"
        );
        // Development without either trusts `connectauth dev`'s auth server.
        assert_eq!(issuer(&[]).expect("dev"), PLATFORM.development);
    }

    #[test]
    fn production_checks_a_derived_issuer_and_names_where_it_came_from() {
        let prod = ("CONNECTAUTH_ENV", "production");
        let missing = issuer(&[prod]).expect_err("nothing to derive from");
        assert!(
            missing.problems[0]
                .starts_with("S_ISSUER: required in production: set AUTH_PUBLIC_URL"),
            "{missing}"
        );
        let http = issuer(&[prod, ("AUTH_PUBLIC_URL", "http://auth.example.org")])
            .expect_err("http refused");
        assert_eq!(http.problems.len(), 1, "{http}");
        assert!(
            http.problems[0]
                .starts_with("S_ISSUER (unset, so AUTH_PUBLIC_URL/t/platform): must be https"),
            "{http}"
        );
    }
}
