//! Step-up for the accounts an attack targeted: each that exists is marked
//! for `AUTH_SENTINEL_STEP_UP_SECS`, and its next password logins need a
//! second step (`identity::step_up`).
use serde_json::json;

use super::{Sentinel, SentinelError};
use crate::domain::sentinel::step_up::mark_until;
use crate::domain::sentinel::{Detector, Finding};
use crate::domain::tenant::Tenant;
use crate::domain::user::UserId;

impl Sentinel {
    /// Marks the existing accounts `finding` targeted, as part of the
    /// opening of `incident`; one `stepped_up` audit event per account
    /// newly marked (on the user, never naming the address). Answers how
    /// many were.
    pub(super) async fn step_up(
        &self,
        tenant: &Tenant,
        finding: &Finding,
        incident: &str,
        now: i64,
    ) -> Result<usize, SentinelError> {
        if mark_until(now, self.settings.step_up_secs).is_none() || finding.targets.is_empty() {
            return Ok(0);
        }
        // The trail records the digest of the account an attempt named and,
        // when the account exists, its user: the digest alone cannot be
        // turned back into an address.
        let since = now.saturating_sub(self.settings.thresholds.window_secs);
        let users = self
            .step_up
            .users_of_accounts(tenant.id, &finding.targets, since)
            .await?;
        let mut marked = 0;
        for user in users {
            if self
                .mark_user(tenant, user, finding.detector, incident, now)
                .await?
            {
                marked += 1;
            }
        }
        if marked > 0 {
            tracing::warn!(tenant = %tenant.slug, incident, accounts = marked, "sentinel stepped up accounts");
        }
        Ok(marked)
    }
}

impl Sentinel {
    /// Marks `user` for step-up as part of `incident` of `detector`, with
    /// its `stepped_up` audit event; false when step-up is off or a mark
    /// is still live.
    pub(super) async fn mark_user(
        &self,
        tenant: &Tenant,
        user: UserId,
        detector: Detector,
        incident: &str,
        now: i64,
    ) -> Result<bool, SentinelError> {
        let Some(until) = mark_until(now, self.settings.step_up_secs) else {
            return Ok(false);
        };
        if !self
            .step_up
            .mark(tenant.id, user, incident, now, until)
            .await?
        {
            return Ok(false);
        }
        let detail = json!({
            "incident": incident,
            "detector": detector.as_str(),
            "expires_at": until,
        });
        self.record_on(tenant, Some(user), "stepped_up", &detail, now)
            .await?;
        Ok(true)
    }
}
