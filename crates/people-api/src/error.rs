//! People-API errors to client codes. Statuses live in
//! `service_kit::problem::Code`; this file only says which code each error is.
pub use service_kit::http::HttpError;
use service_kit::{ApiError, Code};

use crate::domain::connection::{ConnectionRuleError, QueryError};
use crate::domain::person::IdError;
use crate::domain::text::TextError;
use crate::service::ServiceError;

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

/// The one table of what the use cases refuse: each error, its code and the
/// words the client reads.
impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::PersonNotFound => {
                ApiError::new(Code::PersonNotFound, "No person has this id.")
            }
            ServiceError::ConnectionNotFound => ApiError::new(
                Code::ConnectionNotFound,
                "You have no connection with this id.",
            ),
            ServiceError::ConnectionExists => ApiError::new(
                Code::ConnectionExists,
                "A connection with this person already exists, or is waiting for an answer.",
            ),
            ServiceError::Rule(rule) => {
                let code = match rule {
                    ConnectionRuleError::SelfConnection => Code::SelfConnection,
                    ConnectionRuleError::NotAddressee => Code::Forbidden,
                    ConnectionRuleError::NotPending => Code::ConnectionNotPending,
                };
                ApiError::new(code, rule.to_string())
            }
            ServiceError::Store(store) => ApiError::internal(store),
        }
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

service_kit::through_api_error!(ServiceError, TextError, IdError, QueryError);
