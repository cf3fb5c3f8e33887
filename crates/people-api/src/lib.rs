//! The Connect People API: the first customer's resource server. It trusts
//! the access tokens of one ConnectAuth tenant and keeps its own database of
//! people (profiles) and the connections between them.
#![forbid(unsafe_code)]

pub mod config;
pub mod demo;
pub mod domain;
pub mod error;
pub mod http;
pub mod service;
pub mod startup;
pub mod state;
pub mod store;

pub use config::PeopleConfig;
pub use startup::{Application, StartupError, MIGRATIONS};
