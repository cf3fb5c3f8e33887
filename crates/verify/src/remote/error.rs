//! What can go wrong: setting up a [`Verifier`](super::Verifier), talking
//! to the issuer, verifying a token.

use crate::error::{BearerChallenge, ConfigError, ErrorCode, ValidationError};
use crate::keyset::KeySetError;

/// A failure to obtain discovery metadata, keys or an introspection answer
/// from the issuer, or a configuration of the remote parts that cannot work.
///
/// `Display` is meant for logs: it names URLs (configuration, never
/// secrets) but never tokens or credentials.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RemoteError {
    /// A URL (issuer, `jwks_uri`, introspection endpoint) is unusable: not
    /// absolute, not `https` (plain `http` is accepted only for loopback
    /// hosts or with [`RemoteKeysConfig::allow_http`](crate::remote::RemoteKeysConfig::allow_http)),
    /// or an issuer with a query or fragment.
    #[error("invalid {what} URL {url:?}: {reason}")]
    InvalidUrl {
        /// Which URL.
        what: &'static str,
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A setting is out of range (the message names it).
    #[error("invalid configuration: {0}")]
    InvalidConfig(&'static str),
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    /// The request failed: connection refused, TLS, timeout, ...
    #[error("request to {url} failed: {source}")]
    Request {
        /// The URL requested.
        url: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// The server answered with a non-success status.
    #[error("{url} answered HTTP {status}")]
    Status {
        /// The URL requested.
        url: String,
        /// The HTTP status.
        status: u16,
    },
    /// The response body exceeded the size limit.
    #[error("{url} answered more than {limit} bytes")]
    TooLarge {
        /// The URL requested.
        url: String,
        /// The limit, in bytes.
        limit: usize,
    },
    /// The response body is not a JSON object.
    #[error("{url} did not answer a JSON object")]
    NotJson {
        /// The URL requested.
        url: String,
    },
    /// The discovery document names another issuer (OpenID Connect
    /// Discovery §4.3, RFC 8414 §3.3: it must be identical).
    #[error("discovery document is for issuer {found:?}, not {expected:?}")]
    IssuerMismatch {
        /// The configured issuer.
        expected: String,
        /// The `issuer` of the document (empty when missing).
        found: String,
    },
    /// The discovery document lacks a member that is needed.
    #[error("discovery document has no {0:?}")]
    MissingMetadata(&'static str),
    /// The JWKS document is not a JWKS.
    #[error("JWKS at {url} is unusable: {source}")]
    Jwks {
        /// The `jwks_uri`.
        url: String,
        /// Why.
        #[source]
        source: KeySetError,
    },
    /// No key set is at hand: none was ever fetched, or the cached one is
    /// past its stale window, and the last fetch, too recent to retry
    /// (see [`RemoteKeysConfig::min_refetch_interval`](crate::remote::RemoteKeysConfig::min_refetch_interval)),
    /// failed.
    #[error("no usable key set from {url}; last fetch failed: {last_error}")]
    NoKeys {
        /// The `jwks_uri`.
        url: String,
        /// The last fetch error, as text.
        last_error: String,
    },
}

/// Why a [`Verifier`](super::Verifier) could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The validation settings are refused.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Discovery failed, or a URL or remote setting is refused.
    #[error(transparent)]
    Remote(#[from] RemoteError),
}

/// Why [`Verifier::verify`](super::Verifier::verify) refused a token.
///
/// Maps to HTTP with [`status_code`](Self::status_code): 401
/// `invalid_token`, 403 `insufficient_scope`, or 503 when the token could
/// not be checked at all (no keys, introspection unreachable). Never 500.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The token failed local validation.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// Introspection answered that the token is not active (revoked,
    /// expired, or unknown to the issuer).
    #[error("the issuer reports the token inactive")]
    Inactive,
    /// No key set could be had from the issuer.
    #[error("no verification keys: {0}")]
    KeysUnavailable(#[source] RemoteError),
    /// Introspection mode is on and the endpoint could not be asked.
    #[error("token introspection failed: {0}")]
    IntrospectionUnavailable(#[source] RemoteError),
}

impl VerifyError {
    /// The RFC 6750 error code; `None` for the 503 cases, which are not the
    /// token's fault.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            VerifyError::Invalid(e) => Some(e.code()),
            VerifyError::Inactive => Some(ErrorCode::InvalidToken),
            VerifyError::KeysUnavailable(_) | VerifyError::IntrospectionUnavailable(_) => None,
        }
    }

    /// 401, 403 for insufficient scope, or 503.
    pub fn status_code(&self) -> u16 {
        self.code().map_or(503, ErrorCode::status_code)
    }

    /// A short, client-safe description (see
    /// [`ValidationError::description`]).
    pub fn description(&self) -> &'static str {
        match self {
            VerifyError::Invalid(e) => e.description(),
            VerifyError::Inactive => "The access token is not active",
            VerifyError::KeysUnavailable(_) | VerifyError::IntrospectionUnavailable(_) => {
                "The access token cannot be checked right now"
            }
        }
    }

    /// The `WWW-Authenticate` value for 401/403 (RFC 6750 §3); `None` for
    /// 503.
    pub fn www_authenticate(&self, realm: Option<&str>) -> Option<String> {
        match self {
            VerifyError::Invalid(e) => Some(e.www_authenticate(realm)),
            VerifyError::Inactive => {
                let mut challenge = BearerChallenge::new();
                if let Some(realm) = realm {
                    challenge = challenge.realm(realm);
                }
                Some(
                    challenge
                        .error(ErrorCode::InvalidToken)
                        .description(self.description())
                        .to_header_value(),
                )
            }
            VerifyError::KeysUnavailable(_) | VerifyError::IntrospectionUnavailable(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_mapping() {
        let unavailable = VerifyError::KeysUnavailable(RemoteError::InvalidConfig("x"));
        assert_eq!(unavailable.status_code(), 503);
        assert_eq!(unavailable.www_authenticate(Some("api")), None);
        assert_eq!(VerifyError::Inactive.status_code(), 401);
        assert_eq!(
            VerifyError::Inactive.www_authenticate(None).as_deref(),
            Some(
                r#"Bearer error="invalid_token", error_description="The access token is not active""#
            )
        );
        let scope = VerifyError::from(ValidationError::InsufficientScope {
            required: vec!["a".into()],
            missing: vec!["a".into()],
        });
        assert_eq!(scope.status_code(), 403);
        assert_eq!(
            VerifyError::from(ValidationError::Expired).status_code(),
            401
        );
    }
}
