//! A tenant's webhook endpoints, as owners (console), API credentials and
//! operators (management API, CLI) manage them: add one (its signing
//! secret shown once), change or disable it, rotate its secret, send it a
//! test event, read its deliveries and send one again. Every change is
//! audited (kind `webhook`). Delivery itself is `crate::webhooks`.
use serde_json::json;
use service_kit::clock::SharedClock;
use service_kit::paging::{Page, PageRequest};
use service_kit::secret::Secret;

use super::{Actor, ManageError};
use crate::domain::audit::{AuditEvent, AuditKind};
use crate::domain::tenant::{Tenant, TenantId};
use crate::domain::webhook::delivery::{Attempt, Delivery};
use crate::domain::webhook::endpoint::{
    events_column, events_from_column, parse_description, parse_events, parse_url,
    PrivateEndpoints, WebhookRuleError, MAX_PER_TENANT,
};
use crate::domain::webhook::event::{test_payload, EventType};
use crate::store::audit::AuditStore;
use crate::store::webhooks::{EndpointChange, EndpointRow, NewDelivery, NewEndpoint, WebhookStore};
use crate::store::StoreError;
use crate::webhooks::WebhookSecrets;

/// How long a replaced secret keeps signing deliveries (beside the new
/// one), so receivers can switch without losing any.
pub const PREVIOUS_SECRET_SECS: i64 = 24 * 3600;
/// How often a secret rotation or an update tries again when another change
/// of the endpoint won the race.
const CHANGE_ATTEMPTS: usize = 3;

/// An endpoint as its owners see it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub id: String,
    pub url: String,
    pub description: String,
    pub events: Vec<EventType>,
    pub created_at: i64,
    pub updated_at: i64,
    /// When and why it was disabled (by its owners or after failing).
    pub disabled: Option<(i64, String)>,
    /// Since when every attempt has failed; `None` while it answers.
    pub failing_since: Option<i64>,
    /// Until when the secret it replaced still signs, after a rotation.
    pub previous_secret_until: Option<i64>,
}

/// What an endpoint is made from (as typed).
#[derive(Debug, Clone, Default)]
pub struct EndpointDraft {
    pub url: String,
    pub description: String,
    pub events: Vec<String>,
}

/// A change to an endpoint: what is `None` stays.
#[derive(Debug, Clone, Default)]
pub struct EndpointPatch {
    pub url: Option<String>,
    pub description: Option<String>,
    pub events: Option<Vec<String>>,
    pub enabled: Option<bool>,
}

/// A delivery and its attempts, for the delivery log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryLog {
    pub delivery: Delivery,
    pub attempts: Vec<Attempt>,
}

pub struct WebhookEndpoints {
    store: WebhookStore,
    secrets: WebhookSecrets,
    audit: AuditStore,
    private: PrivateEndpoints,
    /// How long a delivery is retried (a test delivery too).
    retry_secs: i64,
    clock: SharedClock,
}

/// What [`WebhookEndpoints`] is built from.
pub struct WebhookParts {
    pub store: WebhookStore,
    pub secrets: WebhookSecrets,
    pub audit: AuditStore,
    pub private: PrivateEndpoints,
    pub retry_secs: i64,
    pub clock: SharedClock,
}

impl WebhookEndpoints {
    pub fn new(p: WebhookParts) -> Self {
        Self {
            store: p.store,
            secrets: p.secrets,
            audit: p.audit,
            private: p.private,
            retry_secs: p.retry_secs,
            clock: p.clock,
        }
    }

    /// The tenant's endpoints, oldest first.
    pub async fn list(&self, tenant: TenantId) -> Result<Vec<Endpoint>, ManageError> {
        let rows = self.store.endpoints(tenant).await?;
        Ok(rows.into_iter().map(endpoint).collect())
    }

    pub async fn get(&self, tenant: TenantId, id: &str) -> Result<Endpoint, ManageError> {
        Ok(endpoint(self.store.endpoint(tenant, id).await?))
    }

