//! Recording what happened, for the security monitor.
use super::{Identity, IdentityError, Requester};
use crate::domain::tenant::Tenant;
use crate::domain::user::UserId;
use crate::store::audit::AuditEvent;

impl Identity {
    pub async fn record(
        &self,
        tenant: &Tenant,
        user: Option<UserId>,
        kind: &str,
        outcome: &str,
        requester: &Requester,
        detail: &str,
    ) -> Result<(), IdentityError> {
        tracing::info!(tenant = %tenant.slug, user = ?user.map(|u| u.to_string()), kind, outcome, "audit");
        // Kinds and outcomes are a fixed set of words: bounded series.
        metrics::counter!(
            "connectauth_auth_events_total",
            "kind" => kind.to_owned(),
            "outcome" => outcome.to_owned()
        )
        .increment(1);
        self.audit
            .insert(&AuditEvent {
                tenant_id: tenant.id.to_string(),
                user_id: user.map(|u| u.to_string()),
                kind: kind.to_owned(),
                outcome: outcome.to_owned(),
                ip: requester.ip.clone(),
                user_agent: requester.user_agent.chars().take(512).collect(),
                detail: detail.to_owned(),
                created_at: self.now(),
            })
            .await?;
        Ok(())
    }
}
