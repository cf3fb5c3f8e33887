//! A signing key marked compromised: the emergency rotation. The key is
//! revoked at once (out of the key set; what it signed no longer verifies).
//! When it was the signing key, a key made now signs at once, without the
//! wait a scheduled rotation keeps for clients' cached key sets: the old key
//! can no longer be trusted anyway, and the next key, made and kept beside
//! it, may have leaked with it, so it is revoked too and a fresh next key
//! published. A next key marked compromised is replaced; a retired one is
//! only revoked. One transaction with the incident and its alert.
use super::keyring::{KeyService, KeyringError};
use super::signing::KeyState;
use crate::domain::audit::{AuditEvent, AuditKind};
use crate::domain::sentinel::compromise::KeyCompromise;
use crate::domain::tenant::TenantId;
use crate::store::reported_incidents::ReportedIncident;
use crate::store::signing_keys::Compromise;

/// A concurrent change (a rotation, a revocation) makes the store refuse;
/// the state is read again this many times.
const ATTEMPTS: usize = 3;

/// What the incident of a compromised key records, given the replacement
/// and the time: its `sentinel` event and alert, built by the caller.
pub trait IncidentFor {
    fn incident(&self, replaced: &KeyCompromise, now: i64) -> ReportedIncident;
}

/// What each state of the key leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// It signed: it and the next key go, a fresh active and a fresh next.
    ReplaceSigning,
    /// It was published, not signing yet: a fresh next.
    ReplaceNext,
    /// It was retired: only revoked.
    RevokeOnly,
}

fn plan(state: KeyState) -> Result<Plan, KeyringError> {
    match state {
        KeyState::Active => Ok(Plan::ReplaceSigning),
        KeyState::Next => Ok(Plan::ReplaceNext),
        KeyState::Retired => Ok(Plan::RevokeOnly),
        KeyState::Revoked => Err(KeyringError::AlreadyRevoked),
    }
}

impl KeyService {
    /// Revokes the compromised key `kid` and replaces what it leaves (see
    /// the module). Refused with [`KeyringError::AlreadyRevoked`] when it
    /// was revoked before: nothing more to do, and no second incident.
    pub async fn replace_compromised(
        &self,
        tenant: TenantId,
        kid: &str,
        incident: &(dyn IncidentFor + Sync),
    ) -> Result<KeyCompromise, KeyringError> {
        let mut alg = None;
        for _ in 0..ATTEMPTS {
            let row = self
                .store
                .get(tenant, kid)
                .await?
                .ok_or(KeyringError::KeyNotFound)?;
            let plan = plan(row.state)?;
            let next_kid = match plan {
                Plan::ReplaceSigning => {
                    self.store.slots(tenant, row.alg).await?.next.map(|k| k.kid)
                }
                _ => None,
            };
            let new_active = match plan {
                Plan::ReplaceSigning => Some(self.new_key(tenant, row.alg).await?),
                _ => None,
            };
            let new_next = match plan {
                Plan::RevokeOnly => None,
                _ => Some(self.new_key(tenant, row.alg).await?),
            };
            let replaced = KeyCompromise {
                kid: kid.to_owned(),
                alg: row.alg.as_str().to_owned(),
                was: row.state.as_str().to_owned(),
                active: new_active.as_ref().map(|k| k.kid.clone()),
                next: new_next.as_ref().map(|k| k.kid.clone()),
                next_revoked: next_kid.clone(),
            };
            let now = self.clock.now();
            let rotated = replaced
                .rotated_detail()
                .map(|d| AuditEvent::system(tenant, AuditKind::KeyRotated, "compromised", d, now));
            let step = Compromise {
                tenant_id: tenant,
                kid: kid.to_owned(),
                was: row.state,
                now,
                next_kid: next_kid.clone(),
                new_active,
                new_next,
                rotated,
                incident: incident.incident(&replaced, now),
            };
            if self.store.compromise(&step).await? {
                self.forget(tenant, kid);
                if let Some(next) = &next_kid {
                    self.forget(tenant, next);
                }
                // Fills a slot a concurrent change may have left empty; the
                // compromise is done either way (a signer fills it too).
                if let Err(e) = self.ensure_alg(tenant, row.alg).await {
                    tracing::warn!(error = %e, %tenant, alg = %row.alg, "keys not refilled after a compromise");
                }
                return Ok(replaced);
            }
            alg = Some(row.alg);
        }
        Err(alg.map_or(KeyringError::KeyNotFound, KeyringError::Conflict))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_state_has_its_replacement_and_a_revoked_key_none() {
        assert_eq!(plan(KeyState::Active).ok(), Some(Plan::ReplaceSigning));
        assert_eq!(plan(KeyState::Next).ok(), Some(Plan::ReplaceNext));
        assert_eq!(plan(KeyState::Retired).ok(), Some(Plan::RevokeOnly));
        assert!(matches!(
            plan(KeyState::Revoked),
            Err(KeyringError::AlreadyRevoked)
        ));
    }
}
