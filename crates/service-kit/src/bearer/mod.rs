//! Bearer tokens: the one seam between a ConnectAuth service's API and
//! token checking.
//!
//! Handlers see only [`AuthenticatedUser`] (`claims`, `require_scopes`) and
//! [`BearerError`], rendered as problem+json like every error of this API;
//! checking itself is `connectauth-verify`'s [`Verifier`].
//!
//! The contract (RFC 6750 §3): no token → 401 `WWW-Authenticate: Bearer`;
//! a bad token → 401 `error="invalid_token"`; a good token lacking a scope →
//! 403 `error="insufficient_scope"`; no issuer key at hand at all → 503.
//! Bodies are problem+json.
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::problem::{problem_response, Code};
use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};
use connectauth_verify::{
    require_scopes, Claims, ConfigError, IntrospectionConfig, RemoteKeysConfig, TokenCacheConfig,
    ValidationConfig, ValidationError, Validator, Verifier, VerifierConfig, VerifyError,
};
use tokio::sync::OnceCell;

mod settings;

pub use settings::{BearerSettings, IntrospectionClient};

/// Checks access tokens of one issuer for one audience with the SDK's
/// [`Verifier`] (discovery, JWKS cache, refetch on unknown `kid`, and
/// introspection when a client is configured). The verifier is made on first
/// use, so the API starts even while the auth server is still starting.
pub struct Authenticator {
    config: VerifierConfig,
    verifier: OnceCell<Verifier>,
}

impl Authenticator {
    pub fn from_settings(settings: &BearerSettings) -> Result<Self, ConfigError> {
        // Refuse a bad issuer or audience at startup, not at the first request.
        Validator::new(ValidationConfig {
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            ..ValidationConfig::default()
        })?;
        let config = VerifierConfig {
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            keys: RemoteKeysConfig {
                min_refetch_interval: Duration::from_secs(settings.jwks_min_refetch_secs),
                ..RemoteKeysConfig::default()
            },
            introspection: settings
                .introspection
                .as_ref()
                .map(|c| IntrospectionConfig {
                    client_id: c.client_id.clone(),
                    client_secret: c.client_secret.expose().to_owned(),
                    ..IntrospectionConfig::default()
                }),
            token_cache: TokenCacheConfig {
                ttl: Duration::from_secs(settings.token_cache_secs),
                ..TokenCacheConfig::default()
            },
            ..VerifierConfig::default()
        };
        Ok(Self {
            config,
            verifier: OnceCell::new(),
        })
    }

    async fn verifier(&self) -> Result<&Verifier, BearerError> {
        self.verifier
            .get_or_try_init(|| Verifier::new(self.config.clone()))
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "the issuer cannot be reached for discovery");
                BearerError::KeysUnavailable
            })
    }

    /// The token's claims, or why it is refused.
    pub async fn verify(&self, token: &str) -> Result<Claims, BearerError> {
        self.verifier()
            .await?
            .verify(token)
            .await
            .map_err(BearerError::from)
    }
}

impl From<VerifyError> for BearerError {
    fn from(e: VerifyError) -> Self {
        match e {
            VerifyError::Invalid(v) => BearerError::Refused(v),
            VerifyError::Inactive => BearerError::Revoked,
            other => {
                tracing::warn!(error = %other, "access tokens cannot be checked");
                BearerError::KeysUnavailable
            }
        }
    }
}

/// The caller of a handler, with a valid token. Scopes are checked per route.
#[derive(Debug, Clone)]
pub struct AuthenticatedUser {
    pub claims: Claims,
}

