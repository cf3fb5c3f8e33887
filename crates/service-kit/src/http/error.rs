//! [`HttpError`]: what a service API's handler fails with. Each service maps
//! its own errors to an [`ApiError`] (its table of codes) and lets `?` lift
//! them here with [`through_api_error!`](crate::through_api_error).
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use crate::bearer::BearerError;
use crate::problem::ApiError;

/// A problem, or a refused token (whose answer carries an RFC 6750
/// challenge).
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Bearer(#[from] BearerError),
}

impl ResponseError for HttpError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Api(e) => e.status_code(),
            Self::Bearer(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Api(e) => e.error_response(),
            Self::Bearer(e) => e.error_response(),
        }
    }
}

/// Lets handlers use `?` on each listed error, through its
/// `From<…> for ApiError` (the service's table of codes).
#[macro_export]
macro_rules! through_api_error {
    ($($error:ty),* $(,)?) => {$(
        impl From<$error> for $crate::http::HttpError {
            fn from(e: $error) -> Self {
                Self::Api(e.into())
            }
        }
    )*};
}

through_api_error!(crate::month::BadMonth, crate::paging::PageSizeError);
