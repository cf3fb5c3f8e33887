//! Scheduled upkeep of the database, once across instances.
pub mod cleanup;
pub mod leased_job;
pub mod settings;

pub use cleanup::{Cleanup, Deleted, Outcome};
pub use settings::CleanupSettings;
