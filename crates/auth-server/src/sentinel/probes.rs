//! The `manage_probe` detector at work: for each address with new reports
//! of 401s on the management API (`manage_probes.rs` writes them), add up
//! its reports of the window and, past the threshold, open an incident on
//! the `platform` tenant, block the address on the management API (never an
//! address of `AUTH_SENTINEL_NEVER_BLOCK` or of the platform's allowlist)
//! and tell the platform's owners. The block refuses that address only: a
//! valid token from elsewhere is served as before.
use std::net::IpAddr;

use ipnet::IpNet;
use serde_json::json;

use super::{Sentinel, SentinelError};
use crate::domain::sentinel::manage_probe::{detect, failures_of, ProbeEvidence};
use crate::domain::sentinel::networks::{block_range, parse_network};
use crate::domain::sentinel::Detector;
use crate::domain::tenant::PLATFORM_SLUG;
use crate::store::blocks::{AppliesTo, NewBlock};

impl Sentinel {
    /// Evaluates each address of `addresses` (as the reports name them).
    pub(super) async fn evaluate_probes(&self, addresses: &[String]) -> Result<(), SentinelError> {
        let settings = self.settings.manage_probe;
        let mut blocked = false;
        for ip in addresses {
            let Ok(addr) = ip.parse::<IpAddr>() else {
                continue;
            };
            let now = self.clock.now();
            let since = now.saturating_sub(settings.window_secs);
            let reports: Vec<(i64, u64)> = self
                .store
                .probe_reports(ip, since)
                .await?
                .into_iter()
                .map(|(at, detail)| (at, failures_of(&detail)))
                .collect();
            if let Some(evidence) = detect(&reports, now, settings) {
                blocked |= self.act_on_probe(block_range(addr), &evidence, now).await?;
            }
        }
        if blocked {
            self.blocklist.refresh().await?;
        }
        Ok(())
    }

    /// Opens the incident (once per window and address, none while the
    /// address is blocked there already), blocks, alerts. True when a
    /// block was made.
    async fn act_on_probe(
        &self,
        net: IpNet,
        evidence: &ProbeEvidence,
        now: i64,
    ) -> Result<bool, SentinelError> {
        let blocked_already = self.blocks.active(now).await?.iter().any(|b| {
            b.applies_to == AppliesTo::ManageApi && parse_network(&b.network).ok() == Some(net)
        });
        if blocked_already {
            return Ok(false);
        }
        let platform = self.tenants.get_by_slug(PLATFORM_SLUG).await?;
        let detector = Detector::ManageProbe.as_str();
        let subject = net.to_string();
        let since = now.saturating_sub(evidence.window_secs);
        let Some(incident) = self
            .store
            .open_incident(platform.id, detector, &subject, now, since)
            .await?
        else {
            return Ok(false);
        };
        let spared = self.settings.never_block.spares(&net)
            || platform.settings.sentinel_allowlist().spares(&net);
        let listed = vec![subject.clone()];
        let evidence_json = json!({
            "failures": evidence.failures,
            "reports": evidence.reports,
            "window": evidence.window_secs,
        });
        let detail = json!({
            "incident": incident,
            "detector": detector,
            "subject": subject,
            "evidence": evidence_json,
            "blocking": if spared { vec![] } else { listed.clone() },
            "spared": if spared { listed } else { vec![] },
            "applies_to": AppliesTo::ManageApi.as_str(),
        });
        self.record(&platform, detector, &detail, now).await?;
        tracing::warn!(network = %net, failures = evidence.failures, %incident, "sentinel incident: management API probed");
        if !spared {
            let expires_at = now.saturating_add(self.settings.block_secs);
            let reason = format!("{detector}: {subject}");
            let id = self
                .blocks
                .insert(&NewBlock {
                    tenant_id: Some(platform.id),
                    network: &subject,
                    reason: &reason,
                    created_by: "sentinel",
                    created_at: now,
                    expires_at,
                    applies_to: AppliesTo::ManageApi,
                })
                .await?;
            let detail = json!({
                "block": id,
                "network": subject,
                "detector": detector,
                "subject": subject,
                "incident": incident,
                "evidence": evidence_json,
                "expires_at": expires_at,
                "applies_to": AppliesTo::ManageApi.as_str(),
            });
            self.record(&platform, "blocked", &detail, now).await?;
            tracing::warn!(network = %net, "sentinel blocked an address on the management API");
        }
        let summary = format!(
            "{} refused bearer tokens from {subject} in {} s",
            evidence.failures, evidence.window_secs
        );
        let done = if spared { "none" } else { "manage_block" };
        let sent = self
            .mail_owners(&platform, &incident, now, |email| {
                self.identity
                    .send_sentinel_alert(&platform, email, detector, done, &summary)
            })
            .await;
        Self::or_logged(sent, &platform, &incident, "sentinel alert");
        Ok(!spared)
    }
}
