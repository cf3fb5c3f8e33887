//! The one place where an error becomes an HTTP status.
//!
//! Every error a client can see has a [`Code`]: one line in the table below
//! gives its status, its stable machine name (the problem `type`) and its
//! title. Responses are RFC 9457 `application/problem+json`.
use std::fmt;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// Every client-visible error of every service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    BadRequest,
    InvalidInput,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    TenantNotFound,
    TenantSlugTaken,
    TenantDisabled,
    TenantReserved,
    ClientNotFound,
    ClientHasNoSecret,
    OwnerNotSignedUp,
    EmailAlreadyVerified,
    LastOwner,
    ProviderSlugTaken,
    KeyTooYoung,
    KeyRevoked,
    InvalidToken,
    InsufficientScope,
    PersonNotFound,
    ConnectionNotFound,
    ConnectionExists,
    ConnectionNotPending,
    SelfConnection,
    BillingNotConfigured,
    PlanNotPurchasable,
    NoSubscription,
    PaymentProvider,
    WebhookSignature,
    QuotaExceeded,
    PayloadTooLarge,
    UnsupportedMediaType,
    TooManyRequests,
    ServiceUnavailable,
    Internal,
}

impl Code {
    /// (status, stable name, title): the table. No wildcard arm, on purpose.
    fn row(self) -> (StatusCode, &'static str, &'static str) {
        use StatusCode as S;
        match self {
            Code::BadRequest => (S::BAD_REQUEST, "bad-request", "The request is malformed"),
            Code::InvalidInput => (
                S::UNPROCESSABLE_ENTITY,
                "invalid-input",
                "A field is invalid",
            ),
            Code::Unauthorized => (
                S::UNAUTHORIZED,
                "unauthorized",
                "Authentication is required",
            ),
            Code::Forbidden => (S::FORBIDDEN, "forbidden", "Not allowed"),
            Code::NotFound => (S::NOT_FOUND, "not-found", "No such resource"),
            Code::MethodNotAllowed => (
                S::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
            ),
            Code::TenantNotFound => (S::NOT_FOUND, "tenant-not-found", "No such tenant"),
            Code::TenantSlugTaken => (
                S::CONFLICT,
                "tenant-slug-taken",
                "The tenant slug is already taken",
            ),
            Code::TenantDisabled => (S::CONFLICT, "tenant-disabled", "The tenant is disabled"),
            Code::TenantReserved => (
                S::CONFLICT,
                "tenant-reserved",
                "The tenant is reserved to ConnectAuth itself",
            ),
            Code::ClientNotFound => (S::NOT_FOUND, "client-not-found", "No such client"),
            Code::ClientHasNoSecret => (
                S::CONFLICT,
                "client-has-no-secret",
                "A public client has no secret",
            ),
            Code::OwnerNotSignedUp => (
                S::CONFLICT,
                "owner-not-signed-up",
                "The person has no platform account yet",
            ),
            Code::KeyTooYoung => (
                S::CONFLICT,
                "key-too-young",
                "The next signing key is too recent to sign yet",
            ),
            Code::KeyRevoked => (
                S::CONFLICT,
                "key-revoked",
                "The signing key is revoked already",
            ),
            Code::LastOwner => (
                S::CONFLICT,
                "last-owner",
                "A tenant keeps at least one owner",
            ),
            Code::ProviderSlugTaken => (
                S::CONFLICT,
                "provider-slug-taken",
                "The tenant has an upstream provider with this slug",
            ),
            Code::EmailAlreadyVerified => (
                S::CONFLICT,
                "email-already-verified",
                "The user's email address is already verified",
            ),
            Code::InvalidToken => (
                S::UNAUTHORIZED,
                "invalid-token",
                "The access token is invalid",
            ),
            Code::InsufficientScope => (
                S::FORBIDDEN,
                "insufficient-scope",
                "The access token lacks a required scope",
            ),
            Code::PersonNotFound => (S::NOT_FOUND, "person-not-found", "No such person"),
            Code::ConnectionNotFound => {
                (S::NOT_FOUND, "connection-not-found", "No such connection")
            }
            Code::ConnectionExists => (
                S::CONFLICT,
                "connection-exists",
                "These people are already connected or asked to be",
            ),
            Code::ConnectionNotPending => (
                S::CONFLICT,
                "connection-not-pending",
                "The connection request was already answered",
            ),
            Code::SelfConnection => (
                S::UNPROCESSABLE_ENTITY,
                "self-connection",
                "A person cannot connect to themselves",
            ),
            Code::BillingNotConfigured => (
                S::CONFLICT,
                "billing-not-configured",
                "Billing is not configured",
            ),
            Code::PlanNotPurchasable => (
                S::UNPROCESSABLE_ENTITY,
                "plan-not-purchasable",
                "This plan cannot be bought online",
            ),
            Code::NoSubscription => (
                S::CONFLICT,
                "no-subscription",
                "The tenant has no paid subscription",
            ),
            Code::PaymentProvider => (
                S::BAD_GATEWAY,
                "payment-provider",
                "The payment provider refused or failed",
            ),
            Code::WebhookSignature => (
                S::BAD_REQUEST,
                "webhook-signature",
                "The webhook signature does not verify",
            ),
            Code::QuotaExceeded => (
                S::FORBIDDEN,
                "quota-exceeded",
                "The tenant is over its monthly active user limit",
            ),
            Code::PayloadTooLarge => (
                S::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "The request body is too large",
            ),
            Code::UnsupportedMediaType => (
                S::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported content type",
            ),
            Code::TooManyRequests => (
                S::TOO_MANY_REQUESTS,
                "too-many-requests",
                "Too many requests",
            ),
            Code::ServiceUnavailable => (
                S::SERVICE_UNAVAILABLE,
                "service-unavailable",
                "Temporarily unavailable",
            ),
            Code::Internal => (S::INTERNAL_SERVER_ERROR, "internal", "Internal error"),
        }
    }

