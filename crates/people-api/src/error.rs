//! People-API errors to client codes. Statuses live in
//! `service_kit::problem::Code`; this file only says which code each error is.
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use service_kit::problem::problem_response;
use service_kit::{ApiError, Code};

use crate::domain::connection::ConnectionRuleError;
use crate::domain::page::PageSizeError;
use crate::domain::person::IdError;
use crate::domain::text::TextError;
use crate::store::StoreError;
use service_kit::bearer::BearerError;

/// What a handler fails with: a problem, or a refused token (whose answer
/// carries an RFC 6750 challenge).
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Bearer(#[from] BearerError),
    #[error("token refused: {0}")]
    NotAPerson(&'static str),
}

impl ResponseError for HttpError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Api(e) => e.status_code(),
            Self::Bearer(e) => e.status_code(),
            Self::NotAPerson(_) => Code::InvalidToken.status(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Api(e) => e.error_response(),
            Self::Bearer(e) => e.error_response(),
            Self::NotAPerson(why) => {
                tracing::info!(reason = why, "access token refused");
                let mut res = problem_response(
                    Code::InvalidToken,
                    "This API accepts only tokens issued to a person.",
                    None,
                );
                let challenge = crate::http::caller::not_a_person_challenge();
                if let Ok(value) = HeaderValue::from_str(&challenge) {
                    res.headers_mut().insert(header::WWW_AUTHENTICATE, value);
                }
                res
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::PersonNotFound => ApiError::new(Code::PersonNotFound, e.to_string()),
            StoreError::ConnectionExists => ApiError::new(
                Code::ConnectionExists,
                "A connection with this person already exists, or is waiting for an answer.",
            ),
            StoreError::Database(_) | StoreError::Corrupt(_) => ApiError::internal(e),
        }
    }
}

impl From<ConnectionRuleError> for ApiError {
    fn from(e: ConnectionRuleError) -> Self {
        let code = match e {
            ConnectionRuleError::SelfConnection => Code::SelfConnection,
            ConnectionRuleError::NotAddressee => Code::Forbidden,
            ConnectionRuleError::NotPending => Code::ConnectionNotPending,
        };
        ApiError::new(code, e.to_string())
    }
}

impl From<TextError> for ApiError {
    fn from(e: TextError) -> Self {
        ApiError::new(Code::InvalidInput, e.to_string())
    }
}

impl From<PageSizeError> for ApiError {
    fn from(e: PageSizeError) -> Self {
        ApiError::new(Code::InvalidInput, e.to_string())
    }
}

impl From<IdError> for ApiError {
    fn from(e: IdError) -> Self {
        ApiError::new(Code::InvalidInput, e.to_string())
    }
}

/// Lets handlers use `?` on every layer's error.
macro_rules! through_api_error {
    ($($error:ty),*) => {$(
        impl From<$error> for HttpError {
            fn from(e: $error) -> Self {
                Self::Api(e.into())
            }
        }
    )*};
}
through_api_error!(
    StoreError,
    ConnectionRuleError,
    TextError,
    PageSizeError,
    IdError
);
