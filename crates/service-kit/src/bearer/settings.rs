//! Which bearer tokens a service accepts, read from `{PREFIX}_ISSUER`,
//! `{PREFIX}_AUDIENCE`, `{PREFIX}_INTROSPECTION_CLIENT_ID|SECRET`,
//! `{PREFIX}_JWKS_MIN_REFETCH_SECS` and `{PREFIX}_TOKEN_CACHE_SECS`.
use url::Url;

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

#[derive(Debug, Clone)]
pub struct IntrospectionClient {
    pub client_id: String,
    pub client_secret: Secret,
}

impl BearerSettings {
    /// `default_issuer` and `default_audience` apply in development; in
    /// production the issuer is required.
    pub fn read(
        loader: &mut Loader<'_>,
        prefix: &str,
        default_issuer: &str,
        default_audience: &str,
    ) -> Self {
        let production = loader.mode().is_production();
        let issuer = match loader
            .optional(&format!("{prefix}_ISSUER"))
            .map(|v| v.trim().to_owned())
        {
            Some(v) if !v.is_empty() => v,
            _ if production => {
                loader.problem(format!(
                    "{prefix}_ISSUER: required in production (the https issuer of the trusted \
                     tenant, e.g. https://auth.example.com/t/<tenant>)"
                ));
                String::new()
            }
            _ => default_issuer.to_owned(),
        };
        if !issuer.is_empty() {
            if let Err(problem) = check_issuer(&issuer, production) {
                loader.problem(format!("{prefix}_ISSUER: {problem}"));
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