    /// Adds an endpoint; its signing secret is returned this once.
    pub async fn create(
        &self,
        tenant: TenantId,
        draft: &EndpointDraft,
        actor: &Actor,
    ) -> Result<(Endpoint, Secret), ManageError> {
        let url = parse_url(&draft.url, self.private)?;
        let description = parse_description(&draft.description)?;
        let events = parse_events(&draft.events)?;
        let id = format!("whk_{}", uuid::Uuid::new_v4().simple());
        let (secret, sealed) = self
            .secrets
            .generate(&id)
            .map_err(ManageError::WebhookSecret)?;
        let now = self.clock.now();
        let added = self
            .store
            .insert_endpoint(
                &NewEndpoint {
                    id: &id,
                    tenant_id: tenant,
                    url: url.as_str(),
                    description: &description,
                    events: &events_column(&events),
                    secret_sealed: &sealed,
                    now,
                },
                MAX_PER_TENANT,
            )
            .await?;
        if !added {
            return Err(WebhookRuleError::TooMany.into());
        }
        self.record(
            tenant,
            "created",
            json!({"endpoint": id, "url": url.as_str()}),
            actor,
        )
        .await?;
        Ok((self.get(tenant, &id).await?, secret))
    }

    /// Changes what the patch names; enabling an endpoint clears its
    /// failure record, disabling it stops its deliveries (they wait).
    pub async fn update(
        &self,
        tenant: TenantId,
        id: &str,
        patch: &EndpointPatch,
        actor: &Actor,
    ) -> Result<Endpoint, ManageError> {
        // Written only over what was read: an update that lost the race to
        // another is made again on that one's result, so neither undoes
        // the other (a URL changed away from a compromised receiver stays).
        for _ in 0..CHANGE_ATTEMPTS {
            let current = self.store.endpoint(tenant, id).await?;
            let url = match &patch.url {
                Some(text) => parse_url(text, self.private)?.to_string(),
                None => current.url.clone(),
            };
            let description = match &patch.description {
                Some(text) => parse_description(text)?,
                None => current.description.clone(),
            };
            let events = match &patch.events {
                Some(names) => events_column(&parse_events(names)?),
                None => current.events.clone(),
            };
            let now = self.clock.now();
            let change = EndpointChange {
                url: &url,
                description: &description,
                events: &events,
                now,
                read: &current,
            };
            if !self.store.update_endpoint(tenant, id, &change).await? {
                continue;
            }
            match (patch.enabled, current.disabled_at) {
                (Some(true), Some(_)) => {
                    self.store.set_disabled(tenant, id, None, now).await?;
                }
                (Some(false), None) => {
                    let reason = format!("disabled {actor}");
                    self.store
                        .set_disabled(tenant, id, Some((now, &reason)), now)
                        .await?;
                }
                _ => {}
            }
            self.record(
                tenant,
                "updated",
                json!({"endpoint": id, "url": url, "enabled": patch.enabled}),
                actor,
            )
            .await?;
            return self.get(tenant, id).await;
        }
        Err(StoreError::Contended.into())
    }

    /// Deletes the endpoint and its delivery log.
    pub async fn delete(
        &self,
        tenant: TenantId,
        id: &str,
        actor: &Actor,
    ) -> Result<(), ManageError> {
        let current = self.store.endpoint(tenant, id).await?;
        self.store.delete_endpoint(tenant, id).await?;
        self.record(
            tenant,
            "deleted",
            json!({"endpoint": id, "url": current.url}),
            actor,
        )
        .await
    }

    /// A new signing secret, returned this once with the endpoint as it is
    /// now; deliveries carry a signature by the old one too for
    /// [`PREVIOUS_SECRET_SECS`] (until its `previous_secret_until`).
    pub async fn rotate_secret(
        &self,
        tenant: TenantId,
        id: &str,
        actor: &Actor,
    ) -> Result<(Endpoint, Secret), ManageError> {
        let (secret, sealed) = self
            .secrets
            .generate(id)
            .map_err(ManageError::WebhookSecret)?;
        let now = self.clock.now();
        let until = now.saturating_add(PREVIOUS_SECRET_SECS);
        for _ in 0..CHANGE_ATTEMPTS {
            let current = self.store.endpoint(tenant, id).await?;
            let rotated = self
                .store
                .rotate_secret(tenant, id, &sealed, &current.secret_sealed, until, now)
                .await?;
            if rotated {
                self.record(
                    tenant,
                    "secret_rotated",
                    json!({"endpoint": id, "previous_until": until}),
                    actor,
                )
                .await?;
                return Ok((self.get(tenant, id).await?, secret));
            }
        }
        Err(ManageError::SecretChangeCollided)
    }

