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
    kind: BearerErrorKind,
    realm: Option<String>,
    render: Option<RenderBearerError>,
}

/// What a [`BearerError`] is, for a [`RenderBearerError`] hook that answers
/// in the app's own format.
#[derive(Debug)]
pub enum BearerErrorKind {
    /// No bearer token: no `Authorization` header, or another scheme.
    MissingToken,
    /// A malformed `Authorization` header; the text says how (for logs).
    InvalidRequest(&'static str),
    /// The verifier refused the token, or could not check it.
    Verify(VerifyError),
    /// Neither a `Verifier` nor a `LazyVerifier` is in the app data.
    NotConfigured,
}

impl BearerError {
    /// No bearer token: 401 with a challenge without error code.
    pub fn missing_token(realm: Option<&str>) -> BearerError {
        BearerError::new(BearerErrorKind::MissingToken, realm)
    }

    /// A malformed `Authorization` header: 400 `invalid_request`.
    pub fn invalid_request(description: &'static str, realm: Option<&str>) -> BearerError {
        BearerError::new(BearerErrorKind::InvalidRequest(description), realm)
    }

    /// A token refused by the [`Verifier`](crate::Verifier): 401, 403 or
    /// 503 as [`VerifyError::status_code`] says.
    pub fn from_verify(error: VerifyError, realm: Option<&str>) -> BearerError {
        BearerError::new(BearerErrorKind::Verify(error), realm)
    }

    /// The app has no `web::Data<Verifier>`: 500 (a deployment bug).
    pub(crate) fn not_configured() -> BearerError {
        BearerError::new(BearerErrorKind::NotConfigured, None)
    }

    fn new(kind: BearerErrorKind, realm: Option<&str>) -> BearerError {
        BearerError {
            kind,
            realm: realm.map(str::to_owned),
            render: None,
        }
    }

    /// Answered by `hook` instead of the RFC 6750 JSON body. The extractor
    /// and [`RequireScopes`](super::RequireScopes) set the hook of the app
    /// data; an error made in a handler has none until given one here.
    #[must_use]
    pub fn rendered_by(mut self, hook: RenderBearerError) -> BearerError {
        self.render = Some(hook);
        self
    }

    /// The RFC 6750 status: 401, 400 for a malformed header, 403, 503, or
    /// 500 when no verifier is registered. (A [`RenderBearerError`] hook
    /// reads this one: `ResponseError::status_code` asks the hook.)
    pub fn status(&self) -> StatusCode {
        match &self.kind {
            BearerErrorKind::MissingToken => StatusCode::UNAUTHORIZED,
            BearerErrorKind::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            BearerErrorKind::Verify(e) => {
                StatusCode::from_u16(e.status_code()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE)
            }
            BearerErrorKind::NotConfigured => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> &BearerErrorKind {
        &self.kind
    }

    /// The verification error, when a token was refused.
    pub fn verify_error(&self) -> Option<&VerifyError> {
        match &self.kind {
            BearerErrorKind::Verify(e) => Some(e),
            _ => None,
        }
    }

    /// The `error` of the JSON body: the RFC 6750 code when there is one.
    pub fn error_code(&self) -> &'static str {
        match &self.kind {
            BearerErrorKind::MissingToken => "unauthorized",
            BearerErrorKind::InvalidRequest(_) => ErrorCode::InvalidRequest.as_str(),
            BearerErrorKind::Verify(e) => e
                .code()
                .map_or("temporarily_unavailable", ErrorCode::as_str),
            BearerErrorKind::NotConfigured => "server_error",
        }
    }

    /// The `error_description` of the body and challenge.
    pub fn description(&self) -> &'static str {
        match &self.kind {
            BearerErrorKind::MissingToken => "A bearer access token is required",
            BearerErrorKind::InvalidRequest(d) => d,
            BearerErrorKind::Verify(e) => e.description(),
            BearerErrorKind::NotConfigured => "The server cannot check access tokens",
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
            BearerErrorKind::MissingToken => Some(challenge().to_header_value()),
            BearerErrorKind::InvalidRequest(d) => Some(
                challenge()
                    .error(ErrorCode::InvalidRequest)
                    .description(d)
                    .to_header_value(),
            ),
            BearerErrorKind::Verify(e) => e.www_authenticate(realm),
            BearerErrorKind::NotConfigured => None,
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
            BearerErrorKind::MissingToken => f.write_str("no bearer token in the request"),
            BearerErrorKind::InvalidRequest(d) => write!(f, "malformed Authorization header: {d}"),
            BearerErrorKind::Verify(e) => fmt::Display::fmt(e, f),
            BearerErrorKind::NotConfigured => f.write_str(
                "no web::Data<Verifier> or web::Data<LazyVerifier> registered: use App::new().app_data(web::Data::new(verifier))",
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
    /// The hook's status if one renders this error, else [`BearerError::status`].
    fn status_code(&self) -> StatusCode {
        match self.render {
            Some(RenderBearerError(render)) => render(self).status(),
            None => self.status(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Some(RenderBearerError(render)) = self.render {
            return render(self);
        }
        let mut response = HttpResponse::build(self.status());
        if let Some(challenge) = self.www_authenticate() {
            response.insert_header((WWW_AUTHENTICATE, challenge));
        }
        response.json(json!({
            "error": self.error_code(),
            "error_description": self.description(),
        }))
    }
}

/// An app's own answer to a [`BearerError`], e.g. an `application/problem+json`
/// body like its other errors. Register it as app data
/// (`App::new().app_data(RenderBearerError(my_render))`): the extractor and
/// [`RequireScopes`](super::RequireScopes) then answer every refusal with
/// it. Status and headers are the hook's to choose; [`BearerError::kind`],
/// [`BearerError::www_authenticate`] and the like say what to answer.
#[derive(Debug, Clone, Copy)]
pub struct RenderBearerError(pub fn(&BearerError) -> HttpResponse);

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

    #[test]
    fn a_hook_renders_and_sets_the_status() {
        fn teapot(_: &BearerError) -> HttpResponse {
            HttpResponse::build(StatusCode::IM_A_TEAPOT).finish()
        }
        let hooked = BearerError::missing_token(None).rendered_by(RenderBearerError(teapot));
        assert_eq!(hooked.status_code(), StatusCode::IM_A_TEAPOT);
        assert_eq!(hooked.error_response().status(), StatusCode::IM_A_TEAPOT);
        assert_eq!(hooked.status(), StatusCode::UNAUTHORIZED);
        assert!(matches!(hooked.kind(), BearerErrorKind::MissingToken));
    }
}
