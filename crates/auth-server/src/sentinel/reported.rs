//! Alerts of incidents opened by hand (a client secret or a signing key
//! marked compromised, through the API, the console or the CLI): each
//! waits with its incident (`alert_due`) until the sentinel mails the
//! tenant's owners, under the same one-alert-per-interval rule as the
//! detectors' incidents. The CLI sends no mail itself; the running server
//! does, within a round.
use super::{Sentinel, SentinelError};
use crate::domain::sentinel::compromise::CompromiseAlert;
use crate::store::reported_incidents::DueAlert;
use crate::store::StoreError;

impl Sentinel {
    /// Mails every waiting alert (or lets the alert interval drop it), and
    /// marks each done. One alert's failure is logged and tried again next
    /// round; the others go on.
    pub(super) async fn mail_reported(&self) -> Result<(), SentinelError> {
        for due in self.reported.due().await? {
            if let Err(e) = self.mail_due(&due).await {
                tracing::warn!(error = %e, incident = %due.incident, "compromise alert not sent; retrying next round");
            }
        }
        Ok(())
    }

    async fn mail_due(&self, due: &DueAlert) -> Result<(), SentinelError> {
        let tenant = match self.tenants.get(due.tenant_id).await {
            Ok(t) => Some(t),
            Err(StoreError::TenantNotFound) => None,
            Err(e) => return Err(e.into()),
        };
        match (tenant, CompromiseAlert::from_json(&due.alert)) {
            (Some(tenant), Some(alert)) => {
                let now = self.clock.now();
                self.mail_owners(&tenant, &due.incident, now, |email| {
                    self.identity.send_compromise_alert(&tenant, email, &alert)
                })
                .await?;
            }
            (None, _) => {}
            (Some(_), None) => {
                tracing::error!(incident = %due.incident, "an incident's alert does not read; not mailed");
            }
        }
        Ok(self.reported.done(&due.incident).await?)
    }
}
