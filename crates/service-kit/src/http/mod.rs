//! The HTTP baseline every service runs behind: request ids and access logs,
//! security headers, body limits, 405 with `Allow`, problem+json for extractor errors, health
//! probes, and a server that stops gracefully.
pub mod body_limit;
pub mod client_address;
#[cfg(feature = "bearer")]
pub mod error;
pub mod extract_errors;
pub mod health;
pub mod json_object;
pub mod method_not_allowed;
pub mod request_id;
pub mod security_headers;
pub mod server;

#[cfg(feature = "bearer")]
pub use error::HttpError;
pub use server::{bind, serve, RunningServer};
