//! The rules of profiles and connections: no HTTP, no SQL.
pub mod connection;
pub mod person;
pub mod scope;
pub mod text;
