//! Connect People API integration tests: the real server on a loopback port
//! against a fresh database per test (SQLite and PostgreSQL), trusting a fake
//! issuer that publishes a JWKS of keys made here; tokens are signed with the
//! `jsonwebtoken` crate, so no auth server is needed.
mod baseline;
mod callback;
mod connections;
mod helpers;
mod me;
mod metrics;
mod tokens;
