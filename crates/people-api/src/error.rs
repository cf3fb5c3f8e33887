//! People-API errors to client codes. Statuses live in
//! `service_kit::problem::Code`; this file only says which code each error is.
pub use service_kit::http::HttpError;
use service_kit::{ApiError, Code};

use crate::domain::connection::{ConnectionRuleError, QueryError};
use crate::domain::person::IdError;
use crate::domain::text::TextError;
use crate::store::StoreError;

/// A valid token that does not speak for a person (`why` is for the log):
/// refused like an invalid token, with this API's own challenge.
pub fn not_a_person(why: &'static str) -> HttpError {
    tracing::info!(reason = why, "access token refused");
    ApiError::new(
        Code::InvalidToken,
        "This API accepts only tokens issued to a person.",
    )
    .with_challenge(crate::http::caller::not_a_person_challenge())
    .into()
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

impl From<IdError> for ApiError {
    fn from(e: IdError) -> Self {
        ApiError::new(Code::InvalidInput, e.to_string())
    }
}

impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> Self {
        ApiError::new(Code::InvalidInput, e.to_string())
    }
}

service_kit::through_api_error!(
    StoreError,
    ConnectionRuleError,
    TextError,
    IdError,
    QueryError
);
