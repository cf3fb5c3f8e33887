//! [`RequireScopes`]: a middleware that lets through only requests whose
//! bearer token has given scopes.

use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::EitherBody;
use actix_web::dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::{Error, HttpMessage};

use super::error::BearerError;
use super::extractor::{authenticate, in_app_format, AppVerifier, Verified};
use crate::claims::require_scopes;

/// Middleware for a scope or resource: verifies the bearer token and
/// requires scopes before any handler runs.
///
/// Refusals are the [`BearerError`] responses (401, or 403
/// `insufficient_scope` naming the scopes). Handlers behind it can still
/// take an [`AuthenticatedUser`](super::AuthenticatedUser): the claims are
/// not verified twice. With no scope, it only requires a valid token.
///
/// ```
/// use actix_web::{web, App};
/// use connectauth_verify::actix::RequireScopes;
///
/// let app = App::new().service(
///     web::scope("/orders")
///         .wrap(RequireScopes::new(["orders:read"]))
///         .route("", web::get().to(|| async { "[]" })),
/// );
/// ```
#[derive(Debug, Clone)]
pub struct RequireScopes {
    scopes: Arc<[String]>,
}

impl RequireScopes {
    /// Requires every scope of `scopes`.
    pub fn new<I>(scopes: I) -> RequireScopes
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        RequireScopes {
            scopes: scopes.into_iter().map(Into::into).collect(),
        }
    }
}

impl<S, B> Transform<S, ServiceRequest> for RequireScopes
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = RequireScopesMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequireScopesMiddleware {
            service: Rc::new(service),
            scopes: Arc::clone(&self.scopes),
        }))
    }
}

/// The service [`RequireScopes`] wraps around a scope or resource.
pub struct RequireScopesMiddleware<S> {
    service: Rc<S>,
    scopes: Arc<[String]>,
}

impl<S, B> Service<ServiceRequest> for RequireScopesMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>>>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.service);
        let scopes = Arc::clone(&self.scopes);
        Box::pin(async move {
            let refusal = match authenticate(req.request()).await {
                Err(error) => error,
                Ok(user) => {
                    let required: Vec<&str> = scopes.iter().map(String::as_str).collect();
                    match require_scopes(&user.claims, &required) {
                        Ok(()) => {
                            req.extensions_mut().insert(Verified(user.claims));
                            return service
                                .call(req)
                                .await
                                .map(ServiceResponse::map_into_left_body);
                        }
                        Err(error) => {
                            let app = AppVerifier::of(req.request());
                            let realm = app.as_ref().map(AppVerifier::realm);
                            let error = BearerError::from_verify(error.into(), realm);
                            in_app_format(req.request(), error)
                        }
                    }
                }
            };
            // Answer here rather than return Err, so that outer middleware
            // (logging, CORS) sees an ordinary response.
            Ok(req.error_response(refusal).map_into_right_body())
        })
    }
}
