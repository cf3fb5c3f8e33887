//! Auth-server errors to client codes. Statuses themselves live in
//! `service_kit::problem::Code`; this file only says which code each error is.
use service_kit::{ApiError, Code};

use crate::domain::display_name::DisplayNameError;
use crate::domain::tenant::TenantRuleError;
use crate::store::StoreError;

impl From<TenantRuleError> for ApiError {
    fn from(e: TenantRuleError) -> Self {
        ApiError::new(Code::InvalidInput, e.to_string())
    }
}

impl From<DisplayNameError> for ApiError {
    fn from(e: DisplayNameError) -> Self {
        ApiError::new(Code::InvalidInput, e.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::SlugTaken(_) => ApiError::new(Code::TenantSlugTaken, e.to_string()),
            StoreError::TenantNotFound => ApiError::new(Code::TenantNotFound, e.to_string()),
            StoreError::EmailTaken | StoreError::UsernameTaken => {
                ApiError::new(Code::InvalidInput, e.to_string())
            }
            StoreError::UserNotFound => ApiError::new(Code::NotFound, e.to_string()),
            StoreError::Database(_) | StoreError::Corrupt(_) => ApiError::internal(e),
        }
    }
}
