//! [`HttpError`]: what a service API's handler fails with. Each service maps
//! its own errors to an [`ApiError`] (its table of codes) and lets `?` lift
//! them here with [`through_api_error!`](crate::through_api_error).
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use connectauth_verify::actix::BearerError;

use crate::bearer;
use crate::problem::ApiError;

/// A problem, or a token the verify SDK refused (answered by
/// [`bearer::render`]: problem+json with an RFC 6750 challenge).
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
            Self::Bearer(e) => bearer::render(e).status(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Api(e) => e.error_response(),
            Self::Bearer(e) => bearer::render(e),
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
