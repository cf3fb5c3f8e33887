//! Lifecycle steps of signing keys: rotation on demand, on schedule (one
//! instance at a time, under a lease in the database), emergency revocation,
//! and the background task that runs the schedule.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use service_kit::periodic::{spawn_every, First};
use tokio::task::JoinHandle;

use super::keyring::{KeyService, KeyringError, DAY};
use super::signing::KeyState;
use crate::domain::signing_alg::SigningAlg;
use crate::domain::tenant::{TenantId, TenantSettings};
use crate::store::signing_keys::Rotation;

/// Bounds of the tenant setting `key_rotation_days`.
pub use crate::domain::tenant_settings::{MAX_ROTATION_DAYS, MIN_ROTATION_DAYS};
/// The shortest period a tenant may ask for, in seconds: one day, written
/// out (a unit test holds it to `MIN_ROTATION_DAYS * DAY`) so that no
/// arithmetic mutant of it is equivalent.
pub const MIN_ROTATION_SECS: i64 = 86_400;
/// The tenant setting that overrides the rotation period.
pub const ROTATION_DAYS_SETTING: &str = "key_rotation_days";
/// The job's row in `scheduled_jobs`.
pub(super) const LEASE_NAME: &str = "rotation";
/// Long enough for one rotation; the holder extends it before each one, so a
/// long run keeps it and a crashed holder loses it within this time.
pub(super) const LEASE_SECS: i64 = 5 * 60;
/// Revoke re-reads and retries when a concurrent rotation moved the key.
const REVOKE_ATTEMPTS: usize = 3;

/// The kids involved in one rotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotated {
    pub retired: String,
    pub active: String,
    pub next: String,
}

impl KeyService {
    /// next → active, active → retired (published `retired_keep_secs` more),
    /// and a new next, in one transaction. Refused while the next key is
    /// younger than the JWKS max-age: a client's cached key set may lack it.
    pub async fn rotate(&self, tenant: TenantId, alg: SigningAlg) -> Result<Rotated, KeyringError> {
        self.rotate_from(tenant, alg, None).await
    }

    /// Rotates, when `expected_active` is given only if that key still signs:
    /// a rotation decided on stale data does nothing.
    async fn rotate_from(
        &self,
        tenant: TenantId,
        alg: SigningAlg,
        expected_active: Option<&str>,
    ) -> Result<Rotated, KeyringError> {
        let now = self.clock.now();
        let slots = self.store.slots(tenant, alg).await?;
        let (Some(active), Some(next)) = (slots.active, slots.next) else {
            return Err(KeyringError::NotEnsured(alg));
        };
        if expected_active.is_some_and(|kid| kid != active.kid) {
            return Err(KeyringError::Conflict(alg));
        }
        let published_secs = now - next.created_at;
        if published_secs < self.policy.jwks_max_age_secs {
            return Err(KeyringError::NextTooYoung {
                alg,
                published_secs,
                max_age_secs: self.policy.jwks_max_age_secs,
            });
        }
        let new_next = self.new_key(tenant, alg).await?;
        let rotated = Rotated {
            retired: active.kid.clone(),
            active: next.kid.clone(),
            next: new_next.kid.clone(),
        };
        let step = Rotation {
            tenant_id: tenant,
            alg,
            active_kid: active.kid,
            next_kid: next.kid,
            now,
            remove_after: now + self.policy.retired_keep_secs,
            new_next,
        };
        if !self.store.rotate(&step).await? {
            return Err(KeyringError::Conflict(alg));
        }
        self.freshness.catalog_changed(tenant);
        Ok(rotated)
    }

    /// Rotates every active key older than its tenant's period. Runs only on
    /// the instance holding the rotation lease; the others return 0 at once.
    /// Returns how many rotations it did.
    pub async fn rotate_due(&self) -> Result<usize, KeyringError> {
        if !self.lease.renew().await? {
            return Ok(0);
        }
        let outcome = self.rotate_due_locked().await;
        // Unreleased, the lease runs out on its own; the next run waits.
        self.lease.release().await;
        outcome
    }

    async fn rotate_due_locked(&self) -> Result<usize, KeyringError> {
        let now = self.clock.now();
        let shortest = self.policy.period_secs.min(MIN_ROTATION_SECS);
        let mut rotated = 0;
        for key in self.store.active_since(now - shortest).await? {
            if key.activated_at + self.period_for(key.tenant_id, &key.tenant_settings) > now {
                continue;
            }
            if !self.lease.renew().await? {
                tracing::warn!("lost the key rotation lease; stopping this run");
                break;
            }
            match self
                .rotate_from(key.tenant_id, key.alg, Some(&key.kid))
                .await
            {
                Ok(done) => {
                    rotated += 1;
                    tracing::info!(tenant = %key.tenant_id, alg = %key.alg, retired = %done.retired,
                        active = %done.active, "signing key rotated");
                }
                // One tenant's trouble must not hold back the others' rotation.
                Err(e) => {
                    tracing::warn!(tenant = %key.tenant_id, alg = %key.alg, error = %e,
                        "signing key not rotated")
                }
            }
        }
        Ok(rotated)
    }

    /// The tenant's rotation period: `key_rotation_days` when it is a whole
    /// number of days in bounds, else the default.
    fn period_for(&self, tenant: TenantId, settings: &str) -> i64 {
        match rotation_days(settings) {
            Ok(Some(days)) => days * DAY,
            Ok(None) => self.policy.period_secs,
            Err(()) => {
                tracing::warn!(%tenant, "ignoring an invalid `{ROTATION_DAYS_SETTING}` setting");
                self.policy.period_secs
            }
        }
    }

