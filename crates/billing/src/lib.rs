//! The billing service: plans and entitlements, monthly-active-user metering
//! and quotas, Stripe Checkout, Customer Portal and webhooks.
#![forbid(unsafe_code)]

pub mod config;
pub mod domain;
pub mod error;
pub mod http;
pub mod service;
pub mod startup;
pub mod store;
pub mod stripe;

pub use config::BillingConfig;
pub use startup::{Application, StartupError, MIGRATIONS};
