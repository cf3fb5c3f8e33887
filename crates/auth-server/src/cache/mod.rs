//! What the OIDC endpoints read on every request, kept in memory per
//! instance: tenants by slug, clients, signing keys and verifiers, the JWKS
//! and discovery documents, revoked access tokens.
//!
//! Every entry is tagged with its tenant's *generation* ([`Freshness`]) when
//! it is loaded and is used only while that generation holds. A change made
//! by this instance moves the generation at once; a change made elsewhere
//! (another instance, the CLI) bumps the tenant's version row in the same
//! transaction, which this instance reads at most once per second per tenant
//! and, on PostgreSQL, also hears through `LISTEN/NOTIFY`. So nothing is
//! served stale more than [`STALE_BOUND_SECS`] after its change committed.
mod freshness;
mod gen_map;
mod tenants;

pub use crate::store::tenant_versions::Domain;
pub use freshness::{Freshness, STALE_BOUND_SECS};
pub use gen_map::GenMap;
pub use tenants::TenantDirectory;

/// A strong `ETag` for `body`, quoted as the header wants it: 128 bits of
/// its SHA-256, base64url.
pub fn etag_of(body: &[u8]) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use sha2::{Digest, Sha256};
    format!(
        "\"{}\"",
        URL_SAFE_NO_PAD.encode(&Sha256::digest(body)[..16])
    )
}
