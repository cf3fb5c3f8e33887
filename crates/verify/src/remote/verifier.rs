//! [`Verifier`]: validation against the issuer's published keys, with
//! optional introspection.

use std::fmt;
use std::time::Duration;

use super::discovery::{discover, ProviderMetadata};
use super::error::{RemoteError, SetupError, VerifyError};
use super::introspection::{IntrospectionConfig, Introspector, Refusal};
use super::keys::{RemoteKeys, RemoteKeysConfig};
use crate::claims::Claims;
use crate::error::ValidationError;
use crate::validator::{ValidationConfig, Validator, DEFAULT_LEEWAY};

/// What a [`Verifier`] accepts and where it gets keys.
///
/// Build with struct-update syntax over [`Default`]; `issuer` and
/// `audience` are required:
///
/// ```
/// # use connectauth_verify::VerifierConfig;
/// let config = VerifierConfig {
///     issuer: "https://auth.example.com/t/acme".into(),
///     audience: "https://api.example.com".into(),
///     ..VerifierConfig::default()
/// };
/// ```
#[derive(Debug, Clone)]
pub struct VerifierConfig {
    /// The issuer, exactly as in the tokens' `iss` and the discovery
    /// document (no normalisation of a trailing `/`).
    pub issuer: String,
    /// The audience this API is (`aud` must contain it).
    pub audience: String,
    /// Clock skew allowed on `exp`, `nbf`, `iat`. Default 30 s, at most
    /// [`MAX_LEEWAY`](crate::MAX_LEEWAY).
    pub leeway: Duration,
    /// Scopes every token must have. Default none; per-route scopes are
    /// checked with [`require_scopes`](crate::require_scopes).
    pub required_scopes: Vec<String>,
    /// As [`ValidationConfig::required_typ`]. Default `["at+jwt"]`.
    pub required_typ: Vec<String>,
    /// As [`ValidationConfig::required_claims`]. Default `sub`,
    /// `client_id`, `iat`, `jti` (RFC 9068 §2.2).
    pub required_claims: Vec<String>,
    /// The JWKS URL. Default `None`: discovered from the issuer.
    pub jwks_uri: Option<String>,
    /// Key cache and HTTP settings.
    pub keys: RemoteKeysConfig,
    /// Introspection mode. Default `None`: tokens are validated offline
    /// only, so a revoked token is accepted until it expires.
    pub introspection: Option<IntrospectionConfig>,
    /// Remembers validated tokens briefly (default 30 s) so a token seen on
    /// every request is signature-checked once; `ttl: 0` turns it off.
    pub token_cache: super::TokenCacheConfig,
    /// The `realm` of `WWW-Authenticate` challenges. Default `None`: the
    /// audience.
    pub realm: Option<String>,
}

impl Default for VerifierConfig {
    /// Defaults for everything; `issuer` and `audience` are empty and must
    /// be set.
    fn default() -> Self {
        let validation = ValidationConfig::default();
        VerifierConfig {
            issuer: String::new(),
            audience: String::new(),
            leeway: DEFAULT_LEEWAY,
            required_scopes: Vec::new(),
            required_typ: validation.required_typ,
            required_claims: validation.required_claims,
            jwks_uri: None,
            keys: RemoteKeysConfig::default(),
            introspection: None,
            token_cache: super::TokenCacheConfig::default(),
            realm: None,
        }
    }
}

impl VerifierConfig {
    /// The local checks of this configuration, as a [`Validator`] takes them.
    pub(crate) fn validation(&self) -> ValidationConfig {
        ValidationConfig {
            issuer: self.issuer.clone(),
            audience: self.audience.clone(),
            leeway: self.leeway,
            required_typ: self.required_typ.clone(),
            required_claims: self.required_claims.clone(),
            required_scopes: self.required_scopes.clone(),
            ..ValidationConfig::default()
        }
    }

    /// The `realm` of challenges: the configured one, else the audience.
    pub(crate) fn realm(&self) -> String {
        self.realm.clone().unwrap_or_else(|| self.audience.clone())
    }
}

