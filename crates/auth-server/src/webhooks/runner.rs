//! The webhooks' loop: every [`TICK`], hold the lease (one instance across
//! the cluster), fan the new audit events out into the outbox, send what
//! is due, move each delivery on by its answer.
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use serde_json::json;
use service_kit::periodic::{spawn_every, First};
use service_kit::secret::Secret;
use tokio::task::JoinHandle;

use super::send::delivered;
use super::{Dispatcher, WebhookError};
use crate::domain::audit::{AuditEvent, AuditKind};
use crate::domain::team::Role;
use crate::domain::tenant::TenantId;
use crate::domain::webhook::delivery::{Attempt, Delivery};
use crate::domain::webhook::retry::{after_failure, failed_too_long, AfterFailure};
use crate::store::webhooks::{AttemptOutcome, EndpointRow};

/// How often new events are fanned out and due deliveries sent.
pub const TICK: Duration = Duration::from_secs(1);
/// How long the lease lasts without renewal (seconds of the clock), at
/// least. A round renews it after each batch, and a batch takes at most two
/// attempt timeouts: the lease lasts three, so it does not run out under a
/// live holder.
const LEASE_SECS: i64 = 30;
/// Deliveries sent at once, and per batch.
const CONCURRENCY: usize = 8;
const BATCH: i64 = 16;

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    /// Deliveries written to the outbox.
    pub queued: usize,
    /// Attempts made.
    pub attempted: usize,
}

impl Dispatcher {
    /// Runs [`Dispatcher::tick`] every [`TICK`] until the server stops.
    pub fn spawn(self: Arc<Self>) -> JoinHandle<()> {
        spawn_every("webhooks", TICK, First::Now, move || {
            let dispatcher = self.clone();
            async move {
                if let Err(e) = dispatcher.tick().await {
                    tracing::warn!(error = %e, "webhook round failed; retrying next tick");
                }
            }
        })
    }

    /// One round; `None` when another instance holds the lease.
    pub async fn tick(&self) -> Result<Option<Round>, WebhookError> {
        if !self.lease().await? {
            return Ok(None);
        }
        let endpoints = self.store.enabled_endpoints().await?;
        let queued = self.fan_out(&endpoints).await?;
        let by_id: HashMap<&str, &EndpointRow> =
            endpoints.iter().map(|e| (e.id.as_str(), e)).collect();
        let mut attempted = 0;
        loop {
            let due = self.store.due(self.clock.now(), BATCH).await?;
            let count = due.len();
            let by_id = &by_id;
            attempted += count;
            stream::iter(due)
                .for_each_concurrent(CONCURRENCY, |d| async move {
                    let Some(endpoint) = by_id.get(d.endpoint_id.as_str()) else {
                        // Enabled since the round began: the next round sends it.
                        return;
                    };
                    if let Err(e) = self.deliver(endpoint, &d).await {
                        tracing::warn!(error = %e, delivery = %d.id, "webhook delivery not recorded");
                    }
                })
                .await;
            if count < usize::try_from(BATCH).unwrap_or(usize::MAX) || !self.lease().await? {
                break;
            }
        }
        Ok(Some(Round { queued, attempted }))
    }

    async fn lease(&self) -> Result<bool, WebhookError> {
        let now = self.clock.now();
        let secs = i64::try_from(self.settings.timeout.as_secs())
            .unwrap_or(LEASE_SECS)
            .saturating_mul(3)
            .max(LEASE_SECS);
        Ok(self
            .store
            .try_lease(&self.instance, now, now.saturating_add(secs))
            .await?)
    }

    /// One attempt of `d` and what follows from its answer.
    async fn deliver(&self, endpoint: &EndpointRow, d: &Delivery) -> Result<(), WebhookError> {
        let now = self.clock.now();
        let attempt = match self.signing_secrets(endpoint, now) {
            Ok(secrets) => self.sender.attempt(d, &endpoint.url, &secrets, now).await,
            // Nothing unsigned leaves; the delivery fails like any other
            // (the master key that sealed the secret left the ring).
            Err(e) => {
                tracing::error!(error = %e, endpoint = %endpoint.id, "webhook secret cannot be opened");
                Attempt {
                    attempted_at: now,
                    status: None,
                    error: Some("the endpoint's signing secret cannot be opened".to_owned()),
                    duration_ms: 0,
                }
            }
        };
        let outcome = if delivered(attempt.status) {
            AttemptOutcome::Delivered
        } else {
            match after_failure(d.attempts.saturating_add(1), now, d.retry_until) {
                AfterFailure::RetryAt(at) => AttemptOutcome::RetryAt(at),
                AfterFailure::GiveUp => AttemptOutcome::Failed,
            }
        };
        let label = match outcome {
            AttemptOutcome::Delivered => "delivered",
            AttemptOutcome::RetryAt(_) => "retry",
            AttemptOutcome::Failed => "failed",
        };
        metrics::counter!("connectauth_webhook_attempts_total", "outcome" => label).increment(1);
        let failing_since = self.store.record_attempt(d, &attempt, outcome).await?;
        if outcome != AttemptOutcome::Delivered
            && failed_too_long(failing_since, now, self.settings.retry_secs)
        {
            self.disable(endpoint, now).await?;
        }
        Ok(())
    }

    /// The endpoint's secret, and the one it replaced while that still signs.
    fn signing_secrets(&self, e: &EndpointRow, now: i64) -> Result<Vec<Secret>, WebhookError> {
        let mut secrets = vec![self.secrets.open(&e.id, &e.secret_sealed)?];
        if let (Some(previous), Some(until)) = (&e.previous_secret_sealed, e.previous_until) {
            if now < until {
                secrets.push(self.secrets.open(&e.id, previous)?);
            }
        }
        Ok(secrets)
    }

    /// Disables an endpoint that failed for the whole retry period, records
    /// it and tells the tenant's owners.
    async fn disable(&self, endpoint: &EndpointRow, now: i64) -> Result<(), WebhookError> {
        let hours = self.settings.retry_secs / 3600;
        let reason = format!("every delivery failed for {hours} h");
        let tenant = TenantId::parse(&endpoint.tenant_id)
            .map_err(|_| crate::store::StoreError::Corrupt("webhook tenant id".into()))?;
        self.store
            .set_disabled(tenant, &endpoint.id, Some((now, &reason)), now)
            .await?;
        self.audit
            .insert(&AuditEvent::system(
                tenant,
                AuditKind::Webhook,
                "disabled",
                json!({"endpoint": endpoint.id, "url": endpoint.url, "reason": reason}),
                now,
            ))
            .await?;
        tracing::warn!(endpoint = %endpoint.id, tenant = %endpoint.tenant_slug, "webhook endpoint disabled");
        let owners = self.owners.list(tenant).await?;
        for owner in owners.iter().filter(|o| o.role == Role::Owner) {
            self.identity.send_webhook_disabled(
                &endpoint.tenant_slug,
                &owner.email,
                &endpoint.url,
                hours,
            )?;
        }
        Ok(())
    }

    /// Gives the lease back (at shutdown), so another instance takes over
    /// without waiting for it to run out.
    pub async fn stop(&self) {
        if let Err(e) = self.store.release(&self.instance).await {
            tracing::warn!(error = %e, "cannot release the webhook lease");
        }
    }
}
