//! actix-web integration (feature `actix`): the [`AuthenticatedUser`]
//! extractor, the [`RequireScopes`] middleware, and [`BearerError`]
//! responses per RFC 6750.
//!
//! Register one [`Verifier`](crate::Verifier) as app data, then take
//! `AuthenticatedUser` in any handler that needs a caller:
//!
//! ```no_run
//! use actix_web::{web, App, HttpServer, Responder};
//! use connectauth_verify::actix::{AuthenticatedUser, BearerError, RequireScopes};
//! use connectauth_verify::{Verifier, VerifierConfig};
//!
//! async fn me(user: AuthenticatedUser) -> Result<impl Responder, BearerError> {
//!     user.require_scopes(&["profile"])?; // 403 insufficient_scope otherwise
//!     Ok(format!("{:?} of tenant {:?}", user.subject(), user.tenant()))
//! }
//!
//! #[actix_web::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let verifier = web::Data::new(
//!         Verifier::new(VerifierConfig {
//!             issuer: "https://auth.example.com/t/acme".into(),
//!             audience: "https://api.example.com".into(),
//!             ..VerifierConfig::default()
//!         })
//!         .await?,
//!     );
//!     HttpServer::new(move || {
//!         App::new()
//!             .app_data(verifier.clone())
//!             .route("/me", web::get().to(me))
//!             .service(
//!                 web::scope("/admin")
//!                     .wrap(RequireScopes::new(["admin"]))
//!                     .route("", web::get().to(|| async { "admin" })),
//!             )
//!     })
//!     .bind(("127.0.0.1", 8000))?
//!     .run()
//!     .await?;
//!     Ok(())
//! }
//! ```
//!
//! A [`LazyVerifier`](crate::LazyVerifier) registered the same way lets
//! the app start before its issuer answers. To answer refusals in the app's
//! own format (say, `application/problem+json`), register a
//! [`RenderBearerError`] hook as app data too.
//!
//! Responses (without a hook): no bearer token → 401 with `WWW-Authenticate: Bearer
//! realm="…"` and no error code (RFC 6750 §3.1); a malformed
//! `Authorization` header → 400 `invalid_request`; a refused token → 401
//! `error="invalid_token"`; a missing scope → 403
//! `error="insufficient_scope"` with the `scope` needed; keys or
//! introspection unavailable → 503. Each carries a JSON body
//! `{"error": …, "error_description": …}`.

mod error;
mod extractor;
mod guard;

pub use error::{BearerError, BearerErrorKind, RenderBearerError};
pub use extractor::AuthenticatedUser;
pub use guard::{RequireScopes, RequireScopesMiddleware};
