//! Recording what happened, for the security monitor (`crate::sentinel`).
use super::{Identity, IdentityError, Requester};
use crate::domain::audit::{AuditEvent, AuditKind};
use crate::domain::tenant::Tenant;
use crate::domain::user::UserId;

impl Identity {
    pub async fn record(
        &self,
        tenant: &Tenant,
        user: Option<UserId>,
        kind: AuditKind,
        outcome: &str,
        requester: &Requester,
        detail: &str,
    ) -> Result<(), IdentityError> {
        self.record_attempt(tenant, user, None, (kind, outcome), requester, detail)
            .await
    }

    /// [`Identity::record`] of a new account, `how` it was made as its
    /// detail (empty for the sign-up form).
    pub(crate) async fn record_signup(
        &self,
        tenant: &Tenant,
        user: UserId,
        requester: &Requester,
        how: &str,
    ) -> Result<(), IdentityError> {
        self.record(
            tenant,
            Some(user),
            AuditKind::Signup,
            "success",
            requester,
            how,
        )
        .await
    }

    /// [`Identity::record`] of a sign-in refused to a known `user`, `why`
    /// as its detail.
    pub(crate) async fn record_login_refused(
        &self,
        tenant: &Tenant,
        user: UserId,
        requester: &Requester,
        why: &str,
    ) -> Result<(), IdentityError> {
        self.record(
            tenant,
            Some(user),
            AuditKind::Login,
            "failure",
            requester,
            why,
        )
        .await
    }

    /// [`Identity::record`] of an attempt on an account (`account`: its
    /// lockout key, stored only as a digest, see [`account_digest`]), so
    /// the sentinel can count attempts per account, existing or not.
    pub(crate) async fn record_attempt(
        &self,
        tenant: &Tenant,
        user: Option<UserId>,
        account: Option<&str>,
        (kind, outcome): (AuditKind, &str),
        requester: &Requester,
        detail: &str,
    ) -> Result<(), IdentityError> {
        tracing::info!(tenant = %tenant.slug, user = ?user.map(|u| u.to_string()), kind = kind.as_str(), outcome, "audit");
        // Kinds and outcomes are a fixed set of words: bounded series.
        metrics::counter!(
            "connectauth_auth_events_total",
            "kind" => kind.as_str(),
            "outcome" => outcome.to_owned()
        )
        .increment(1);
        self.audit
            .insert(&AuditEvent {
                tenant_id: tenant.id.to_string(),
                user_id: user.map(|u| u.to_string()),
                kind: kind.as_str().to_owned(),
                outcome: outcome.to_owned(),
                ip: requester.ip.clone(),
                user_agent: requester.user_agent.chars().take(512).collect(),
                detail: detail.to_owned(),
                account: account.map(|key| account_digest(tenant, key)),
                created_at: self.now(),
            })
            .await?;
        Ok(())
    }
}

/// What the audit trail keeps of the account an attempt named: a digest of
/// the tenant and the account's lockout key (the normalized email). Never
/// the email itself: attackers type anything into that field, passwords
/// included, and the trail is shown in the console.
pub fn account_digest(tenant: &Tenant, account_key: &str) -> String {
    crate::opaque_secret::digest(&format!("{}:{account_key}", tenant.id))
}
