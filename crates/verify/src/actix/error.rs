//! [`BearerError`]: RFC 6750 error responses.

use std::fmt;

use actix_web::http::header::WWW_AUTHENTICATE;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::error::{BearerChallenge, ErrorCode, ValidationError};
use crate::remote::VerifyError;

/// Why a request was not let through, rendered as an RFC 6750 response:
/// status, `WWW-Authenticate: Bearer …` challenge and a JSON body
/// `{"error", "error_description"}`.
///
/// Return it from a handler (`?` converts a [`VerifyError`] or a
/// [`ValidationError`] such as the one of
/// [`require_scopes`](crate::require_scopes)). `Display` is the precise
/// reason, for logs; the response only says what a client needs.
#[derive(Debug)]
pub struct BearerError {
    kind: Kind,
    realm: Option<String>,
}

#[derive(Debug)]
enum Kind {
    MissingToken,
    InvalidRequest(&'static str),
    Verify(VerifyError),
    NotConfigured,
}

impl BearerError {
    /// No bearer token: 401 with a challenge without error code.
    pub fn missing_token(realm: Option<&str>) -> BearerError {
        BearerError::new(Kind::MissingToken, realm)
    }

    /// A malformed `Authorization` header: 400 `invalid_request`.
    pub fn invalid_request(description: &'static str, realm: Option<&str>) -> BearerError {
        BearerError::new(Kind::InvalidRequest(description), realm)
    }

    /// A token refused by the [`Verifier`](crate::Verifier): 401, 403 or
    /// 503 as [`VerifyError::status_code`] says.
    pub fn from_verify(error: VerifyError, realm: Option<&str>) -> BearerError {
        BearerError::new(Kind::Verify(error), realm)
    }

    /// The app has no `web::Data<Verifier>`: 500 (a deployment bug).
    pub(crate) fn not_configured() -> BearerError {
        BearerError::new(Kind::NotConfigured, None)
    }

    fn new(kind: Kind, realm: Option<&str>) -> BearerError {
        BearerError {
            kind,
            realm: realm.map(str::to_owned),
        }
    }

    /// The verification error, when a token was refused.
    pub fn verify_error(&self) -> Option<&VerifyError> {
        match &self.kind {
            Kind::Verify(e) => Some(e),
            _ => None,
        }
    }

    /// The `error` of the JSON body: the RFC 6750 code when there is one.
    pub fn error_code(&self) -> &'static str {
        match &self.kind {
            Kind::MissingToken => "unauthorized",
            Kind::InvalidRequest(_) => ErrorCode::InvalidRequest.as_str(),
            Kind::Verify(e) => e
                .code()
                .map_or("temporarily_unavailable", ErrorCode::as_str),
            Kind::NotConfigured => "server_error",
        }
    }

    /// The `error_description` of the body and challenge.
    pub fn description(&self) -> &'static str {
        match &self.kind {
            Kind::MissingToken => "A bearer access token is required",
            Kind::InvalidRequest(d) => d,
            Kind::Verify(e) => e.description(),
            Kind::NotConfigured => "The server cannot check access tokens",
        }
    }

    /// The `WWW-Authenticate` value, if the response carries one (every
    /// 400, 401 and 403).
    pub fn www_authenticate(&self) -> Option<String> {
        let realm = self.realm.as_deref();
        let challenge = || {
            let c = BearerChallenge::new();
            match realm {
                Some(realm) => c.realm(realm),
                None => c,
            }
        };
        match &self.kind {
            Kind::MissingToken => Some(challenge().to_header_value()),
            Kind::InvalidRequest(d) => Some(
                challenge()
                    .error(ErrorCode::InvalidRequest)
                    .description(d)
                    .to_header_value(),
            ),
            Kind::Verify(e) => e.www_authenticate(realm),
            Kind::NotConfigured => None,
        }
    }
}

impl From<VerifyError> for BearerError {
    fn from(error: VerifyError) -> Self {
        BearerError::from_verify(error, None)
    }
}

impl From<ValidationError> for BearerError {
    fn from(error: ValidationError) -> Self {
        BearerError::from_verify(error.into(), None)
    }
}

impl fmt::Display for BearerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::MissingToken => f.write_str("no bearer token in the request"),
            Kind::InvalidRequest(d) => write!(f, "malformed Authorization header: {d}"),
            Kind::Verify(e) => fmt::Display::fmt(e, f),
            Kind::NotConfigured => f.write_str(
                "no web::Data<Verifier> registered: use App::new().app_data(web::Data::new(verifier))",
            ),
        }
    }
}

impl std::error::Error for BearerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.verify_error()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl ResponseError for BearerError {
    fn status_code(&self) -> StatusCode {
        match &self.kind {
            Kind::MissingToken => StatusCode::UNAUTHORIZED,
            Kind::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            Kind::Verify(e) => {
                StatusCode::from_u16(e.status_code()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE)
            }
            Kind::NotConfigured => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        if let Some(challenge) = self.www_authenticate() {
            response.insert_header((WWW_AUTHENTICATE, challenge));
        }
        response.json(json!({
            "error": self.error_code(),
            "error_description": self.description(),
        }))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::remote::RemoteError;

    #[test]
    fn statuses_and_challenges() {
        let missing = BearerError::missing_token(Some("api"));
        assert_eq!(missing.status_code(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            missing.www_authenticate().as_deref(),
            Some(r#"Bearer realm="api""#)
        );

        let bad = BearerError::invalid_request("Bearer needs a token", Some("api"));
        assert_eq!(bad.status_code(), StatusCode::BAD_REQUEST);
        assert_eq!(
            bad.www_authenticate().as_deref(),
            Some(
                r#"Bearer realm="api", error="invalid_request", error_description="Bearer needs a token""#
            )
        );

        let scope: BearerError = ValidationError::InsufficientScope {
            required: vec!["a".into(), "b".into()],
            missing: vec!["b".into()],
        }
        .into();
        assert_eq!(scope.status_code(), StatusCode::FORBIDDEN);
        assert_eq!(scope.error_code(), "insufficient_scope");
        assert!(scope
            .www_authenticate()
            .unwrap()
            .ends_with(r#"scope="a b""#));

        let down = BearerError::from_verify(
            VerifyError::KeysUnavailable(RemoteError::InvalidConfig("x")),
            Some("api"),
        );
        assert_eq!(down.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(down.www_authenticate(), None);
        assert_eq!(down.error_code(), "temporarily_unavailable");

        let unset = BearerError::not_configured();
        assert_eq!(unset.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(unset.to_string().contains("app_data"));
    }
}
