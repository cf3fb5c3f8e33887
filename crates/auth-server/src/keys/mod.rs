//! Keys the auth server holds: the master keyring that seals secrets at rest.
pub mod sealed;
