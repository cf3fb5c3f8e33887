//! Bearer tokens of a service API: which tokens it accepts
//! ([`BearerSettings`]) and how a refusal is answered here. Checking and
//! extraction are the verify SDK's: handlers take
//! `connectauth_verify::actix::AuthenticatedUser`.
//!
//! The contract (RFC 6750 §3): no token → 401 `WWW-Authenticate: Bearer`;
//! a bad or malformed token → 401 `error="invalid_token"`; a good token
//! lacking a scope → 403 `error="insufficient_scope"`; no issuer key at hand
//! at all → 503. Bodies are problem+json, like every error of these APIs.
use std::time::Duration;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpResponse};
use connectauth_verify::actix::{BearerError, BearerErrorKind, RenderBearerError};
use connectauth_verify::{
    ConfigError, IntrospectionConfig, LazyVerifier, RemoteKeysConfig, TokenCacheConfig,
    ValidationError, VerifierConfig, VerifyError,
};

use crate::problem::{problem_response, Code};

mod settings;

pub use settings::{BearerSettings, DefaultIssuer, IntrospectionClient};

/// The SDK's verifier for tokens of one issuer and audience (discovery,
/// JWKS cache, refetch on unknown `kid`, and introspection when a client is
/// configured). It is built on first use, so the API starts even while the
/// auth server is still starting; a bad issuer or audience is refused now.
pub fn verifier(settings: &BearerSettings) -> Result<LazyVerifier, ConfigError> {
    LazyVerifier::new(VerifierConfig {
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
    })
}

/// Registers `verifier` where the SDK's extractor looks, and [`render`] as
/// its answer to refusals.
pub fn register(cfg: &mut web::ServiceConfig, verifier: &web::Data<LazyVerifier>) {
    cfg.app_data(verifier.clone())
        .app_data(RenderBearerError(render));
}

/// A refusal as problem+json with its RFC 6750 challenge (no realm). The
/// precise reason goes to the log; the client gets the coarse one.
pub fn render(error: &BearerError) -> HttpResponse {
    match error.kind() {
        // RFC 6750 §3.1: a request without credentials gets a bare challenge.
        BearerErrorKind::MissingToken => problem_response(
            Code::Unauthorized,
            "Send an access token: `Authorization: Bearer <token>`.",
            None,
        ),
        BearerErrorKind::InvalidRequest(why) => refused(&ValidationError::Malformed(why)),
        BearerErrorKind::Verify(VerifyError::Invalid(e)) => refused(e),
        BearerErrorKind::Verify(VerifyError::Inactive) => {
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
        BearerErrorKind::Verify(other) => {
            tracing::warn!(error = %other, "access tokens cannot be checked");
            problem_response(
                Code::ServiceUnavailable,
                "Access tokens cannot be checked right now.",
                Some(5),
            )
        }
        BearerErrorKind::NotConfigured => {
            tracing::error!("AuthenticatedUser used without a verifier in app data");
            problem_response(
                Code::Internal,
                "An unexpected error occurred; it has been logged.",
                None,
            )
        }
    }
}

fn refused(e: &ValidationError) -> HttpResponse {
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

#[cfg(test)]
mod tests {
    use actix_web::http::StatusCode;
    use connectauth_verify::RemoteError;

    use super::*;

    fn challenge(res: &HttpResponse) -> &str {
        res.headers()
            .get(header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    #[test]
    fn refusals_carry_the_rfc_6750_challenge() {
        let res = render(&ValidationError::Expired.into());
        assert_eq!(res.status(), 401);
        assert!(challenge(&res).starts_with("Bearer error=\"invalid_token\""));
        let scope = ValidationError::InsufficientScope {
            required: vec!["profile:write".into()],
            missing: vec!["profile:write".into()],
        };
        let res = render(&scope.into());
        assert_eq!(res.status(), 403);
        assert!(challenge(&res).contains("insufficient_scope"));
        assert!(challenge(&res).contains("scope=\"profile:write\""));
        let res = render(&BearerError::missing_token(Some("api")));
        assert_eq!(challenge(&res), "Bearer");
        let res = render(&BearerError::invalid_request("two headers", Some("api")));
        assert_eq!(res.status(), 401);
        assert_eq!(
            challenge(&res),
            "Bearer error=\"invalid_token\", error_description=\"The access token is invalid\""
        );
    }

    #[test]
    fn revoked_and_unreachable_are_told_apart() {
        let revoked = render(&VerifyError::Inactive.into());
        assert_eq!(revoked.status(), 401);
        assert!(challenge(&revoked).contains("invalid_token"));
        let down = VerifyError::KeysUnavailable(RemoteError::InvalidConfig("x"));
        assert_eq!(
            render(&down.into()).status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
    }
}
