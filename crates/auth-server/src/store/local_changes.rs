//! Process-wide counters the stores bump after writes that the instance's
//! caches depend on and that many code paths make: grant revocations (logout,
//! password reset, refresh-token reuse, code replay, client disabling…) and
//! changes to what userinfo shows of a user. A cache entry tagged with an
//! older count is not used again, so this instance honours such a change at
//! once whichever path made it; other instances see it through the tenant's
//! version rows (`tenant_versions.rs`).
use std::sync::atomic::{AtomicU64, Ordering};

static GRANT_REVOCATIONS: AtomicU64 = AtomicU64::new(0);
static USER_CHANGES: AtomicU64 = AtomicU64::new(0);

/// How many grant revocations this process has made.
pub fn grant_revocations() -> u64 {
    GRANT_REVOCATIONS.load(Ordering::Acquire)
}

/// How many user changes (userinfo claims, disabling) this process has made.
pub fn user_changes() -> u64 {
    USER_CHANGES.load(Ordering::Acquire)
}

pub(super) fn grant_revoked() {
    GRANT_REVOCATIONS.fetch_add(1, Ordering::AcqRel);
}

pub(super) fn user_changed() {
    USER_CHANGES.fetch_add(1, Ordering::AcqRel);
}
