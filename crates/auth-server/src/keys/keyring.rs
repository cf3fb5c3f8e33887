//! Every tenant's signing keys: which key signs, what the JWKS publishes, and
//! the private keys sealed at rest. Lifecycle steps (rotate, revoke, the
//! scheduled run) live in `rotation.rs`.
use std::collections::HashSet;
use std::sync::Arc;

use serde_json::Value;
use zeroize::Zeroizing;

use super::published::PublishedKeys;
use super::sealed::{MasterKeys, SealError};
use super::signing::{KeyError, KeyState, SigningKey};
use crate::cache::{Freshness, GenMap};
use crate::domain::signing_alg::SigningAlg;
use crate::domain::tenant::TenantId;
use crate::maintenance::leased_job::LeasedJob;
use crate::store::signing_keys::{KeyRow, NewKeyRow, SigningKeyStore};
use crate::store::tenant_versions::TenantVersionStore;
use crate::store::StoreError;
use service_kit::clock::SharedClock;

/// Algorithms every tenant has keys for: RS256 because OpenID Connect requires
/// it for ID tokens, ES256 for access tokens.
pub const DEFAULT_ALGS: [SigningAlg; 2] = [SigningAlg::RS256, SigningAlg::ES256];
/// Unsealed keys kept in memory; past this the cache starts over, which costs
/// one unseal per key and never correctness (the store says which key signs).
const CACHE_MAX: usize = 1024;
pub(super) const DAY: i64 = 24 * 60 * 60;

#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("signing key `{kid}` does not unseal: {source}")]
    Unseal {
        kid: String,
        #[source]
        source: SealError,
    },
    #[error("sealing a signing key failed: {0}")]
    Seal(#[source] SealError),
    #[error("the tenant has no {0} keys yet (ensure_keys makes them)")]
    NotEnsured(SigningAlg),
    #[error("no such signing key")]
    KeyNotFound,
    #[error("the signing key is revoked already: it is out of the key set and nothing it signed verifies")]
    AlreadyRevoked,
    #[error(
        "the next {alg} key was published {published_secs} s ago; clients may cache the key set \
         for {max_age_secs} s, so it may sign only after that (revoke is the emergency path)"
    )]
    NextTooYoung {
        alg: SigningAlg,
        published_secs: i64,
        max_age_secs: i64,
    },
    #[error("the {0} keys changed meanwhile (another instance rotated or revoked them)")]
    Conflict(SigningAlg),
    #[error("rotation policy: {0}")]
    Policy(&'static str),
    #[error("the key generation task failed")]
    Task,
}

/// How long keys live. All values in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationPolicy {
    /// How long a key signs before the next one takes over; a tenant's
    /// `key_rotation_days` setting overrides it.
    pub period_secs: i64,
    /// How long a retired key stays published: at least the longest lifetime
    /// of a token it signed, or those tokens stop verifying early.
    pub retired_keep_secs: i64,
    /// The JWKS `Cache-Control: max-age`. A `next` key signs only once it has
    /// been published this long, so no cached key set lacks a signing key.
    pub jwks_max_age_secs: i64,
}

impl Default for RotationPolicy {
    fn default() -> Self {
        Self {
            period_secs: 30 * DAY,
            retired_keep_secs: 2 * DAY,
            jwks_max_age_secs: 60 * 60,
        }
    }
}

impl RotationPolicy {
    pub fn validate(&self) -> Result<(), KeyringError> {
        if self.jwks_max_age_secs <= 0 || self.retired_keep_secs <= 0 {
            return Err(KeyringError::Policy("durations must be positive"));
        }
        // Scheduled rotation must never find its next key too young, even for a
        // tenant that asks for the shortest period (one day).
        let floor = 4 * self.jwks_max_age_secs;
        if self.period_secs < floor || super::rotation::MIN_ROTATION_SECS < floor {
            return Err(KeyringError::Policy(
                "the rotation period (and one day) must be at least 4 × the JWKS max-age",
            ));
        }
        Ok(())
    }
}

/// A key as the management side sees it: no key material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub kid: String,
    pub alg: SigningAlg,
    pub state: KeyState,
    /// Unix seconds.
    pub created_at: i64,
    pub activated_at: Option<i64>,
    pub retired_at: Option<i64>,
    pub remove_after: Option<i64>,
    pub revoked_at: Option<i64>,
}

pub struct KeyService {
    pub(super) store: SigningKeyStore,
    pub(super) master: Arc<MasterKeys>,
    pub(super) clock: SharedClock,
    pub(super) policy: RotationPolicy,
    /// The scheduled rotation's lease (`scheduled_jobs` row `rotation`).
    pub(super) lease: LeasedJob,
    /// Unsealed keys by kid: a key's material never changes, so entries are
    /// not tagged with a generation (always 0) and leave only by `forget`.
    cache: GenMap<String, Arc<SigningKey>>,
    pub(super) freshness: Arc<Freshness>,
    /// The key that signs, per tenant and algorithm, while nothing changed.
    signers: GenMap<(TenantId, SigningAlg), Arc<SigningKey>>,
    /// The published set, per tenant, while nothing changed.
    published: GenMap<TenantId, Arc<PublishedKeys>>,
}

