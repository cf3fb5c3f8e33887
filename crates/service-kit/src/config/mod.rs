//! Typed configuration from the environment.
//!
//! Each service builds its own config struct with a [`Loader`], which reads
//! variables (or `NAME_FILE` files holding them), and collects *every* problem
//! before failing, so an operator fixes a bad deployment in one go.
//!
//! `env.rs` holds the variables read, `loader.rs` the reading and the
//! problems gathered, `secrets.rs` what makes a secret fit for production,
//! `service.rs` the settings every service has (HTTP, database, metrics).
mod env;
mod loader;
mod secrets;
mod service;

use std::fmt;

pub use env::{unknown_variables, Env};
pub use loader::Loader;
pub use secrets::{is_placeholder, secret_weakness};
pub use service::{HttpSettings, DEFAULT_BODY_LIMIT, MAX_BODY_LIMIT};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunMode {
    Development,
    Production,
}

impl RunMode {
    pub fn is_production(self) -> bool {
        self == RunMode::Production
    }
}

/// Every problem found in a configuration, reported together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub problems: Vec<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "invalid configuration ({} problem(s)):",
            self.problems.len()
        )?;
        for p in &self.problems {
            writeln!(f, "  - {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// What the submodules' tests share.
#[cfg(test)]
mod tests {
    use super::Env;

    /// A strong secret: 32 bytes, base64url.
    pub(super) const GOOD: &str = "q9Dq0V3bVv6n0mJm0l3cS8jE4o5v0X9aYb3cXk2mL1E";

    pub(super) fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }
}
