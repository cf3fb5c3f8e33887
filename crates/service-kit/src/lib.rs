//! Plumbing shared by every ConnectAuth service. Nothing here knows about
//! tenants, tokens or plans: domain types live in the service that owns them.
#![forbid(unsafe_code)]

#[cfg(feature = "backup")]
pub mod backup;
#[cfg(feature = "bearer")]
pub mod bearer;
pub mod clock;
pub mod config;
pub mod db;
pub mod http;
pub mod mail;
pub mod metrics;
pub mod month;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod paging;
pub mod periodic;
pub mod problem;
pub mod secret;
pub mod shutdown;
pub mod startup;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;

pub use problem::{ApiError, Code};
