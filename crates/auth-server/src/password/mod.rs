//! Password handling for ConnectAuth: a policy that turns user input into a
//! [`Password`] (NFKC, length, breached list, context words) and an argon2id
//! [`PasswordHasher`] that runs on a bounded pool of dedicated OS threads.
//!
//! Framework-free: the only runtime dependency is `tokio::sync::oneshot`, so
//! async callers (actix-web handlers) never block a runtime thread on argon2.

pub mod breached;
mod context;
mod engine;
pub mod hasher;
mod normalize;
pub mod policy;
mod pool;

pub use engine::{importable_hash, HashEngine};
pub use hasher::{ConfigError, HashError, HasherConfig, PasswordHasher, Verification};
pub use normalize::normalize;
pub use policy::{Password, PasswordPolicy, PasswordRuleError};

impl PasswordHasher {
    /// The hasher the auth server's settings describe.
    pub fn from_settings(s: &crate::config::PasswordSettings) -> Result<Self, ConfigError> {
        Self::new(HasherConfig {
            memory_kib: s.memory_kib,
            iterations: s.iterations,
            parallelism: s.parallelism,
            workers: s.workers,
            queue_capacity: s.queue,
        })
    }
}

/// The text key (`locales/*.json`) explaining a refused password.
pub fn text_key(e: &PasswordRuleError) -> &'static str {
    match e {
        PasswordRuleError::TooShort { .. } => "err_pw_too_short",
        PasswordRuleError::TooLong { .. } => "err_pw_too_long",
        PasswordRuleError::Breached => "err_pw_breached",
        PasswordRuleError::ContextWord => "err_pw_context",
    }
}
