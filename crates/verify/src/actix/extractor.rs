//! [`AuthenticatedUser`]: the caller of a request, from its bearer token.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use serde_json::Value;

use super::error::{BearerError, RenderBearerError};
use crate::claims::{require_scopes, Claims};
use crate::remote::{LazyVerifier, Verifier, VerifyError};

/// The caller of a request, whose bearer access token the app's
/// [`Verifier`] accepted.
///
/// Extracting it reads `web::Data<Verifier>` from the app data (register it
/// with `App::new().app_data(web::Data::new(verifier))`), takes the token
/// from `Authorization: Bearer …` (RFC 6750 §2.1; never from the query or
/// body) and verifies it. On failure the handler is not called and the
/// client gets the [`BearerError`] response. Behind [`RequireScopes`](super::RequireScopes)
/// the claims it already verified are reused.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthenticatedUser {
    /// The verified claims.
    pub claims: Claims,
}

/// Claims verified earlier in the same request (by `RequireScopes`).
#[derive(Clone)]
pub(crate) struct Verified(pub(crate) Claims);

impl AuthenticatedUser {
    /// `sub`: the user, or the client for client-credentials tokens.
    pub fn subject(&self) -> Option<&str> {
        self.claims.sub.as_deref()
    }

    /// `iss`.
    pub fn issuer(&self) -> &str {
        &self.claims.iss
    }

    /// The tenant, from the `tid` claim, when the issuer sets it (as
    /// ConnectAuth does).
    pub fn tenant(&self) -> Option<&str> {
        self.claims.get("tid").and_then(Value::as_str)
    }

    /// `client_id`: the OAuth client the token was issued to.
    pub fn client_id(&self) -> Option<&str> {
        self.claims.client_id.as_deref()
    }

    /// `true` if the token was granted `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.claims.has_scope(scope)
    }

    /// Checks that the token has every scope in `scopes`.
    ///
    /// # Errors
    ///
    /// A 403 `insufficient_scope` [`BearerError`] whose challenge lists
    /// `scopes`.
    pub fn require_scopes(&self, scopes: &[&str]) -> Result<(), BearerError> {
        Ok(require_scopes(&self.claims, scopes)?)
    }
}

impl FromRequest for AuthenticatedUser {
    type Error = BearerError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(&req).await })
    }
}

/// The app's verifier: a [`Verifier`], or a [`LazyVerifier`] not yet built.
pub(crate) enum AppVerifier {
    Ready(web::Data<Verifier>),
    Lazy(web::Data<LazyVerifier>),
}

impl AppVerifier {
    pub(crate) fn of(req: &HttpRequest) -> Option<AppVerifier> {
        match req.app_data::<web::Data<Verifier>>() {
            Some(ready) => Some(AppVerifier::Ready(ready.clone())),
            None => req
                .app_data::<web::Data<LazyVerifier>>()
                .map(|lazy| AppVerifier::Lazy(lazy.clone())),
        }
    }

    pub(crate) fn realm(&self) -> &str {
        match self {
            AppVerifier::Ready(v) => v.realm(),
            AppVerifier::Lazy(v) => v.realm(),
        }
    }

    async fn verify(&self, token: &str) -> Result<Claims, VerifyError> {
        match self {
            AppVerifier::Ready(v) => v.verify(token).await,
            AppVerifier::Lazy(v) => v.verify(token).await,
        }
    }
}

/// `error`, answered by the app's [`RenderBearerError`] if it registered one.
pub(crate) fn in_app_format(req: &HttpRequest, error: BearerError) -> BearerError {
    match req.app_data::<RenderBearerError>() {
        Some(hook) => error.rendered_by(*hook),
        None => error,
    }
}

/// Verifies the bearer token of `req` (or reuses claims already verified).
pub(crate) async fn authenticate(req: &HttpRequest) -> Result<AuthenticatedUser, BearerError> {
    check(req).await.map_err(|e| in_app_format(req, e))
}

