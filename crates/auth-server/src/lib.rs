//! The ConnectAuth auth server: tenants and the management API today; users,
//! hosted login and the OIDC provider build on it.
#![forbid(unsafe_code)]

pub mod config;
pub mod domain;
pub mod error;
pub mod http;
pub mod startup;
pub mod state;
pub mod store;

pub use config::AuthConfig;
pub use startup::{Application, StartupError, MIGRATIONS};