impl KeyService {
    pub fn new(
        store: SigningKeyStore,
        master: Arc<MasterKeys>,
        clock: SharedClock,
        policy: RotationPolicy,
    ) -> Result<Self, KeyringError> {
        let freshness = Arc::new(Freshness::new(
            TenantVersionStore::new(store.pool().clone()),
            clock.clone(),
        ));
        Self::sharing(store, master, clock, policy, freshness)
    }

    /// [`KeyService::new`] whose cached keys follow `freshness`, shared
    /// with the other caches of the instance.
    pub fn sharing(
        store: SigningKeyStore,
        master: Arc<MasterKeys>,
        clock: SharedClock,
        policy: RotationPolicy,
        freshness: Arc<Freshness>,
    ) -> Result<Self, KeyringError> {
        policy.validate()?;
        Ok(Self {
            lease: LeasedJob::new(
                store.pool().clone(),
                super::rotation::LEASE_NAME,
                super::rotation::LEASE_SECS,
                clock.clone(),
            ),
            store,
            master,
            clock,
            policy,
            cache: GenMap::new(CACHE_MAX),
            freshness,
            signers: GenMap::new(CACHE_MAX),
            published: GenMap::new(CACHE_MAX),
        })
    }

    /// The generations every cache of this instance follows.
    pub fn freshness(&self) -> &Arc<Freshness> {
        &self.freshness
    }

    pub fn policy(&self) -> &RotationPolicy {
        &self.policy
    }

    /// Makes an active and a next key for RS256, ES256 and each of `extra`
    /// that lacks them. Safe to call any number of times, from any instance.
    pub async fn ensure_keys(
        &self,
        tenant: TenantId,
        extra: &[SigningAlg],
    ) -> Result<(), KeyringError> {
        let mut seen = HashSet::new();
        for alg in DEFAULT_ALGS.iter().chain(extra) {
            if seen.insert(*alg) {
                self.ensure_alg(tenant, *alg).await?;
            }
        }
        Ok(())
    }

    pub(super) async fn ensure_alg(
        &self,
        tenant: TenantId,
        alg: SigningAlg,
    ) -> Result<(), KeyringError> {
        let slots = self.store.slots(tenant, alg).await?;
        // A lost insert race means another instance filled the slot: fine.
        if slots.active.is_none() {
            let key = self.new_key(tenant, alg).await?;
            self.store.insert(&key, KeyState::Active).await?;
            self.freshness.catalog_changed(tenant);
        }
        if slots.next.is_none() {
            let key = self.new_key(tenant, alg).await?;
            self.store.insert(&key, KeyState::Next).await?;
            self.freshness.catalog_changed(tenant);
        }
        Ok(())
    }

    /// The key that signs for `tenant` with `alg` right now. Read from the
    /// store only after a change; a tenant that lacks the key (made before
    /// keys were made at creation) gets it here, once.
    pub async fn signer(
        &self,
        tenant: TenantId,
        alg: SigningAlg,
    ) -> Result<Arc<SigningKey>, KeyringError> {
        let generation = self.freshness.catalog(tenant).await?;
        if let Some(key) = self.signers.get(&(tenant, alg), generation) {
            return Ok(key);
        }
        let row = match self.store.active(tenant, alg).await? {
            Some(row) => row,
            None => {
                self.ensure_keys(tenant, &[alg]).await?;
                self.store
                    .active(tenant, alg)
                    .await?
                    .ok_or(KeyringError::NotEnsured(alg))?
            }
        };
        let key = match self.cache.get(&row.kid, 0) {
            Some(key) => key,
            None => {
                let key = Arc::new(self.unseal(&row)?);
                self.cache.put(row.kid, 0, Arc::clone(&key));
                key
            }
        };
        self.signers
            .put((tenant, alg), generation, Arc::clone(&key));
        Ok(key)
    }

    /// The tenant's published keys: next, active, and retired keys until
    /// `remove_after`, with [`DEFAULT_ALGS`] always among them (a tenant
    /// that lacks them gets them on its first read). Built again only after
    /// a change or when a retired key reaches its removal time.
    pub async fn published(&self, tenant: TenantId) -> Result<Arc<PublishedKeys>, KeyringError> {
        let now = self.clock.now();
        let generation = self.freshness.catalog(tenant).await?;
        if let Some(set) = self
            .published
            .get(&tenant, generation)
            .filter(|set| set.holds_at(now))
        {
            return Ok(set);
        }
        let mut active = self.store.active_algs(tenant).await?;
        if !DEFAULT_ALGS.iter().all(|alg| active.contains(alg)) {
            self.ensure_keys(tenant, &[]).await?;
            active = self.store.active_algs(tenant).await?;
        }
        let keys = self.store.published(tenant, now).await?;
        let algs = SigningAlg::ALL
            .into_iter()
            .filter(|alg| DEFAULT_ALGS.contains(alg) || active.contains(alg))
            .collect();
        let set = Arc::new(PublishedKeys::build(&keys, algs)?);
        self.published.put(tenant, generation, Arc::clone(&set));
        Ok(set)
    }

