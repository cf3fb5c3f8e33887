//! The billing service. Today: its own database, migrations and the HTTP
//! baseline with health probes; plans, metering and Stripe follow (issue 6).
#![forbid(unsafe_code)]

pub mod config;
pub mod http;
pub mod startup;

pub use config::BillingConfig;
pub use startup::{Application, StartupError, MIGRATIONS};
