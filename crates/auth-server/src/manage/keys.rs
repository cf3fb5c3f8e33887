//! A tenant's signing keys as an owner or operator looks after them: the
//! list with each key's state and dates, a rotation now, the emergency
//! revocation of one key (it leaves the key set at once), and a key marked
//! compromised (revoked and replaced at once, recorded as an incident whose
//! alert the sentinel mails to the owners).
use std::sync::Arc;

use super::Actor;
use crate::domain::audit::{AuditEvent, AuditKind};
use crate::domain::sentinel::compromise::{CompromiseAlert, Compromised, KeyCompromise};
use crate::domain::sentinel::reason::Reason;
use crate::domain::signing_alg::SigningAlg;
use crate::domain::tenant::TenantId;
use crate::keys::compromise::IncidentFor;
use crate::keys::keyring::{KeyInfo, KeyService, KeyringError};
use crate::keys::rotation::Rotated;
use crate::store::reported_incidents::ReportedIncident;

pub struct Keys {
    keys: Arc<KeyService>,
}

/// A compromised key's replacement, and the incident that records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCompromised {
    pub replaced: KeyCompromise,
    pub incident: String,
}

impl Keys {
    pub fn new(keys: Arc<KeyService>) -> Self {
        Self { keys }
    }

    pub async fn list(&self, tenant: TenantId) -> Result<Vec<KeyInfo>, KeyringError> {
        self.keys.list(tenant).await
    }

    /// The next key of `alg` signs from now on; refused while it is younger
    /// than the key set's cache lifetime (see [`KeyService::rotate`]).
    pub async fn rotate(&self, tenant: TenantId, alg: SigningAlg) -> Result<Rotated, KeyringError> {
        let rotated = self.keys.rotate(tenant, alg).await?;
        tracing::info!(tenant_id = %tenant, alg = alg.as_str(), active = %rotated.active, "signing key rotated");
        Ok(rotated)
    }

    /// Days between scheduled rotations for a tenant that sets none.
    pub fn default_rotation_days(&self) -> i64 {
        self.keys.policy().period_secs / (24 * 3600)
    }

    /// Revokes the key `kid` of `tenant` (see [`KeyService::revoke`]).
    pub async fn revoke(&self, tenant: TenantId, kid: &str) -> Result<(), KeyringError> {
        self.keys.revoke(tenant, kid).await?;
        tracing::warn!(tenant_id = %tenant, kid, "signing key revoked");
        Ok(())
    }

    /// The key `kid` leaked (`reason`): revoked and replaced at once
    /// ([`KeyService::replace_compromised`]), recorded as a
    /// `signing_key_compromised` incident (webhooks: `security.incident`,
    /// and `key.rotated` when a new key signs) whose alert the sentinel
    /// mails to the owners. A key revoked before is refused
    /// ([`KeyringError::AlreadyRevoked`]), with no second incident.
    pub async fn compromised(
        &self,
        tenant: TenantId,
        kid: &str,
        reason: &Reason,
        actor: &Actor,
    ) -> Result<KeyCompromised, KeyringError> {
        let report = Report {
            tenant,
            id: uuid::Uuid::new_v4().to_string(),
            reason,
            actor,
        };
        let replaced = self.keys.replace_compromised(tenant, kid, &report).await?;
        tracing::warn!(tenant_id = %tenant, kid, alg = %replaced.alg, new_kid = ?replaced.active,
            %actor, "signing key marked compromised: revoked and replaced");
        Ok(KeyCompromised {
            replaced,
            incident: report.id,
        })
    }
}

/// The incident of one compromised key.
struct Report<'a> {
    tenant: TenantId,
    id: String,
    reason: &'a Reason,
    actor: &'a Actor,
}

impl IncidentFor for Report<'_> {
    fn incident(&self, replaced: &KeyCompromise, now: i64) -> ReportedIncident {
        let what = Compromised::SigningKey;
        let by = self.actor.to_string();
        let detail = replaced.incident_detail(&self.id, self.reason, &by);
        let alert = CompromiseAlert::new(
            what,
            &replaced.kid,
            Some(&replaced.alg),
            self.reason,
            self.actor.reported_by(),
        );
        ReportedIncident {
            id: self.id.clone(),
            tenant_id: self.tenant,
            name: what.incident(),
            subject: replaced.kid.clone(),
            opened_at: now,
            alert: alert.to_json(),
            event: AuditEvent::system(
                self.tenant,
                AuditKind::Sentinel,
                what.incident(),
                detail,
                now,
            ),
        }
    }
}
