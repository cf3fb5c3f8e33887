//! Evaluating one tenant and acting on what the detectors find.
use std::net::IpAddr;

use ipnet::IpNet;
use serde_json::json;

use super::windows::Windows;
use super::{Sentinel, SentinelError};
use crate::domain::audit::{AuditEvent, AuditKind};
use crate::domain::sentinel::detectors::detect;
use crate::domain::sentinel::networks::parse_network;
use crate::domain::sentinel::{Attempt, Detector, Finding, Outcome};
use crate::domain::team::Role;
use crate::domain::tenant::{Tenant, TenantId};
use crate::domain::user::UserId;
use crate::store::blocks::{AppliesTo, NewBlock};
use crate::store::sentinel::AttemptRow;
use crate::store::StoreError;

/// What the sentinel's audit events carry as user agent.
const AGENT: &str = "connectauth-sentinel";

impl Sentinel {
    /// Runs the detectors on the tenant's window (held, or read whole when
    /// not: events numbered up to `up_to`) and acts on each finding.
    pub(super) async fn evaluate(
        &self,
        tenant: TenantId,
        windows: &mut Windows,
        up_to: i64,
    ) -> Result<(), SentinelError> {
        let tenant = match self.tenants.get(tenant).await {
            Ok(t) => t,
            Err(StoreError::TenantNotFound) => {
                windows.remove(tenant);
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        let now = self.clock.now();
        let t = &self.settings.thresholds.for_tenant(&tenant.settings);
        let since = now.saturating_sub(t.window_secs);
        if windows.get_mut(tenant.id).is_none() {
            let window = self.read_window(tenant.id, since, up_to).await?;
            windows.put(tenant.id, window, now, since);
        }
        let findings = match windows.get_mut(tenant.id) {
            Some(window) => {
                window.expire(since);
                let attempts = window.attempts();
                let mut found = detect(attempts, now, t);
                found.extend(self.failure_surge(tenant.id, attempts, now, t).await?);
                found
            }
            None => Vec::new(),
        };
        if findings.is_empty() {
            return Ok(());
        }
        let mut blocked: Vec<IpNet> = self
            .blocks
            .list(tenant.id, now)
            .await?
            .iter()
            .filter_map(|b| parse_network(&b.network).ok())
            .collect();
        let mut made_blocks = false;
        for finding in findings {
            made_blocks |= self.act(&tenant, &finding, &mut blocked, now).await?;
        }
        if made_blocks {
            self.blocklist.refresh().await?;
        }
        Ok(())
    }

    /// Opens the finding's incident (once per window), blocks its ranges
    /// that are not blocked yet nor spared, and tells the owners. True when
    /// a block was made.
    async fn act(
        &self,
        tenant: &Tenant,
        finding: &Finding,
        blocked: &mut Vec<IpNet>,
        now: i64,
    ) -> Result<bool, SentinelError> {
        let allowlist = tenant.settings.sentinel_allowlist();
        let (spared, to_block): (Vec<IpNet>, Vec<IpNet>) = finding
            .block
            .iter()
            .filter(|net| !blocked.contains(net))
            .partition(|net| self.settings.never_block.spares(net) || allowlist.spares(net));
        let since = now.saturating_sub(self.settings.thresholds.window_secs);
        let detector = finding.detector.as_str();
        let incident = self
            .store
            .open_incident(tenant.id, detector, &finding.subject, now, since)
            .await?;
        if let Some(id) = &incident {
            // The accounts first: their events name the incident, whose
            // own event says how many. A failure there is logged and must
            // not cost the incident its record (the incident is open now,
            // and the next round would not record it).
            let stepped_up = match self.step_up(tenant, finding, id, now).await {
                Ok(n) => n,
                Err(e) => {
                    tracing::error!(error = %e, tenant = %tenant.slug, incident = %id, "sentinel step-up not made");
                    0
                }
            };
            let detail = json!({
                "incident": id,
                "detector": detector,
                "subject": finding.subject,
                "evidence": finding.evidence,
                "blocking": to_block.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "spared": spared.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "stepped_up": stepped_up,
            });
            self.record(tenant, detector, &detail, now).await?;
            tracing::warn!(tenant = %tenant.slug, detector, incident = %id, "sentinel incident");
        }
        let expires_at = now.saturating_add(self.settings.block_secs);
        for net in &to_block {
            let reason = format!("{detector}: {}", finding.subject);
            let id = self
                .blocks
                .insert(&NewBlock {
                    tenant_id: Some(tenant.id),
                    network: &net.to_string(),
                    reason: &reason,
                    created_by: "sentinel",
                    created_at: now,
                    expires_at,
                    applies_to: AppliesTo::Tenant,
                })
                .await?;
            let detail = json!({
                "block": id,
                "network": net.to_string(),
                "detector": detector,
                "subject": finding.subject,
                "incident": incident,
                "evidence": finding.evidence,
                "expires_at": expires_at,
            });
            self.record(tenant, "blocked", &detail, now).await?;
            tracing::warn!(tenant = %tenant.slug, network = %net, detector, "sentinel blocked an address");
            blocked.push(*net);
        }
        // Blocks first: a mail that cannot be queued must not leave the
        // attacker in; it is logged, and the incident stays recorded.
        if let Some(id) = &incident {
            let e = &finding.evidence;
            let mut summary = format!(
                "{} attempts, {} failed, {} accounts, {} addresses in {} s",
                e.attempts, e.failures, e.accounts, e.addresses, e.window_secs
            );
            if let Some(surge) = &e.surge {
                summary.push_str(&format!(
                    ", {} % failed against a usual {} % ({} baseline)",
                    surge.failure_percent, surge.baseline_percent, surge.baseline
                ));
            }
            // Blocked now or already: every range the finding names but
            // those spared.
            let done = if finding.block.len() > spared.len() {
                "block"
            } else {
                "none"
            };
            let alert = Alert {
                incident: id,
                detector: finding.detector,
                done,
                summary: &summary,
            };
            Self::or_logged(
                self.alert(tenant, &alert, now).await,
                tenant,
                id,
                "sentinel alert",
            );
        }
        Ok(!to_block.is_empty())
    }

    /// Records one of the sentinel's actions as a `sentinel` audit event,
    /// on `user` when it concerns one.
    pub(super) async fn record(
        &self,
        tenant: &Tenant,
        outcome: &str,
        detail: &serde_json::Value,
        now: i64,
    ) -> Result<(), StoreError> {
        self.record_on(tenant, None, outcome, detail, now).await
    }

    pub(super) async fn record_on(
        &self,
        tenant: &Tenant,
        user: Option<UserId>,
        outcome: &str,
        detail: &serde_json::Value,
        now: i64,
    ) -> Result<(), StoreError> {
        self.audit
            .insert(&AuditEvent {
                user_agent: AGENT.to_owned(),
                ..AuditEvent::system(tenant.id, AuditKind::Sentinel, outcome, detail, now)
                    .about(user)
            })
            .await
    }

    /// What an incident does once it is open and recorded or about to be:
    /// a failure is logged as `what` not done, with the tenant and the
    /// incident, and does not cost the incident its record; `None` then.
    pub(super) fn or_logged<T>(
        result: Result<T, SentinelError>,
        tenant: &Tenant,
        incident: &str,
        what: &str,
    ) -> Option<T> {
        result
            .map_err(|e| {
                tracing::error!(error = %e, tenant = %tenant.slug, incident, "{what} not done");
            })
            .ok()
    }

    /// Mails the tenant's owners about a new incident, unless they were
    /// mailed about another one within the alert interval.
    pub(super) async fn alert(
        &self,
        tenant: &Tenant,
        alert: &Alert<'_>,
        now: i64,
    ) -> Result<(), SentinelError> {
        self.mail_owners(tenant, alert.incident, now, |email| {
            self.identity.send_sentinel_alert(
                tenant,
                email,
                alert.detector.as_str(),
                alert.done,
                alert.summary,
            )
        })
        .await
    }

    /// Sends `mail` to each of the tenant's owners about `incident` and
    /// records it (`alerted`), unless another incident of the tenant was
    /// mailed within the alert interval: at most one alert mail per tenant
    /// per interval, whatever opened the incident.
    pub(super) async fn mail_owners(
        &self,
        tenant: &Tenant,
        incident: &str,
        now: i64,
        mail: impl Fn(&str) -> Result<(), crate::identity::IdentityError>,
    ) -> Result<(), SentinelError> {
        let since = now.saturating_sub(self.settings.alert_interval_secs);
        if !self
            .store
            .take_mail_slot(tenant.id, incident, now, since)
            .await?
        {
            return Ok(());
        }
        let owners = self.owners.list(tenant.id).await?;
        let owners: Vec<_> = owners.iter().filter(|o| o.role == Role::Owner).collect();
        for owner in &owners {
            mail(&owner.email)?;
        }
        self.record(
            tenant,
            "alerted",
            &json!({ "incident": incident, "owners": owners.len() }),
            now,
        )
        .await?;
        Ok(())
    }
}

/// What the owners are told of an incident.
pub(super) struct Alert<'a> {
    pub incident: &'a str,
    pub detector: Detector,
    /// What was done: `sentinel_done_{done}` in the locales.
    pub done: &'a str,
    /// The evidence in a line.
    pub summary: &'a str,
}

/// An audit row as the detectors see it; `None` for rows they ignore.
pub(super) fn attempt(row: AttemptRow) -> Option<Attempt> {
    let outcome = match (AuditKind::parse(&row.kind)?, row.outcome.as_str()) {
        (AuditKind::Login, "failure" | "locked") => Outcome::Failure,
        (AuditKind::Login, "success" | "mfa_required" | "step_up_required") => Outcome::Success,
        (AuditKind::Signup, _) => Outcome::Signup,
        _ => return None,
    };
    Some(Attempt {
        outcome,
        account: row.account,
        ip: row.ip.parse::<IpAddr>().ok(),
        at: row.created_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kind: &str, outcome: &str, ip: &str) -> AttemptRow {
        AttemptRow {
            kind: kind.into(),
            outcome: outcome.into(),
            ip: ip.into(),
            account: Some("digest".into()),
            created_at: 7,
        }
    }

    #[test]
    fn sentinel_reads_locked_attempts_as_failures_and_ignores_other_rows() {
        let read = |r| attempt(r).map(|a| a.outcome);
        assert_eq!(
            read(row("login", "failure", "203.0.113.1")),
            Some(Outcome::Failure)
        );
        assert_eq!(
            read(row("login", "locked", "203.0.113.1")),
            Some(Outcome::Failure)
        );
        assert_eq!(
            read(row("login", "mfa_required", "::1")),
            Some(Outcome::Success)
        );
        assert_eq!(
            read(row("login", "step_up_required", "::1")),
            Some(Outcome::Success),
            "the password was right"
        );
        assert_eq!(read(row("signup", "failure", "::1")), Some(Outcome::Signup));
        assert_eq!(
            read(row("step_up", "failure", "::1")),
            None,
            "a wrong mailed code"
        );
        assert_eq!(read(row("mfa", "failure", "::1")), None);
        let unknown = attempt(row("login", "failure", "unknown")).expect("kept");
        assert_eq!(unknown.ip, None, "an unknown address is never blocked");
        assert_eq!(unknown.account.as_deref(), Some("digest"));
    }
}
