//! Auth-server errors to client codes. Statuses themselves live in
//! `service_kit::problem::Code`; this file only says which code each error is.
use service_kit::{ApiError, Code};

use crate::domain::client::ClientRuleError;
use crate::domain::display_name::DisplayNameError;
use crate::domain::security_report::DayError;
use crate::domain::tenant::TenantRuleError;
use crate::domain::tenant_settings::SettingsError;
use crate::identity::IdentityError;
use crate::keys::keyring::KeyringError;
use crate::manage::ManageError;
use crate::oauth::client_status::DisableClientError;
use crate::store::clients::ClientStoreError;
use crate::store::StoreError;

impl From<TenantRuleError> for ApiError {
    fn from(e: TenantRuleError) -> Self {
        ApiError::new(Code::InvalidInput, e.to_string())
    }
}

/// A report's day: not a `YYYY-MM-DD` date is malformed, a date outside
/// the days a report covers breaks a rule.
impl From<DayError> for ApiError {
    fn from(e: DayError) -> Self {
        match e {
            DayError::Format => ApiError::new(Code::BadRequest, e.to_string()),
            DayError::OutOfRange => ApiError::new(Code::InvalidInput, e.to_string()),
        }
    }
}

impl From<KeyringError> for ApiError {
    fn from(e: KeyringError) -> Self {
        match e {
            KeyringError::KeyNotFound => ApiError::new(Code::NotFound, e.to_string()),
            KeyringError::AlreadyRevoked => ApiError::new(Code::KeyRevoked, e.to_string()),
            KeyringError::NotEnsured(_) => ApiError::new(Code::InvalidInput, e.to_string()),
            KeyringError::NextTooYoung {
                published_secs,
                max_age_secs,
                ..
            } => {
                let wait = u64::try_from((max_age_secs - published_secs).max(1)).unwrap_or(1);
                ApiError::new(Code::KeyTooYoung, e.to_string()).with_retry_after(wait)
            }
            KeyringError::Conflict(_) => ApiError::unavailable(e.to_string(), 1),
            other => ApiError::internal(other),
        }
    }
}

impl From<SettingsError> for ApiError {
    fn from(e: SettingsError) -> Self {
        ApiError::new(Code::InvalidInput, e.to_string())
    }
}

impl From<DisplayNameError> for ApiError {
    fn from(e: DisplayNameError) -> Self {
        ApiError::new(Code::InvalidInput, e.to_string())
    }
}

impl From<ClientRuleError> for ApiError {
    fn from(e: ClientRuleError) -> Self {
        match e {
            // The client's kind, not the request, is the problem.
            ClientRuleError::NoSecret => ApiError::new(Code::ClientHasNoSecret, e.to_string()),
            _ => ApiError::new(Code::InvalidInput, e.to_string()),
        }
    }
}

impl From<ClientStoreError> for ApiError {
    fn from(e: ClientStoreError) -> Self {
        match e {
            ClientStoreError::NotFound => ApiError::new(Code::ClientNotFound, e.to_string()),
            ClientStoreError::TenantNotFound => ApiError::new(Code::TenantNotFound, e.to_string()),
            ClientStoreError::Rule(rule) => rule.into(),
            ClientStoreError::Contended => ApiError::unavailable(e.to_string(), 1),
            ClientStoreError::Random(_)
            | ClientStoreError::Database(_)
            | ClientStoreError::Corrupt(_) => ApiError::internal(e),
        }
    }
}

impl From<DisableClientError> for ApiError {
    fn from(e: DisableClientError) -> Self {
        match e {
            DisableClientError::Client(e) => e.into(),
            DisableClientError::Grants(e) => e.into(),
        }
    }
}