    /// `{"keys": [...]}`: next, active, and retired keys until `remove_after`.
    pub async fn jwks(&self, tenant: TenantId) -> Result<Value, KeyringError> {
        let set = self.published(tenant).await?;
        serde_json::from_slice(set.jwks())
            .map_err(|e| StoreError::Corrupt(format!("JWKS: {e}")).into())
    }

    pub async fn list(&self, tenant: TenantId) -> Result<Vec<KeyInfo>, KeyringError> {
        let rows = self.store.list(tenant).await?;
        Ok(rows
            .into_iter()
            .map(|r| KeyInfo {
                kid: r.kid,
                alg: r.alg,
                state: r.state,
                created_at: r.created_at,
                activated_at: r.activated_at,
                retired_at: r.retired_at,
                remove_after: r.remove_after,
                revoked_at: r.revoked_at,
            })
            .collect())
    }

    /// Deletes retired keys past `remove_after`; returns how many.
    pub async fn purge_removed(&self) -> Result<u64, KeyringError> {
        Ok(self.store.purge_retired(self.clock.now()).await?)
    }

    /// Re-seals every private key with `new_master`'s first key, for master-key
    /// rotation. `new_master` should keep the old keys; values it cannot open
    /// are opened with this service's keyring. Returns how many were resealed.
    pub async fn reseal_all(&self, new_master: &MasterKeys) -> Result<usize, KeyringError> {
        let mut resealed = 0;
        for row in self.store.all().await? {
            let owner = owner(row.tenant_id, &row.kid);
            let plain = match new_master.open(&row.private_sealed, &owner) {
                Err(SealError::UnknownKey(_)) => self.master.open(&row.private_sealed, &owner),
                other => other,
            }
            .map(Zeroizing::new)
            .map_err(|source| KeyringError::Unseal {
                kid: row.kid.clone(),
                source,
            })?;
            let sealed = new_master
                .seal(&plain, &owner)
                .map_err(KeyringError::Seal)?;
            // A row changed meanwhile (rotated away, purged) is not counted.
            if self
                .store
                .replace_sealed(&row.kid, &row.private_sealed, &sealed)
                .await?
            {
                resealed += 1;
            }
        }
        Ok(resealed)
    }

    /// A fresh key, sealed and ready to store.
    pub(super) async fn new_key(
        &self,
        tenant: TenantId,
        alg: SigningAlg,
    ) -> Result<NewKeyRow, KeyringError> {
        // RSA generation is CPU work of tens of milliseconds: off the async workers.
        let key = tokio::task::spawn_blocking(move || SigningKey::generate(alg))
            .await
            .map_err(|_| KeyringError::Task)??;
        let private_sealed = self
            .master
            .seal(&key.private_der(), &owner(tenant, key.kid()))
            .map_err(KeyringError::Seal)?;
        Ok(NewKeyRow {
            kid: key.kid().to_owned(),
            tenant_id: tenant,
            alg,
            private_sealed,
            public_jwk: key.public_jwk().to_string(),
            created_at: self.clock.now(),
        })
    }

    /// Drops a key that will not sign again, and every cached view of the
    /// tenant's keys.
    pub(super) fn forget(&self, tenant: TenantId, kid: &str) {
        self.cache.remove(&kid.to_owned());
        self.freshness.catalog_changed(tenant);
    }

    fn unseal(&self, row: &KeyRow) -> Result<SigningKey, KeyringError> {
        let der = self
            .master
            .open(&row.private_sealed, &owner(row.tenant_id, &row.kid))
            .map_err(|source| KeyringError::Unseal {
                kid: row.kid.clone(),
                source,
            })?;
        Ok(SigningKey::from_private_der(
            row.kid.clone(),
            row.alg,
            Zeroizing::new(der),
        )?)
    }
}

/// The associated data a sealed private key is bound to: a sealed value
/// copied to another tenant's or key's row does not open.
pub fn owner(tenant: TenantId, kid: &str) -> String {
    format!("signing:{tenant}:{kid}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(period_secs: i64, jwks_max_age_secs: i64) -> RotationPolicy {
        RotationPolicy {
            period_secs,
            retired_keep_secs: 2 * DAY,
            jwks_max_age_secs,
        }
    }

    #[test]
    fn the_rotation_period_is_at_least_four_jwks_lifetimes() {
        assert!(RotationPolicy::default().validate().is_ok());
        let hour = 60 * 60;
        assert!(policy(4 * hour, hour).validate().is_ok(), "exactly 4 ×");
        assert!(policy(4 * hour - 1, hour).validate().is_err());
        // The shortest period a tenant may ask for (one day) bounds the
        // max-age too, whatever the default period.
        assert!(policy(30 * DAY, DAY / 4).validate().is_ok(), "a day is 4 ×");
        assert!(policy(30 * DAY, DAY / 4 + 1).validate().is_err());
        assert!(policy(30 * DAY, 0).validate().is_err());
        let no_keep = RotationPolicy {
            retired_keep_secs: 0,
            ..RotationPolicy::default()
        };
        assert!(no_keep.validate().is_err());
    }
}