    /// Revokes a key: it leaves the JWKS at once. When it was the active key
    /// the next key signs immediately (an emergency skips the JWKS wait), and
    /// a new next key is made; revoking a next key makes a new next key too.
    pub async fn revoke(&self, tenant: TenantId, kid: &str) -> Result<(), KeyringError> {
        let mut row = self
            .store
            .get(tenant, kid)
            .await?
            .ok_or(KeyringError::KeyNotFound)?;
        for _ in 0..REVOKE_ATTEMPTS {
            let replacement = match row.state {
                KeyState::Revoked => return Ok(()),
                KeyState::Retired => None,
                KeyState::Active | KeyState::Next => Some(self.new_key(tenant, row.alg).await?),
            };
            let now = self.clock.now();
            if self
                .store
                .revoke(tenant, kid, row.state, now, replacement.as_ref())
                .await?
            {
                self.forget(tenant, kid);
                // Fills a slot a concurrent change may have left empty.
                return self.ensure_alg(tenant, row.alg).await;
            }
            row = self
                .store
                .get(tenant, kid)
                .await?
                .ok_or(KeyringError::KeyNotFound)?;
        }
        Err(KeyringError::Conflict(row.alg))
    }
}

/// `Ok(None)` when the setting is absent, `Err` when it is present but
/// unusable (the settings' own rule for `key_rotation_days` decides).
fn rotation_days(settings: &str) -> Result<Option<i64>, ()> {
    let value = serde_json::from_str::<Value>(settings).map_err(|_| ())?;
    let settings = TenantSettings::from_stored(value).map_err(|_| ())?;
    match settings.as_map().get(ROTATION_DAYS_SETTING) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => settings.key_rotation_days().map(Some).ok_or(()),
    }
}

/// Runs `rotate_due` and `purge_removed` every `every` (at least one second),
/// starting now. A round that fails is logged as a warning and tried again
/// at the next tick (a database restart, or the pool's connections dying
/// while the process stops, fails one round); a second failure in a row is
/// an error. A panic inside a round (josekit and openssl unwrap internally)
/// costs that round only, never the task.
pub fn spawn_rotation_task(service: Arc<KeyService>, every: Duration) -> JoinHandle<()> {
    let failed_before = Arc::new(AtomicBool::new(false));
    spawn_every("signing key maintenance", every, First::Now, move || {
        let service = service.clone();
        let failed_before = failed_before.clone();
        async move {
            let ok = maintain(&service, failed_before.load(Ordering::Relaxed)).await;
            failed_before.store(!ok, Ordering::Relaxed);
        }
    })
}

/// One round; false when a step failed. A failure is an error when the
/// round before failed too, else a warning.
async fn maintain(service: &KeyService, failed_before: bool) -> bool {
    let mut ok = true;
    match service.rotate_due().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(rotated = n, "scheduled signing key rotation done"),
        Err(e) => {
            ok = false;
            if failed_before {
                tracing::error!(error = %e, "scheduled signing key rotation failed again");
            } else {
                tracing::warn!(error = %e, "scheduled signing key rotation failed; trying again next round");
            }
        }
    }
    match service.purge_removed().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(purged = n, "retired signing keys removed"),
        Err(e) => {
            ok = false;
            if failed_before {
                tracing::error!(error = %e, "purging retired signing keys failed again");
            } else {
                tracing::warn!(error = %e, "purging retired signing keys failed; trying again next round");
            }
        }
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::keyring::RotationPolicy;

    #[test]
    fn the_shortest_period_is_one_day_in_seconds() {
        assert_eq!(MIN_ROTATION_SECS, MIN_ROTATION_DAYS * DAY);
    }

    #[test]
    fn tenant_rotation_days_are_bounded_whole_days() {
        assert_eq!(rotation_days("{}"), Ok(None));
        assert_eq!(rotation_days(r#"{"key_rotation_days": null}"#), Ok(None));
        assert_eq!(rotation_days(r#"{"key_rotation_days": 7}"#), Ok(Some(7)));
        assert_eq!(
            rotation_days(r#"{"key_rotation_days": 365}"#),
            Ok(Some(365))
        );
        for bad in ["0", "-3", "366", "1.5", "\"7\"", "true"] {
            let json = format!(r#"{{"key_rotation_days": {bad}}}"#);
            assert_eq!(rotation_days(&json), Err(()), "{bad}");
        }
        assert_eq!(rotation_days("not json"), Err(()));
    }

    #[test]
    fn a_dead_holder_s_lease_runs_out_five_minutes_after_its_last_renewal() {
        assert_eq!(LEASE_SECS, 300);
    }

    #[test]
    fn policy_keeps_the_jwks_cache_far_below_the_rotation_period() {
        assert!(RotationPolicy::default().validate().is_ok());
        let p = RotationPolicy::default();
        for bad in [
            RotationPolicy {
                jwks_max_age_secs: 0,
                ..p
            },
            RotationPolicy {
                retired_keep_secs: 0,
                ..p
            },
            RotationPolicy {
                period_secs: 3 * p.jwks_max_age_secs,
                ..p
            },
            RotationPolicy {
                jwks_max_age_secs: 7 * 60 * 60,
                ..p
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }
}