impl From<ManageError> for ApiError {
    fn from(e: ManageError) -> Self {
        match e {
            ManageError::Store(e) => e.into(),
            ManageError::Client(e) => e.into(),
            ManageError::DisableClient(e) => e.into(),
            ManageError::Keys(e) => ApiError::internal(e),
            ManageError::Random(e) => ApiError::internal(e),
            ManageError::Branding(e) => ApiError::new(Code::InvalidInput, e.to_string()),
            ManageError::Settings(e) => ApiError::new(Code::InvalidInput, e.to_string()),
            ManageError::AlreadyVerified => {
                ApiError::new(Code::EmailAlreadyVerified, e.to_string())
            }
            ManageError::Identity(IdentityError::Store(e)) => e.into(),
            ManageError::Identity(IdentityError::Busy { retry_after }) => {
                ApiError::unavailable("the server is busy", retry_after)
            }
            ManageError::Identity(e) => ApiError::internal(e),
            ManageError::NoScope => ApiError::new(Code::InvalidInput, e.to_string()),
            ManageError::Platform(_) => ApiError::internal(e),
            ManageError::Upstream(_) => ApiError::new(Code::InvalidInput, e.to_string()),
            ManageError::Webhook(_) => ApiError::new(Code::InvalidInput, e.to_string()),
            ManageError::WebhookSecret(_) => ApiError::internal(e),
            ManageError::SecretChangeCollided => ApiError::unavailable(e.to_string(), 1),
            ManageError::BlockOrder(_) => ApiError::new(Code::InvalidInput, e.to_string()),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::SlugTaken(_) => ApiError::new(Code::TenantSlugTaken, e.to_string()),
            StoreError::TenantNotFound => ApiError::new(Code::TenantNotFound, e.to_string()),
            StoreError::ReservedTenant => ApiError::new(Code::TenantReserved, e.to_string()),
            StoreError::EmailTaken | StoreError::UsernameTaken => {
                ApiError::new(Code::InvalidInput, e.to_string())
            }
            StoreError::UserNotFound => ApiError::new(Code::NotFound, e.to_string()),
            StoreError::LastOwner => ApiError::new(Code::LastOwner, e.to_string()),
            StoreError::ProviderSlugTaken => ApiError::new(Code::ProviderSlugTaken, e.to_string()),
            StoreError::ProviderNotFound
            | StoreError::PasskeyNotFound
            | StoreError::BlockNotFound
            | StoreError::WebhookNotFound
            | StoreError::DeliveryNotFound => ApiError::new(Code::NotFound, e.to_string()),
            StoreError::PasskeyTaken => ApiError::new(Code::InvalidInput, e.to_string()),
            StoreError::UpstreamIdentityTaken => ApiError::new(Code::InvalidInput, e.to_string()),
            StoreError::Contended => ApiError::unavailable(e.to_string(), 1),
            StoreError::Database(_) | StoreError::Corrupt(_) => ApiError::internal(e),
        }
    }
}

/// RFC 6749 §5.2 (and OIDC Core §3.1.2.6, RFC 6750 §3.1) error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    InvalidScope,
    /// RFC 8707 §2: a `resource` the client may not ask for.
    InvalidTarget,
    AccessDenied,
    LoginRequired,
    ConsentRequired,
    RequestNotSupported,
    RequestUriNotSupported,
    InvalidToken,
    InsufficientScope,
    ServerError,
    TemporarilyUnavailable,
}

impl OAuthCode {
    /// (wire name, status): the table. No wildcard arm, on purpose.
    fn row(self) -> (&'static str, actix_web::http::StatusCode) {
        use actix_web::http::StatusCode as S;
        match self {
            OAuthCode::InvalidRequest => ("invalid_request", S::BAD_REQUEST),
            OAuthCode::InvalidClient => ("invalid_client", S::UNAUTHORIZED),
            OAuthCode::InvalidGrant => ("invalid_grant", S::BAD_REQUEST),
            OAuthCode::UnauthorizedClient => ("unauthorized_client", S::BAD_REQUEST),
            OAuthCode::UnsupportedGrantType => ("unsupported_grant_type", S::BAD_REQUEST),
            OAuthCode::UnsupportedResponseType => ("unsupported_response_type", S::BAD_REQUEST),
            OAuthCode::InvalidScope => ("invalid_scope", S::BAD_REQUEST),
            OAuthCode::InvalidTarget => ("invalid_target", S::BAD_REQUEST),
            OAuthCode::AccessDenied => ("access_denied", S::FORBIDDEN),
            OAuthCode::LoginRequired => ("login_required", S::BAD_REQUEST),
            OAuthCode::ConsentRequired => ("consent_required", S::BAD_REQUEST),
            OAuthCode::RequestNotSupported => ("request_not_supported", S::BAD_REQUEST),
            OAuthCode::RequestUriNotSupported => ("request_uri_not_supported", S::BAD_REQUEST),
            OAuthCode::InvalidToken => ("invalid_token", S::UNAUTHORIZED),
            OAuthCode::InsufficientScope => ("insufficient_scope", S::FORBIDDEN),
            OAuthCode::ServerError => ("server_error", S::INTERNAL_SERVER_ERROR),
            OAuthCode::TemporarilyUnavailable => {
                ("temporarily_unavailable", S::SERVICE_UNAVAILABLE)
            }
        }
    }

    pub fn as_str(self) -> &'static str {
        self.row().0
    }
}

/// An error of an OAuth/OIDC endpoint, rendered as RFC 6749 JSON.
#[derive(Debug, thiserror::Error)]
#[error("{}: {description}", code.as_str())]
pub struct OAuthError {
    pub code: OAuthCode,
    pub description: String,
    /// Which `WWW-Authenticate` scheme to challenge with, if any.
    pub challenge: Option<Challenge>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    Basic,
    /// RFC 6750 §3, with the protected resource's `realm` (the tenant's issuer).
    Bearer {
        realm: String,
    },
}