    pub fn status(self) -> StatusCode {
        self.row().0
    }

    pub fn name(self) -> &'static str {
        self.row().1
    }

    pub fn title(self) -> &'static str {
        self.row().2
    }

    /// The problem `type` URI: stable, so clients may match on it.
    pub fn type_uri(self) -> String {
        format!("urn:connectauth:problem:{}", self.name())
    }
}

/// An error on its way to the client.
#[derive(Debug)]
pub struct ApiError {
    code: Code,
    detail: String,
    retry_after: Option<u64>,
    /// A `WWW-Authenticate` value replacing the default one.
    challenge: Option<String>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// The `Retry-After` (seconds) of an answer refused because the database
/// does not answer, as `/readyz` says it.
pub const DATABASE_RETRY_AFTER_SECS: u64 = 5;

impl ApiError {
    pub fn new(code: Code, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
            retry_after: None,
            challenge: None,
            source: None,
        }
    }

    /// An unexpected failure: the client sees a generic message, the log the
    /// cause. When the cause is the database not answering
    /// ([`crate::db::is_unavailable`]), a 503 with `Retry-After` instead:
    /// the request was fine and may be sent again shortly.
    pub fn internal(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        if crate::db::is_unavailable(&source) {
            tracing::warn!(cause = %source, "the database does not answer");
            return Self {
                source: Some(Box::new(source)),
                ..Self::unavailable(
                    "The database does not answer; try again shortly.",
                    DATABASE_RETRY_AFTER_SECS,
                )
            };
        }
        Self {
            code: Code::Internal,
            detail: "An unexpected error occurred; it has been logged.".into(),
            retry_after: None,
            challenge: None,
            source: Some(Box::new(source)),
        }
    }

    pub fn unavailable(detail: impl Into<String>, retry_after_secs: u64) -> Self {
        Self {
            retry_after: Some(retry_after_secs),
            ..Self::new(Code::ServiceUnavailable, detail)
        }
    }

