//! The Connect People API. Today: its own database, migrations and the HTTP
//! baseline with health probes; profiles and connections follow (issue 3).
#![forbid(unsafe_code)]

pub mod config;
pub mod http;
pub mod startup;

pub use config::PeopleConfig;
pub use startup::{Application, StartupError, MIGRATIONS};