async fn check(req: &HttpRequest) -> Result<AuthenticatedUser, BearerError> {
    let verified = req.extensions().get::<Verified>().cloned();
    if let Some(Verified(claims)) = verified {
        return Ok(AuthenticatedUser { claims });
    }
    let Some(verifier) = AppVerifier::of(req) else {
        tracing::error!(
            "AuthenticatedUser: no web::Data<Verifier> or <LazyVerifier> in the app data"
        );
        return Err(BearerError::not_configured());
    };
    let realm = Some(verifier.realm());
    let token = match bearer_token(req) {
        Ok(token) => token,
        Err(Problem::Missing) => return Err(BearerError::missing_token(realm)),
        Err(Problem::Malformed(d)) => return Err(BearerError::invalid_request(d, realm)),
    };
    match verifier.verify(token).await {
        Ok(claims) => Ok(AuthenticatedUser { claims }),
        Err(error) => {
            if error.status_code() == 503 {
                tracing::warn!(%error, "access token could not be checked");
            } else {
                tracing::debug!(%error, "access token refused");
            }
            Err(BearerError::from_verify(error, realm))
        }
    }
}

#[derive(Debug, PartialEq)]
enum Problem {
    /// No credentials, or another scheme: RFC 6750 §3.1 wants a bare
    /// challenge.
    Missing,
    Malformed(&'static str),
}

/// The token of `Authorization: Bearer <token>` (scheme case-insensitive,
/// RFC 7235 §2.1).
fn bearer_token(req: &HttpRequest) -> Result<&str, Problem> {
    let mut values = req.headers().get_all(AUTHORIZATION);
    let Some(value) = values.next() else {
        return Err(Problem::Missing);
    };
    if values.next().is_some() {
        return Err(Problem::Malformed("More than one Authorization header"));
    }
    let value = value
        .to_str()
        .map_err(|_| Problem::Malformed("The Authorization header is not ASCII"))?;
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Problem::Missing);
    }
    let token = rest.trim_matches(' ');
    if token.is_empty() || token.contains(' ') {
        return Err(Problem::Malformed(
            "The Authorization header must be \"Bearer <token>\"",
        ));
    }
    Ok(token)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn parse(values: &[&str]) -> Result<String, Problem> {
        let mut req = TestRequest::default();
        for v in values {
            req = req.append_header((AUTHORIZATION, *v));
        }
        bearer_token(&req.to_http_request()).map(str::to_owned)
    }

    #[test]
    fn bearer_header_parsing() {
        assert_eq!(parse(&["Bearer abc.def.ghi"]), Ok("abc.def.ghi".into()));
        assert_eq!(parse(&["bearer  abc "]), Ok("abc".into()));
        assert_eq!(parse(&["BEARER abc"]), Ok("abc".into()));
        assert_eq!(parse(&[]), Err(Problem::Missing));
        assert_eq!(parse(&["Basic dXNlcjpwdw=="]), Err(Problem::Missing));
        assert_eq!(parse(&["Bearerabc"]), Err(Problem::Missing));
        assert!(matches!(parse(&["Bearer"]), Err(Problem::Malformed(_))));
        assert!(matches!(parse(&["Bearer  "]), Err(Problem::Malformed(_))));
        assert!(matches!(parse(&["Bearer a b"]), Err(Problem::Malformed(_))));
        assert!(matches!(
            parse(&["Bearer a", "Bearer b"]),
            Err(Problem::Malformed(_))
        ));
    }

    #[test]
    fn accessors() {
        let raw = serde_json::json!({"iss": "https://i", "aud": "a", "exp": 1, "sub": "u",
            "client_id": "c", "scope": "read write", "tid": "t-1"});
        let claims = Claims::from_payload(raw.as_object().unwrap().clone()).unwrap();
        let user = AuthenticatedUser { claims };
        assert_eq!(user.subject(), Some("u"));
        assert_eq!(user.issuer(), "https://i");
        assert_eq!(user.tenant(), Some("t-1"));
        assert_eq!(user.client_id(), Some("c"));
        assert!(user.has_scope("write"));
        assert!(user.require_scopes(&["read", "write"]).is_ok());
        let err = user.require_scopes(&["admin"]).unwrap_err();
        assert_eq!(
            actix_web::ResponseError::status_code(&err),
            actix_web::http::StatusCode::FORBIDDEN
        );
    }
}