/// Verifies access tokens of one issuer for one audience: discovery, a
/// cached JWKS, local validation per RFC 9068 and RFC 8725, and optionally
/// introspection.
///
/// Build once at start-up and share (it is `Send + Sync`; in actix-web,
/// `web::Data::new(verifier)`).
///
/// ```no_run
/// use connectauth_verify::{Verifier, VerifierConfig};
///
/// # async fn run(token: &str) -> Result<(), Box<dyn std::error::Error>> {
/// let verifier = Verifier::new(VerifierConfig {
///     issuer: "https://auth.example.com/t/acme".into(),
///     audience: "https://api.example.com".into(),
///     ..VerifierConfig::default()
/// })
/// .await?;
///
/// match verifier.verify(token).await {
///     Ok(claims) => println!("hello {:?}", claims.sub),
///     Err(err) => {
///         // 401 / 403 / 503 and the RFC 6750 challenge.
///         let _status = err.status_code();
///         let _challenge = err.www_authenticate(Some(verifier.realm()));
///     }
/// }
/// # Ok(())
/// # }
/// ```
pub struct Verifier {
    validator: Validator,
    keys: RemoteKeys,
    introspector: Option<Introspector>,
    token_cache: super::token_cache::TokenCache,
    realm: String,
}

impl Verifier {
    /// Checks `config`, then fetches the issuer's metadata (unless
    /// `jwks_uri` is given and introspection, if on, has its `endpoint`).
    ///
    /// Discovery reads `{issuer}/.well-known/openid-configuration`, or on
    /// 404 the RFC 8414 `/.well-known/oauth-authorization-server` URL, and
    /// requires the document's `issuer` to equal `config.issuer` exactly.
    /// URLs must be `https` (plain `http` only for loopback hosts, or with
    /// [`RemoteKeysConfig::allow_http`]). Keys are fetched on first use.
    ///
    /// # Errors
    ///
    /// [`SetupError::Config`] for refused validation settings,
    /// [`SetupError::Remote`] for refused URLs or remote settings and
    /// failed discovery.
    pub async fn new(config: VerifierConfig) -> Result<Verifier, SetupError> {
        let validator = Validator::new(config.validation())?;
        let realm = config.realm();
        let http = config.keys.http(true)?;
        let needs_discovery = config.jwks_uri.is_none()
            || config
                .introspection
                .as_ref()
                .is_some_and(|i| i.endpoint.is_none());
        let discovered = if needs_discovery {
            Some(discover(&http, &config.issuer).await?)
        } else {
            None
        };
        let jwks_uri = match (&config.jwks_uri, &discovered) {
            (Some(uri), _) => http.check_url(uri, "jwks_uri")?,
            (None, Some(ProviderMetadata { jwks_uri, .. })) => jwks_uri.clone(),
            (None, None) => return Err(RemoteError::MissingMetadata("jwks_uri").into()),
        };
        let introspector = match &config.introspection {
            None => None,
            Some(intro) => {
                let endpoint = intro
                    .endpoint
                    .clone()
                    .or_else(|| discovered.and_then(|d| d.introspection_endpoint))
                    .ok_or(RemoteError::MissingMetadata("introspection_endpoint"))?;
                let no_redirects = config.keys.http(false)?;
                Some(Introspector::new(intro, &endpoint, no_redirects)?)
            }
        };
        Ok(Verifier {
            validator,
            keys: RemoteKeys::with_http(http, jwks_uri, config.keys),
            introspector,
            token_cache: super::token_cache::TokenCache::new(config.token_cache),
            realm,
        })
    }

