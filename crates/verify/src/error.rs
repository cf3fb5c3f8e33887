//! Errors, and their mapping to HTTP and RFC 6750.

use crate::algorithm::Algorithm;

/// Why an access token was not accepted.
///
/// Every variant maps to an HTTP status ([`status_code`](Self::status_code))
/// and an RFC 6750 §3.1 error code ([`error_code`](Self::error_code)):
/// [`InsufficientScope`](Self::InsufficientScope) is `403 insufficient_scope`,
/// everything else is `401 invalid_token`.
///
/// `Display` gives a precise reason for logs. It is not meant for the HTTP
/// response: use [`www_authenticate`](Self::www_authenticate), which only
/// says as much as a client needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// Not a JWS in compact serialization, or a part is not valid
    /// base64url/JSON, or the token is longer than the configured maximum.
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    /// `alg` is `none` or an HMAC algorithm; never accepted (RFC 8725 §3.1).
    #[error("forbidden algorithm {0:?}")]
    ForbiddenAlgorithm(String),
    /// `alg` is not an algorithm this crate verifies.
    #[error("unsupported algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// The header has a member that is refused: `crit`, `b64`, or (with the
    /// default [`KeyUrlHeaders::Reject`](crate::KeyUrlHeaders::Reject)
    /// policy) `jku`, `x5u`, `jwk`, `x5c`.
    #[error("disallowed header parameter {0:?}")]
    DisallowedHeader(&'static str),
    /// `typ` is missing or not one of the expected types (e.g. an ID token,
    /// `typ: JWT`, presented as an access token).
    #[error("unexpected token type {found:?}")]
    InvalidType {
        /// The `typ` found, if any.
        found: Option<String>,
    },
    /// No key in the set has the token's `kid`. With a JWKS cache, this is
    /// the one error that may justify refreshing the set.
    #[error("no key with kid {kid:?}")]
    UnknownKey {
        /// The `kid` of the token.
        kid: String,
    },
    /// The token has no `kid` and the key set does not hold exactly one key.
    #[error("token has no kid and the key set does not hold exactly one key")]
    MissingKeyId,
    /// The token's `alg` is not the algorithm its key is bound to.
    #[error("token alg {token} does not match the key's alg {key}")]
    AlgorithmMismatch {
        /// `alg` of the token.
        token: Algorithm,
        /// Algorithm the selected key is bound to.
        key: Algorithm,
    },
    /// The signature does not verify.
    #[error("invalid signature")]
    InvalidSignature,
    /// `iss` is not the configured issuer.
    #[error("unexpected issuer")]
    InvalidIssuer,
    /// `aud` does not contain the configured audience.
    #[error("unexpected audience")]
    InvalidAudience,
    /// `exp` is in the past (beyond the leeway).
    #[error("token expired")]
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    #[error("token not yet valid")]
    NotYetValid,
    /// `iat` is in the future (beyond the leeway).
    #[error("token issued in the future")]
    IssuedInFuture,
    /// A required claim is absent.
    #[error("missing claim {0:?}")]
    MissingClaim(String),
    /// A claim has the wrong JSON type.
    #[error("invalid claim {0:?}")]
    InvalidClaim(&'static str),
    /// The token is valid but lacks scopes the resource requires.
    #[error("insufficient scope, missing {missing:?}")]
    InsufficientScope {
        /// All the scopes the resource requires (sent back in the challenge).
        required: Vec<String>,
        /// The required scopes the token does not have.
        missing: Vec<String>,
    },
}

/// RFC 6750 §3.1 error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// `invalid_request` (HTTP 400): malformed request, e.g. two tokens.
    InvalidRequest,
    /// `invalid_token` (HTTP 401).
    InvalidToken,
    /// `insufficient_scope` (HTTP 403).
    InsufficientScope,
}

impl ErrorCode {
    /// The code as sent in `WWW-Authenticate`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::InsufficientScope => "insufficient_scope",
        }
    }

    /// The HTTP status RFC 6750 pairs with the code.
    pub fn status_code(self) -> u16 {
        match self {
            ErrorCode::InvalidRequest => 400,
            ErrorCode::InvalidToken => 401,
            ErrorCode::InsufficientScope => 403,
        }
    }
}

impl ValidationError {
    /// The RFC 6750 error code.
    pub fn code(&self) -> ErrorCode {
        match self {
            ValidationError::InsufficientScope { .. } => ErrorCode::InsufficientScope,
            _ => ErrorCode::InvalidToken,
        }
    }

    /// The RFC 6750 error code string: `"invalid_token"` or
    /// `"insufficient_scope"`.
    pub fn error_code(&self) -> &'static str {
        self.code().as_str()
    }

    /// The HTTP status to answer with: 401, or 403 for insufficient scope.
    pub fn status_code(&self) -> u16 {
        self.code().status_code()
    }

    /// `true` for [`ValidationError::UnknownKey`]: a JWKS cache may refetch
    /// the key set (rate-limited) and retry once.
    pub fn is_unknown_key(&self) -> bool {
        matches!(self, ValidationError::UnknownKey { .. })
    }

    /// A short, client-safe `error_description`: deliberately coarse
    /// (expired / not yet valid / invalid / insufficient scope) so the
    /// response does not tell an attacker which check failed.
    pub fn description(&self) -> &'static str {
        match self {
            ValidationError::Expired => "The access token expired",
            ValidationError::NotYetValid | ValidationError::IssuedInFuture => {
                "The access token is not yet valid"
            }
            ValidationError::InsufficientScope { .. } => {
                "The access token does not have the required scope"
            }
            _ => "The access token is invalid",
        }
    }

    /// A value for the `WWW-Authenticate` response header (RFC 6750 §3).
    ///
    /// The description is deliberately coarse (expired / not yet valid /
    /// invalid / insufficient scope) so the response does not tell an
    /// attacker which check failed.
    ///
    /// ```
    /// use connectauth_verify::ValidationError;
    /// assert_eq!(
    ///     ValidationError::Expired.www_authenticate(Some("api")),
    ///     r#"Bearer realm="api", error="invalid_token", error_description="The access token expired""#
    /// );
    /// ```
    pub fn www_authenticate(&self, realm: Option<&str>) -> String {
        let mut challenge = BearerChallenge::new().error(self.code());
        if let Some(realm) = realm {
            challenge = challenge.realm(realm);
        }
        challenge = challenge.description(self.description());
        if let ValidationError::InsufficientScope { required, .. } = self {
            challenge = challenge.scope(required.iter().map(String::as_str));
        }
        challenge.to_header_value()
    }
}

