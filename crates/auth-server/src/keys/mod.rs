//! Keys the auth server holds: the master keyring that seals secrets at rest.
pub mod compromise;
pub mod keyring;
pub mod published;
pub mod reseal;
pub mod rotation;
pub mod sealed;
pub mod signing;
