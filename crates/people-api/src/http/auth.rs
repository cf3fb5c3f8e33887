//! Bearer tokens: the one seam between this API and token checking.
//!
//! Handlers see only [`AuthenticatedUser`] (`claims`, `require_scopes`) and
//! [`BearerError`], the shape of `connectauth-verify`'s actix extractor. Until
//! that extractor and its async `Verifier` land, this file builds the same
//! thing over the crate's offline core: a [`Validator`] fed by a
//! [`KeySource`]. Switching is a change to this file (and deleting
//! `remote_keys.rs`): nothing else names a key, a validator or a key source.
//!
//! The contract (RFC 6750 §3): no token → 401 `WWW-Authenticate: Bearer`;
//! a bad token → 401 `error="invalid_token"`; a good token lacking a scope →
//! 403 `error="insufficient_scope"`; no issuer key at hand at all → 503.
//! Bodies are problem+json.
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};
use connectauth_verify::{
    require_scopes, Claims, ConfigError, KeySet, ValidationConfig, ValidationError, Validator,
};
use service_kit::problem::{problem_response, Code};

use super::remote_keys::RemoteKeySource;
use crate::config::TokenSettings;

/// Where the issuer's public keys come from.
#[async_trait::async_trait]
pub trait KeySource: Send + Sync {
    /// The keys to check a token with now (cheap: called on every request).
    async fn keys(&self) -> KeySet;
    /// A token named a key we do not hold: the issuer may have rotated.
    /// Implementations refetch, rate-limited.
    async fn refresh_for_unknown_kid(&self);
}

/// A fixed key set, for tests and for issuers whose keys are configured.
pub struct StaticKeySource(pub KeySet);

#[async_trait::async_trait]
impl KeySource for StaticKeySource {
    async fn keys(&self) -> KeySet {
        self.0.clone()
    }

    async fn refresh_for_unknown_kid(&self) {}
}

/// Checks access tokens of one issuer for one audience.
pub struct Authenticator {
    validator: Validator,
    keys: Arc<dyn KeySource>,
}

impl Authenticator {
    /// Production: keys fetched from the issuer's discovery document.
    pub fn from_settings(settings: &TokenSettings) -> Result<Self, ConfigError> {
        let keys = RemoteKeySource::new(&settings.issuer);
        Self::with_key_source(settings, Arc::new(keys))
    }

    pub fn with_key_source(
        settings: &TokenSettings,
        keys: Arc<dyn KeySource>,
    ) -> Result<Self, ConfigError> {
        let validator = Validator::new(ValidationConfig {
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            ..ValidationConfig::default()
        })?;
        Ok(Self { validator, keys })
    }

    /// The token's claims, after one refetch of the keys if it names an
    /// unknown one. Without any key (issuer unreachable since start), no
    /// token can be checked: that is our outage (503), not the token's fault.
    pub async fn verify(&self, token: &str) -> Result<Claims, BearerError> {
        let mut keys = self.keys.keys().await;
        if keys.is_empty() {
            self.keys.refresh_for_unknown_kid().await;
            keys = self.keys.keys().await;
            if keys.is_empty() {
                return Err(BearerError::KeysUnavailable);
            }
        }
        let checked = match self.validator.validate(token, &keys) {
            Err(e) if e.is_unknown_key() => {
                self.keys.refresh_for_unknown_kid().await;
                self.validator.validate(token, &self.keys.keys().await)
            }
            checked => checked,
        };
        checked.map_err(BearerError::Refused)
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

    fn settings() -> TokenSettings {
        TokenSettings {
            issuer: "https://issuer.test/t/connect-people".into(),
            audience: "connect-people-api".into(),
            introspection: None,
        }
    }

    /// {"alg":"ES256","typ":"at+jwt","kid":"k1"} . {} . signature
    const TOKEN_WITH_KID_K1: &str =
        "eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6ImsxIn0.e30.AAAA";

    #[tokio::test]
    async fn an_unknown_kid_triggers_one_refresh() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        struct Counting(AtomicUsize);
        #[async_trait::async_trait]
        impl KeySource for Counting {
            async fn keys(&self) -> KeySet {
                // RFC 7515 A.3's P-256 key, as `k0`.
                KeySet::from_jwks_json(
                    r#"{"keys":[{"kty":"EC","crv":"P-256","kid":"k0",
                    "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                    "y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}"#,
                )
                .unwrap_or_default()
            }
            async fn refresh_for_unknown_kid(&self) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let source = Arc::new(Counting(AtomicUsize::new(0)));
        let auth = Authenticator::with_key_source(&settings(), source.clone()).expect("valid");
        assert!(matches!(
            auth.verify(TOKEN_WITH_KID_K1).await,
            Err(BearerError::Refused(ValidationError::UnknownKey { .. }))
        ));
        assert_eq!(source.0.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn without_any_key_tokens_cannot_be_checked() {
        let empty = Arc::new(StaticKeySource(KeySet::default()));
        let auth = Authenticator::with_key_source(&settings(), empty).expect("valid");
        let refused = auth.verify(TOKEN_WITH_KID_K1).await.expect_err("no keys");
        assert!(matches!(refused, BearerError::KeysUnavailable));
        assert_eq!(refused.error_response().status(), 503);
    }
}
