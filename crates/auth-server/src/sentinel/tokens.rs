//! Acting on stolen-token signals. The OAuth layer has revoked the grant
//! and written a `token` event; here each grant's reuse becomes one
//! incident. A reused refresh token ends every session of its user (and the
//! grants made from them) and mails the user; a replayed code is recorded
//! and reported. Nothing is blocked: the reuse that revokes a family may
//! come from the legitimate client (the thief refreshed first), so its
//! address says nothing certain about the attacker.
use serde_json::json;

use super::actions::Alert;
use super::{Sentinel, SentinelError};
use crate::domain::client::ClientId;
use crate::domain::grant::GrantId;
use crate::domain::sentinel::tokens::{token_findings, TokenFinding, TokenKind, TokenSignal};
use crate::domain::tenant::{Tenant, TenantId};
use crate::domain::time_text::minute_utc;
use crate::domain::user::UserId;
use crate::identity::mail::TokenReuseNotice;
use crate::store::sentinel::TokenEventRow;
use crate::store::StoreError;

/// Why the grant and sessions end, in the grants' `revoked_reason`.
const REASON: &str = "refresh token reused";

impl Sentinel {
    /// Turns the tenant's recent `token` events into findings and acts on
    /// each new one.
    pub(super) async fn evaluate_tokens(&self, tenant: TenantId) -> Result<(), SentinelError> {
        let tenant = match self.tenants.get(tenant).await {
            Ok(t) => t,
            Err(StoreError::TenantNotFound) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let now = self.clock.now();
        let since = now.saturating_sub(self.settings.thresholds.window_secs);
        let signals: Vec<TokenSignal> = self
            .store
            .token_events(tenant.id, since)
            .await?
            .into_iter()
            .filter_map(signal)
            .collect();
        for finding in token_findings(&signals, since) {
            self.act_on_token(&tenant, &finding, now, since).await?;
        }
        Ok(())
    }

    /// Opens the finding's incident (once per grant and window) and acts.
    async fn act_on_token(
        &self,
        tenant: &Tenant,
        finding: &TokenFinding,
        now: i64,
        since: i64,
    ) -> Result<(), SentinelError> {
        let kind = finding.kind;
        let detector = kind.detector();
        let Some(incident) = self
            .store
            .open_incident(tenant.id, detector.as_str(), &finding.subject, now, since)
            .await?
        else {
            return Ok(());
        };
        let user = finding.user_id.as_deref().and_then(UserId::parse);
        let e = &finding.evidence;
        let (mut sessions_ended, mut user_mailed) = (0, false);
        if let (TokenKind::RefreshReuse, Some(user)) = (kind, user) {
            // The OAuth layer revoked the family already: again here, so
            // the incident's actions hold even if that write was lost.
            if let Some(grant) = GrantId::parse(&e.grant_id) {
                self.grants.revoke(tenant.id, grant, REASON, now).await?;
            }
            sessions_ended = self
                .identity
                .end_all_sessions(tenant.id, user, REASON)
                .await?;
            // Sessions first: a mail that cannot be queued must not leave
            // the thief signed in; it is logged and recorded as not sent.
            user_mailed = Self::or_logged(
                self.tell_user(tenant, user, finding).await,
                tenant,
                &incident,
                "token reuse notice",
            )
            .unwrap_or(false);
        }
        let detail = json!({
            "incident": incident,
            "detector": detector.as_str(),
            "subject": finding.subject,
            "reason": kind.reason(),
            "evidence": e,
            "grant_revoked": true,
            "sessions_ended": sessions_ended,
            "user_mailed": user_mailed,
        });
        self.record_on(tenant, user, detector.as_str(), &detail, now)
            .await?;
        tracing::warn!(tenant = %tenant.slug, detector = detector.as_str(), %incident, sessions_ended, "sentinel incident");
        let summary = format!(
            "client {}, grant {}, from {} ({} time(s), {} address(es))",
            e.client_id,
            e.grant_id,
            e.ip,
            e.reuses,
            e.addresses.len()
        );
        let alert = Alert {
            incident: &incident,
            detector,
            done: match kind {
                TokenKind::RefreshReuse => "sessions",
                TokenKind::CodeReplay => "revoked",
            },
            summary: &summary,
        };
        Self::or_logged(
            self.alert(tenant, &alert, now).await,
            tenant,
            &incident,
            "sentinel alert",
        );
        Ok(())
    }

    /// Mails the user about the reuse; false when there is nobody to tell
    /// (the user was deleted since).
    async fn tell_user(
        &self,
        tenant: &Tenant,
        user: UserId,
        finding: &TokenFinding,
    ) -> Result<bool, SentinelError> {
        let user = match self.users.get(tenant.id, user).await {
            Ok(u) => u,
            Err(StoreError::UserNotFound) => return Ok(false),
            Err(e) => return Err(e.into()),
        };
        let e = &finding.evidence;
        let app = match ClientId::parse(&e.client_id).ok() {
            Some(id) => match self.clients.get(tenant.id, &id).await {
                Ok(client) => client.settings.name().as_ref().to_owned(),
                Err(err) => {
                    tracing::warn!(error = %err, "the reused token's client is not readable; named by id");
                    e.client_id.clone()
                }
            },
            None => e.client_id.clone(),
        };
        let when = minute_utc(e.at);
        let notice = TokenReuseNotice {
            app: &app,
            when: &when,
            ip: &e.ip,
        };
        self.identity
            .send_token_reuse_notice(tenant, &user.email.to_string(), &notice)?;
        Ok(true)
    }
}

/// A `token` audit row as the detector sees it; `None` for rows it ignores.
fn signal(row: TokenEventRow) -> Option<TokenSignal> {
    TokenSignal::from_event(
        &row.outcome,
        &row.detail,
        row.user_id,
        row.ip,
        row.user_agent,
        row.created_at,
    )
}