    /// Asks the client to wait `secs` before trying again (`Retry-After`).
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// Answers with this `WWW-Authenticate` challenge (RFC 6750 §3), e.g. for
    /// a valid token this API still refuses.
    pub fn with_challenge(mut self, challenge: impl Into<String>) -> Self {
        self.challenge = Some(challenge.into());
        self
    }

    pub fn code(&self) -> Code {
        self.code
    }

    pub fn detail(&self) -> &str {
        &self.detail
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.name(), self.detail)
    }
}

impl std::error::Error for ApiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[derive(Serialize)]
struct ProblemBody<'a> {
    #[serde(rename = "type")]
    type_: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    code: &'a str,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        if self.code == Code::Internal {
            tracing::error!(error = %self, cause = ?self.source, "request failed");
        }
        let mut res = problem_response(self.code, &self.detail, self.retry_after);
        if let Some(value) = self
            .challenge
            .as_deref()
            .and_then(|c| HeaderValue::from_str(c).ok())
        {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, value);
        }
        res
    }
}

/// Builds the problem+json response for `code`.
pub fn problem_response(code: Code, detail: &str, retry_after: Option<u64>) -> HttpResponse {
    let body = ProblemBody {
        type_: code.type_uri(),
        title: code.title(),
        status: code.status().as_u16(),
        detail,
        code: code.name(),
    };
    let mut resp = HttpResponse::build(code.status());
    resp.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
    if let Some(secs) = retry_after {
        resp.insert_header((header::RETRY_AFTER, secs.to_string()));
    }
    if code == Code::Unauthorized {
        resp.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
    }
    resp.body(serde_json::to_string(&body).unwrap_or_default())
}

/// A page size out of bounds in a list query.
impl From<crate::paging::PageSizeError> for ApiError {
    fn from(e: crate::paging::PageSizeError) -> Self {
        ApiError::new(Code::InvalidInput, e.to_string())
    }
}

/// A month not written `YYYY-MM` in a path or query.
impl From<crate::month::BadMonth> for ApiError {
    fn from(e: crate::month::BadMonth) -> Self {
        ApiError::new(Code::InvalidInput, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Code; 32] = [
        Code::BadRequest,
        Code::InvalidInput,
        Code::Unauthorized,
        Code::Forbidden,
        Code::NotFound,
        Code::MethodNotAllowed,
        Code::TenantNotFound,
        Code::TenantSlugTaken,
        Code::TenantDisabled,
        Code::TenantReserved,
        Code::ClientNotFound,
        Code::ClientHasNoSecret,
        Code::OwnerNotSignedUp,
        Code::KeyRevoked,
        Code::InvalidToken,
        Code::InsufficientScope,
        Code::PersonNotFound,
        Code::ConnectionNotFound,
        Code::ConnectionExists,
        Code::ConnectionNotPending,
        Code::SelfConnection,
        Code::BillingNotConfigured,
        Code::PlanNotPurchasable,
        Code::NoSubscription,
        Code::PaymentProvider,
        Code::WebhookSignature,
        Code::QuotaExceeded,
        Code::PayloadTooLarge,
        Code::UnsupportedMediaType,
        Code::TooManyRequests,
        Code::ServiceUnavailable,
        Code::Internal,
    ];

    #[test]
    fn names_are_unique_and_stable() {
        let mut names: Vec<_> = ALL.iter().map(|c| c.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
        assert_eq!(
            Code::TenantSlugTaken.type_uri(),
            "urn:connectauth:problem:tenant-slug-taken"
        );
    }

    #[test]
    fn server_errors_are_ours_or_an_upstream_s() {
        for c in ALL {
            let server = c.status().is_server_error();
            assert_eq!(
                server,
                matches!(
                    c,
                    Code::Internal | Code::ServiceUnavailable | Code::PaymentProvider
                ),
                "{c:?}"
            );
        }
    }

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let e = ApiError::internal(std::io::Error::other("password=hunter2"));
        assert!(!e.detail().contains("hunter2"));
    }
}