    /// Queues a `webhook.test` delivery to the endpoint, sent within a
    /// second or two like any other; its id.
    pub async fn send_test(&self, tenant: &Tenant, id: &str) -> Result<String, ManageError> {
        self.store.endpoint(tenant.id, id).await?;
        let now = self.clock.now();
        let event_id = uuid::Uuid::new_v4().to_string();
        let tenant_id = tenant.id.to_string();
        let body = test_payload(&event_id, &tenant_id, tenant.slug.as_ref(), now).to_string();
        self.store
            .enqueue(&[NewDelivery {
                tenant_id: &tenant_id,
                endpoint_id: id,
                event_id: &event_id,
                event_type: EventType::WebhookTest.as_str(),
                payload: &body,
                now,
                retry_until: now.saturating_add(self.retry_secs),
            }])
            .await?;
        Ok(self.store.delivery_of(id, &event_id).await?.id)
    }

    /// A page of the endpoint's deliveries, newest first; the cursor is
    /// the last one's creation time and id (`1765000000.<id>`).
    pub async fn deliveries(
        &self,
        tenant: TenantId,
        endpoint: &str,
        page: &PageRequest,
    ) -> Result<Page<Delivery>, ManageError> {
        self.store.endpoint(tenant, endpoint).await?;
        let before = match page.after() {
            Some(cursor) => Some(
                cursor
                    .split_once('.')
                    .and_then(|(at, id)| Some((at.parse::<i64>().ok()?, id)))
                    .ok_or(WebhookRuleError::Cursor)?,
            ),
            None => None,
        };
        let rows = self
            .store
            .deliveries(tenant, endpoint, before, page.size().fetch())
            .await?;
        Ok(Page::from_overfetch(rows, page.size(), |d| {
            format!("{}.{}", d.created_at, d.id)
        }))
    }

    /// The delivery `id` of `endpoint`, with its attempts.
    pub async fn delivery(
        &self,
        tenant: TenantId,
        endpoint: &str,
        id: &str,
    ) -> Result<DeliveryLog, ManageError> {
        let (delivery, attempts) = self.store.delivery_with_attempts(tenant, id).await?;
        if delivery.endpoint_id != endpoint {
            return Err(StoreError::DeliveryNotFound.into());
        }
        Ok(DeliveryLog { delivery, attempts })
    }

    /// Sends the delivery once more, now (whatever became of it).
    pub async fn redeliver(
        &self,
        tenant: TenantId,
        endpoint: &str,
        id: &str,
        actor: &Actor,
    ) -> Result<DeliveryLog, ManageError> {
        self.delivery(tenant, endpoint, id).await?;
        self.store.redeliver(tenant, id, self.clock.now()).await?;
        self.record(
            tenant,
            "redelivered",
            json!({"endpoint": endpoint, "delivery": id}),
            actor,
        )
        .await?;
        self.delivery(tenant, endpoint, id).await
    }

    async fn record(
        &self,
        tenant: TenantId,
        outcome: &str,
        mut detail: serde_json::Value,
        actor: &Actor,
    ) -> Result<(), ManageError> {
        detail["by"] = json!(actor.to_string());
        self.audit
            .insert(&AuditEvent::system(
                tenant,
                AuditKind::Webhook,
                outcome,
                detail,
                self.clock.now(),
            ))
            .await?;
        tracing::info!(tenant_id = %tenant, outcome, %actor, "webhook endpoint changed");
        Ok(())
    }
}

fn endpoint(row: EndpointRow) -> Endpoint {
    Endpoint {
        events: events_from_column(&row.events),
        disabled: row
            .disabled_at
            .map(|at| (at, row.disabled_reason.clone().unwrap_or_default())),
        failing_since: row.failing_since,
        previous_secret_until: row.previous_until,
        id: row.id,
        url: row.url,
        description: row.description,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}
