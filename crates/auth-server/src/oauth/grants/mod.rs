//! The token endpoint's grants, one file each. No implicit, no password grant.
pub mod authorization_code;
pub mod client_credentials;
pub mod refresh_token;
mod signals;
