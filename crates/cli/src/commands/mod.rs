//! One module per top-level command.
pub mod billing;
pub mod client;
pub mod demo;
pub mod dev;
pub mod keys;
pub mod migrate;
pub mod owners;
mod refused;
pub mod secrets;
pub mod serve;
pub mod tenant;
pub mod upstream;