impl AuthenticatedUser {
    pub fn require_scopes(&self, scopes: &[&str]) -> Result<(), BearerError> {
        require_scopes(&self.claims, scopes).map_err(BearerError::Refused)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BearerError {
    #[error("no bearer token")]
    Missing,
    #[error("token refused: {0}")]
    Refused(ValidationError),
    #[error("the token was revoked (introspection)")]
    Revoked,
    #[error("no key of the issuer is at hand")]
    KeysUnavailable,
    #[error("no authenticator is configured")]
    NotConfigured,
}

impl ResponseError for BearerError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Missing => Code::Unauthorized.status(),
            Self::Refused(e) => {
                StatusCode::from_u16(e.status_code()).unwrap_or(StatusCode::UNAUTHORIZED)
            }
            Self::Revoked => Code::InvalidToken.status(),
            Self::KeysUnavailable => Code::ServiceUnavailable.status(),
            Self::NotConfigured => Code::Internal.status(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            // RFC 6750 §3.1: a request without credentials gets a bare challenge.
            Self::Missing => problem_response(
                Code::Unauthorized,
                "Send an access token: `Authorization: Bearer <token>`.",
                None,
            ),
            Self::Refused(e) => {
                // The precise reason is for the log; the client gets the coarse one.
                tracing::info!(reason = %e, "access token refused");
                let (code, detail) = if e.status_code() == 403 {
                    (
                        Code::InsufficientScope,
                        "The access token lacks a scope this request needs.",
                    )
                } else {
                    (Code::InvalidToken, "The access token is not valid here.")
                };
                let mut res = problem_response(code, detail, None);
                if let Ok(value) = HeaderValue::from_str(&e.www_authenticate(None)) {
                    res.headers_mut().insert(header::WWW_AUTHENTICATE, value);
                }
                res
            }
            Self::Revoked => {
                let mut res =
                    problem_response(Code::InvalidToken, "The access token was revoked.", None);
                res.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(
                        "Bearer error=\"invalid_token\", error_description=\"revoked\"",
                    ),
                );
                res
            }
            Self::KeysUnavailable => problem_response(
                Code::ServiceUnavailable,
                "Access tokens cannot be checked right now.",
                Some(5),
            ),
            Self::NotConfigured => {
                tracing::error!("AuthenticatedUser used without an Authenticator in app data");
                problem_response(
                    Code::Internal,
                    "An unexpected error occurred; it has been logged.",
                    None,
                )
            }
        }
    }
}

impl FromRequest for AuthenticatedUser {
    type Error = BearerError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer_token(req);
        let authenticator = req.app_data::<web::Data<Authenticator>>().cloned();
        Box::pin(async move {
            let authenticator = authenticator.ok_or(BearerError::NotConfigured)?;
            let claims = authenticator.verify(&token?).await?;
            Ok(AuthenticatedUser { claims })
        })
    }
}

/// The token of `Authorization: Bearer <token>` (RFC 6750 §2.1; the scheme
/// is case-insensitive). Tokens in query strings or bodies are not read.
fn bearer_token(req: &HttpRequest) -> Result<String, BearerError> {
    let mut values = req.headers().get_all(header::AUTHORIZATION);
    let Some(value) = values.next() else {
        return Err(BearerError::Missing);
    };
    let malformed = |why| BearerError::Refused(ValidationError::Malformed(why));
    if values.next().is_some() {
        return Err(malformed("several Authorization headers"));
    }
    let value = value
        .to_str()
        .map_err(|_| malformed("Authorization is not ASCII"))?;
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(BearerError::Missing);
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(malformed("empty bearer token"));
    }
    Ok(token.to_owned())
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    #[test]
    fn only_the_bearer_scheme_is_read() {
        let token = |value: &str| {
            bearer_token(
                &TestRequest::default()
                    .insert_header((header::AUTHORIZATION, value))
                    .to_http_request(),
            )
        };
        assert_eq!(
            token("Bearer abc.def.ghi").ok().as_deref(),
            Some("abc.def.ghi")
        );
        assert_eq!(token("bearer  abc ").ok().as_deref(), Some("abc"));
        assert!(matches!(
            token("Basic dXNlcjpwdw=="),
            Err(BearerError::Missing)
        ));
        assert!(matches!(token("Bearer "), Err(BearerError::Refused(_))));
        assert!(matches!(
            bearer_token(&TestRequest::default().to_http_request()),
            Err(BearerError::Missing)
        ));
    }

    fn challenge(res: &HttpResponse) -> &str {
        res.headers()
            .get(header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    #[test]
    fn refusals_carry_the_rfc_6750_challenge() {
        let res = BearerError::Refused(ValidationError::Expired).error_response();
        assert_eq!(res.status(), 401);
        assert!(challenge(&res).starts_with("Bearer error=\"invalid_token\""));
        let scope = ValidationError::InsufficientScope {
            required: vec!["profile:write".into()],
            missing: vec!["profile:write".into()],
        };
        let res = BearerError::Refused(scope).error_response();
        assert_eq!(res.status(), 403);
        assert!(challenge(&res).contains("insufficient_scope"));
        assert!(challenge(&res).contains("scope=\"profile:write\""));
        let res = BearerError::Missing.error_response();
        assert_eq!(challenge(&res), "Bearer");
    }

    #[test]
    fn revoked_and_unreachable_are_told_apart() {
        let revoked = BearerError::from(VerifyError::Inactive).error_response();
        assert_eq!(revoked.status(), 401);
        assert!(challenge(&revoked).contains("invalid_token"));
        assert_eq!(BearerError::KeysUnavailable.error_response().status(), 503);
    }
}
