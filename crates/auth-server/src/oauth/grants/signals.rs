//! A spent refresh token or code presented again is a stolen-token signal:
//! the grant revokes what it made at once, then records the reuse here as
//! a `token` audit event with the client, the grant and the address it came
//! from. The sentinel reads these events and acts on the user's sessions
//! (docs/sentinel.md, `crate::sentinel::tokens`).
use crate::domain::audit::{AuditEvent, AuditKind};
use crate::domain::client::ClientId;
use crate::domain::grant::GrantId;
use crate::domain::sentinel::tokens::TokenDetail;
use crate::domain::tenant::Tenant;
use crate::domain::user::UserId;
use crate::error::OAuthError;
use crate::identity::Requester;
use crate::oauth::OAuth;

/// One reuse, as the grant saw it.
pub(super) struct Reuse<'a> {
    /// [`crate::domain::sentinel::tokens::REFRESH_REUSED`] or `CODE_REPLAYED`.
    pub outcome: &'static str,
    pub client: &'a ClientId,
    pub grant: GrantId,
    pub user: Option<UserId>,
    pub caller: &'a Requester,
}

impl OAuth {
    /// Writes the reuse to the audit trail (kind `token`). Its failure
    /// fails the request: the grant is revoked already, and a reuse the
    /// sentinel never reads would leave the user's sessions open.
    pub(super) async fn record_reuse(
        &self,
        tenant: &Tenant,
        reuse: Reuse<'_>,
        now: i64,
    ) -> Result<(), OAuthError> {
        metrics::counter!("connectauth_auth_events_total", "kind" => AuditKind::Token.as_str(), "outcome" => reuse.outcome)
            .increment(1);
        let detail = serde_json::to_string(&TokenDetail {
            client_id: reuse.client.to_string(),
            grant_id: reuse.grant.to_string(),
        })
        .map_err(OAuthError::server)?;
        self.audit
            .insert(&AuditEvent {
                tenant_id: tenant.id.to_string(),
                user_id: reuse.user.map(|u| u.to_string()),
                kind: AuditKind::Token.as_str().to_owned(),
                outcome: reuse.outcome.to_owned(),
                ip: reuse.caller.ip.clone(),
                user_agent: reuse.caller.user_agent.chars().take(512).collect(),
                detail,
                account: None,
                created_at: now,
            })
            .await?;
        Ok(())
    }
}
