//! Keys and token state from the issuer over HTTP (feature `remote`, on by
//! default): OpenID Connect / RFC 8414 discovery, a JWKS cache, RFC 7662
//! introspection, and the [`Verifier`] that puts them together.

mod discovery;
mod error;
mod http;
mod introspection;
mod keys;
mod lazy;
mod token_cache;
mod verifier;

pub use error::{RemoteError, SetupError, VerifyError};
pub use introspection::{IntrospectionConfig, MAX_INTROSPECTION_CACHE_TTL};
pub use keys::{RemoteKeys, RemoteKeysConfig};
pub use lazy::LazyVerifier;
pub use token_cache::TokenCacheConfig;
pub use verifier::{Verifier, VerifierConfig};