impl OAuthError {
    pub fn new(code: OAuthCode, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
            challenge: None,
        }
    }

    pub fn with_challenge(mut self, challenge: Challenge) -> Self {
        self.challenge = Some(challenge);
        self
    }

    /// This error as the answer of a protected resource of `realm`: the RFC
    /// 6750 §3.1 codes carry the Bearer challenge, other errors none.
    pub fn at_resource(self, realm: &str) -> Self {
        if matches!(
            self.code,
            OAuthCode::InvalidRequest | OAuthCode::InvalidToken | OAuthCode::InsufficientScope
        ) {
            self.with_challenge(Challenge::Bearer {
                realm: realm.to_owned(),
            })
        } else {
            self
        }
    }

    /// An unexpected failure, logged; when its cause is the database not
    /// answering, `temporarily_unavailable` (503, `Retry-After`) instead:
    /// the request was fine and may be sent again shortly.
    pub fn server(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        let cause = cause.into();
        if service_kit::db::is_unavailable(cause.as_ref()) {
            tracing::warn!(cause = %cause, "oauth endpoint: the database does not answer");
            return Self::new(
                OAuthCode::TemporarilyUnavailable,
                "the database does not answer; try again shortly",
            );
        }
        tracing::error!(cause = %cause, "oauth endpoint failed");
        Self::new(OAuthCode::ServerError, "an unexpected error occurred")
    }
}

impl actix_web::ResponseError for OAuthError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        self.code.row().1
    }

    fn error_response(&self) -> actix_web::HttpResponse {
        use actix_web::http::header;
        let mut res = actix_web::HttpResponse::build(self.status_code());
        res.insert_header((header::CACHE_CONTROL, "no-store"));
        res.insert_header((header::PRAGMA, "no-cache"));
        if self.code == OAuthCode::TemporarilyUnavailable {
            res.insert_header((
                header::RETRY_AFTER,
                service_kit::problem::DATABASE_RETRY_AFTER_SECS.to_string(),
            ));
        }
        match &self.challenge {
            Some(Challenge::Basic) => {
                res.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"connectauth\""));
            }
            Some(Challenge::Bearer { realm }) => {
                res.insert_header((
                    header::WWW_AUTHENTICATE,
                    format!(
                        "Bearer realm=\"{}\", error=\"{}\", error_description=\"{}\"",
                        header_safe(realm),
                        self.code.as_str(),
                        header_safe(&self.description),
                    ),
                ));
            }
            None => {}
        }
        res.json(serde_json::json!({ "error": self.code.as_str(), "error_description": self.description }))
    }
}

/// A quoted-string value of a challenge: ours, but kept header-safe anyway.
fn header_safe(value: &str) -> String {
    value
        .chars()
        .filter(|c| *c != '"' && *c != '\\' && !c.is_control())
        .collect()
}

/// The answer of a protected resource of ours (userinfo), RFC 6750 §3.
#[derive(Debug, thiserror::Error)]
pub enum BearerError {
    /// §3.1: a request with no credentials at all gets a bare challenge,
    /// without an error code or other error information.
    #[error("no access token was presented")]
    Missing { realm: String },
    /// Any other refusal, with its code (see [`OAuthError::at_resource`]).
    #[error(transparent)]
    Refused(#[from] OAuthError),
}

impl actix_web::ResponseError for BearerError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        match self {
            BearerError::Missing { .. } => actix_web::http::StatusCode::UNAUTHORIZED,
            BearerError::Refused(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> actix_web::HttpResponse {
        use actix_web::http::header;
        match self {
            BearerError::Missing { realm } => actix_web::HttpResponse::build(self.status_code())
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .insert_header((
                    header::WWW_AUTHENTICATE,
                    format!("Bearer realm=\"{}\"", header_safe(realm)),
                ))
                .finish(),
            BearerError::Refused(e) => e.error_response(),
        }
    }
}

impl From<StoreError> for OAuthError {
    fn from(e: StoreError) -> Self {
        OAuthError::server(e)
    }
}

impl From<crate::dashboard::owners::OwnerError> for ApiError {
    fn from(e: crate::dashboard::owners::OwnerError) -> Self {
        use crate::dashboard::owners::OwnerError;
        match e {
            OwnerError::TenantNotFound => ApiError::new(Code::TenantNotFound, e.to_string()),
            OwnerError::NotAnOwner => ApiError::new(Code::NotFound, e.to_string()),
            // States of other resources a schema cannot describe: 409.
            OwnerError::PlatformTenant => ApiError::new(Code::TenantReserved, e.to_string()),
            OwnerError::UnknownUser(_) => ApiError::new(Code::OwnerNotSignedUp, e.to_string()),
            OwnerError::InvalidEmail(_) => ApiError::new(Code::InvalidInput, e.to_string()),
            OwnerError::LastOwner => ApiError::new(Code::LastOwner, e.to_string()),
            OwnerError::AlreadyMember(_) => ApiError::new(Code::InvalidInput, e.to_string()),
            OwnerError::InviteGone => ApiError::new(Code::NotFound, e.to_string()),
            OwnerError::InviteForSomeoneElse(_) => ApiError::new(Code::Forbidden, e.to_string()),
            OwnerError::Store(e) => e.into(),
            OwnerError::Mail => ApiError::unavailable(e.to_string(), 30),
            OwnerError::Platform(_) | OwnerError::Random(_) => ApiError::internal(e),
        }
    }
}
