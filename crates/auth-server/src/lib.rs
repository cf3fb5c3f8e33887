//! The ConnectAuth auth server: tenants and the management API, end users
//! with hosted login pages, sessions, MFA and brute-force defences; the OIDC
//! provider builds on it.
#![forbid(unsafe_code)]

pub mod analyst;
pub mod billing_link;
pub mod cache;
pub mod config;
pub mod dashboard;
pub mod domain;
pub mod error;
pub mod http;
pub mod i18n;
pub mod identity;
pub mod keys;
pub mod maintenance;
pub mod manage;
pub mod oauth;
pub mod opaque_secret;
pub mod outbound;
pub mod password;
pub mod sentinel;
pub mod startup;
pub mod state;
pub mod store;
pub mod webhooks;

pub use config::AuthConfig;
pub use startup::{Application, StartupError, MIGRATIONS};
