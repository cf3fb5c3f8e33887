//! Failures that end a page request before any form is shown: a plain,
//! bilingual page with the right status; and the redirect that ends a page
//! whose visitor must first go elsewhere (sign in, enrol MFA).
use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use super::context::Redirect;

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("no such tenant")]
    TenantNotFound,
    #[error("CSRF token missing or wrong")]
    Csrf,
    /// A team member whose role does not allow this.
    #[error("the member's role does not allow this")]
    Forbidden,
    #[error("too many requests")]
    TooManyRequests { retry_after: u64 },
    #[error("busy")]
    Busy { retry_after: u64 },
    /// Not a failure: the page is not for this visitor yet, who is sent
    /// elsewhere first (a console page to the platform login or to MFA
    /// enrolment). An error so that `?` ends the handler at the access check.
    #[error("sent to {}", .0.location())]
    Redirect(Redirect),
    /// The database does not answer (an outage, not a bug): 503 with
    /// `Retry-After`, the cause logged as a warning.
    #[error("the database does not answer: {0}")]
    DatabaseUnavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The cause is kept as it was raised (a store, seal or template error),
    /// logged, never shown.
    #[error("internal error: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl PageError {
    /// An internal failure caused by `cause` (an error, or a message).
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        let cause = cause.into();
        if service_kit::db::is_unavailable(cause.as_ref()) {
            PageError::DatabaseUnavailable(cause)
        } else if cause
            .downcast_ref::<crate::manage::ManageError>()
            .is_some_and(crate::manage::ManageError::is_collision)
        {
            // Not a failure: concurrent changes of the same thing.
            PageError::Busy { retry_after: 1 }
        } else {
            PageError::Internal(cause)
        }
    }
}

impl PageError {
    fn texts(&self) -> (&'static str, &'static str) {
        match self {
            // Never shown: a redirect answers with no page of its own.
            PageError::Redirect(_) => ("", ""),
            PageError::TenantNotFound => (
                "This page does not exist.",
                "Cette page n'existe pas.",
            ),
            PageError::Csrf => (
                "This form has expired or was sent from another site. Go back, reload the page and try again.",
                "Ce formulaire a expiré ou a été envoyé depuis un autre site. Revenez en arrière, rechargez la page et réessayez.",
            ),
            PageError::Forbidden => (
                "Your role in this team does not allow this. Ask one of its owners.",
                "Votre rôle dans cette équipe ne le permet pas. Demandez à l'un de ses propriétaires.",
            ),
            PageError::TooManyRequests { .. } => (
                "Too many requests from your network. Wait a moment and try again.",
                "Trop de requêtes depuis votre réseau. Patientez un instant et réessayez.",
            ),
            PageError::Busy { .. } => (
                "The service is very busy. Please try again in a few seconds.",
                "Le service est très sollicité. Réessayez dans quelques secondes.",
            ),
            PageError::DatabaseUnavailable(_) => (
                "The service is briefly unavailable. Please try again in a few seconds.",
                "Le service est momentanément indisponible. Réessayez dans quelques secondes.",
            ),
            PageError::Internal(_) => (
                "Something went wrong on our side. Please try again later.",
                "Une erreur s'est produite de notre côté. Réessayez plus tard.",
            ),
        }
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::TenantNotFound => StatusCode::NOT_FOUND,
            PageError::Csrf | PageError::Forbidden => StatusCode::FORBIDDEN,
            PageError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            PageError::Busy { .. } | PageError::DatabaseUnavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            PageError::Redirect(_) => StatusCode::SEE_OTHER,
            PageError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let PageError::Redirect(to) = self {
            return to.response();
        }
        if let PageError::Internal(cause) = self {
            tracing::error!(cause = %cause, "page failed");
        }
        if let PageError::DatabaseUnavailable(cause) = self {
            tracing::warn!(cause = %cause, "page failed: the database does not answer");
        }
        let (en, fr) = self.texts();
        let body = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>ConnectAuth</title>\
             <link rel=\"stylesheet\" href=\"/static/connectauth.css\"></head><body><main class=\"card\">\
             <p class=\"error\" role=\"alert\">{en}</p><p lang=\"fr\">{fr}</p></main></body></html>"
        );
        let mut res = HttpResponse::build(self.status_code());
        res.content_type("text/html; charset=utf-8");
        if let PageError::TooManyRequests { retry_after } | PageError::Busy { retry_after } = self {
            res.insert_header((header::RETRY_AFTER, retry_after.to_string()));
        }
        if let PageError::DatabaseUnavailable(_) = self {
            res.insert_header((
                header::RETRY_AFTER,
                service_kit::problem::DATABASE_RETRY_AFTER_SECS.to_string(),
            ));
        }
        res.body(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manage::ManageError;

    #[test]
    fn changes_that_kept_colliding_are_busy_and_other_failures_internal() {
        // Which failures are collisions: `ManageError::is_collision`.
        let page = PageError::internal(ManageError::SecretChangeCollided);
        assert!(
            matches!(page, PageError::Busy { retry_after: 1 }),
            "{page:?}"
        );
        let broken = PageError::internal(ManageError::NoScope);
        assert!(matches!(broken, PageError::Internal(_)), "{broken:?}");
        assert!(matches!(
            PageError::internal("a message"),
            PageError::Internal(_)
        ));
    }
}