/// Builder for an RFC 6750 `WWW-Authenticate: Bearer ...` header value.
///
/// Use it directly for the "no token" case, where RFC 6750 §3.1 says the
/// challenge should carry no error code:
///
/// ```
/// use connectauth_verify::BearerChallenge;
/// assert_eq!(BearerChallenge::new().realm("api").to_header_value(), r#"Bearer realm="api""#);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BearerChallenge {
    realm: Option<String>,
    error: Option<ErrorCode>,
    description: Option<String>,
    scope: Option<String>,
}

impl BearerChallenge {
    /// An empty challenge (`Bearer`).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `realm`.
    #[must_use]
    pub fn realm(mut self, realm: &str) -> Self {
        self.realm = Some(realm.to_owned());
        self
    }

    /// Sets `error`.
    #[must_use]
    pub fn error(mut self, code: ErrorCode) -> Self {
        self.error = Some(code);
        self
    }

    /// Sets `error_description`.
    #[must_use]
    pub fn description(mut self, description: &str) -> Self {
        self.description = Some(description.to_owned());
        self
    }

    /// Sets `scope` to the space-separated scopes.
    #[must_use]
    pub fn scope<'a>(mut self, scopes: impl IntoIterator<Item = &'a str>) -> Self {
        let joined = scopes.into_iter().collect::<Vec<_>>().join(" ");
        self.scope = (!joined.is_empty()).then_some(joined);
        self
    }

    /// Renders the header value. Attribute values are quoted strings; `"`
    /// and `\` are escaped and characters outside printable ASCII (including
    /// CR/LF) are dropped, so the result is always a safe header value.
    pub fn to_header_value(&self) -> String {
        let mut attrs: Vec<String> = Vec::new();
        let mut push = |name: &str, value: &str| attrs.push(format!("{name}=\"{}\"", quote(value)));
        if let Some(realm) = &self.realm {
            push("realm", realm);
        }
        if let Some(error) = self.error {
            push("error", error.as_str());
        }
        if let Some(description) = &self.description {
            push("error_description", description);
        }
        if let Some(scope) = &self.scope {
            push("scope", scope);
        }
        if attrs.is_empty() {
            "Bearer".to_owned()
        } else {
            format!("Bearer {}", attrs.join(", "))
        }
    }
}

fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => {}
        }
    }
    out
}

/// Why a [`ValidationConfig`](crate::ValidationConfig) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `issuer` is empty.
    #[error("issuer must not be empty")]
    EmptyIssuer,
    /// `audience` is empty.
    #[error("audience must not be empty")]
    EmptyAudience,
    /// `required_typ` is empty or holds an empty string.
    #[error("required_typ must list at least one non-empty type")]
    NoExpectedType,
    /// `leeway` exceeds [`MAX_LEEWAY`](crate::MAX_LEEWAY).
    #[error("leeway must not exceed {max_secs} s")]
    LeewayTooLarge {
        /// The maximum, in seconds.
        max_secs: u64,
    },
    /// A required scope is empty or contains characters RFC 6749 §3.3 does
    /// not allow in a scope token (e.g. a space).
    #[error("invalid scope token {0:?}")]
    InvalidScope(String),
    /// A required claim name is empty.
    #[error("required claim names must not be empty")]
    EmptyClaimName,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_statuses() {
        assert_eq!(
            ValidationError::InvalidSignature.error_code(),
            "invalid_token"
        );
        assert_eq!(ValidationError::InvalidSignature.status_code(), 401);
        let e = ValidationError::InsufficientScope {
            required: vec!["a".into(), "b".into()],
            missing: vec!["b".into()],
        };
        assert_eq!(e.error_code(), "insufficient_scope");
        assert_eq!(e.status_code(), 403);
        assert_eq!(
            e.www_authenticate(None),
            r#"Bearer error="insufficient_scope", error_description="The access token does not have the required scope", scope="a b""#
        );
    }

    #[test]
    fn challenge_escapes_values() {
        let v = BearerChallenge::new()
            .realm("a\"b\\c\r\nd\u{e9}")
            .to_header_value();
        assert_eq!(v, r#"Bearer realm="a\"b\\cd""#);
        assert_eq!(BearerChallenge::new().to_header_value(), "Bearer");
        assert_eq!(BearerChallenge::new().scope([]).to_header_value(), "Bearer");
    }

    #[test]
    fn description_is_coarse() {
        let v = ValidationError::InvalidSignature.www_authenticate(None);
        assert_eq!(
            v,
            r#"Bearer error="invalid_token", error_description="The access token is invalid""#
        );
    }
}