    /// Verifies `token` (the bare JWS, without `Bearer `).
    ///
    /// Validates against the cached keys; a token signed by a key not in
    /// the set makes one (rate-limited, single-flight) refetch and one
    /// retry. In introspection mode, a token that passed is then sent to the
    /// issuer and refused unless active.
    ///
    /// # Errors
    ///
    /// A [`VerifyError`]: [`Invalid`](VerifyError::Invalid) with the first
    /// check that failed, [`Inactive`](VerifyError::Inactive), or a 503
    /// case.
    pub async fn verify(&self, token: &str) -> Result<Claims, VerifyError> {
        let claims = match self.token_cache.get(token) {
            Some(claims) => claims,
            None => {
                let claims = self.validate_signed(token).await?;
                self.token_cache.put(token, &claims);
                claims
            }
        };
        if let Some(introspector) = &self.introspector {
            introspector
                .check(token, claims.exp)
                .await
                .map_err(|refusal| match refusal {
                    Refusal::Inactive => VerifyError::Inactive,
                    Refusal::Unavailable(e) => VerifyError::IntrospectionUnavailable(e),
                })?;
        }
        Ok(claims)
    }

    /// Signature and claims against the (cached) keys, refetching once on an unknown `kid`.
    async fn validate_signed(&self, token: &str) -> Result<Claims, VerifyError> {
        let keys = self
            .keys
            .current()
            .await
            .map_err(VerifyError::KeysUnavailable)?;
        let claims = match self.validator.validate(token, &keys) {
            Err(ValidationError::UnknownKey { kid }) => {
                let keys = self
                    .keys
                    .for_unknown_kid(&kid)
                    .await
                    .map_err(VerifyError::KeysUnavailable)?;
                self.validator.validate(token, &keys)?
            }
            other => other?,
        };
        Ok(claims)
    }

    /// The validator in use (its configuration, or offline validation
    /// against a set from [`keys`](Self::keys)).
    pub fn validator(&self) -> &Validator {
        &self.validator
    }

    /// The key cache.
    pub fn keys(&self) -> &RemoteKeys {
        &self.keys
    }

    /// The `realm` for `WWW-Authenticate` challenges.
    pub fn realm(&self) -> &str {
        &self.realm
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("issuer", &self.validator.config().issuer)
            .field("audience", &self.validator.config().audience)
            .field("keys", &self.keys)
            .field(
                "introspection_endpoint",
                &self.introspector.as_ref().map(Introspector::endpoint),
            )
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::error::ConfigError;

    fn assert_send_sync<T: Send + Sync>(_: &T) {}

    #[test]
    fn verifier_and_its_future_are_send() {
        fn check(v: &Verifier) {
            assert_send_sync(v);
            assert_send_sync(&v.verify("t"));
        }
        let _ = check;
    }

    #[tokio::test]
    async fn config_is_checked_before_any_request() {
        let err = |c: VerifierConfig| async move { Verifier::new(c).await.err() };
        let base = VerifierConfig {
            issuer: "https://as.invalid/t/x".into(),
            audience: "api".into(),
            ..VerifierConfig::default()
        };
        assert!(matches!(
            err(VerifierConfig {
                audience: String::new(),
                ..base.clone()
            })
            .await,
            Some(SetupError::Config(ConfigError::EmptyAudience))
        ));
        assert!(matches!(
            err(VerifierConfig {
                issuer: "http://as.example/t/x".into(),
                ..base.clone()
            })
            .await,
            Some(SetupError::Remote(RemoteError::InvalidUrl {
                what: "issuer",
                ..
            }))
        ));
        assert!(matches!(
            err(VerifierConfig {
                issuer: "https://as.example/t/x?a=b".into(),
                ..base.clone()
            })
            .await,
            Some(SetupError::Remote(RemoteError::InvalidUrl {
                what: "issuer",
                ..
            }))
        ));
        let mut bad_ttl = base.clone();
        bad_ttl.keys.min_ttl = Duration::from_secs(10);
        bad_ttl.keys.max_ttl = Duration::from_secs(5);
        assert!(matches!(
            err(bad_ttl).await,
            Some(SetupError::Remote(RemoteError::InvalidConfig(_)))
        ));
        // A static jwks_uri needs no discovery, so no request is made.
        let offline = VerifierConfig {
            jwks_uri: Some("https://as.invalid/jwks".into()),
            ..base.clone()
        };
        let v = Verifier::new(offline).await.expect("no network needed");
        assert_eq!(v.realm(), "api");
        assert_eq!(v.keys().fetch_count(), 0);
    }
}
