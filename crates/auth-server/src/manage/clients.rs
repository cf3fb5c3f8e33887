//! A tenant's OAuth clients. Every change is told to the OAuth caches, and
//! the key a client's ID tokens need exists before it signs anything.
use std::sync::Arc;

use serde_json::json;

use super::{Actor, ManageError};
use crate::domain::audit::{AuditEvent, AuditKind};
use crate::domain::client::{
    Client, ClientId, ClientKind, ClientSettings, ClientUpdate, PlainSecret, SecretOverlap,
};
use crate::domain::sentinel::compromise::{CompromiseAlert, Compromised};
use crate::domain::sentinel::reason::Reason;
use crate::domain::tenant::TenantId;
use crate::oauth::OAuth;
use crate::store::clients::ClientStore;
use crate::store::reported_incidents::{ReportedIncident, ReportedIncidentStore};
use service_kit::paging::{Page, PageRequest};

pub struct Clients {
    store: ClientStore,
    oauth: Arc<OAuth>,
    incidents: ReportedIncidentStore,
}

impl Clients {
    pub fn new(store: ClientStore, oauth: Arc<OAuth>, incidents: ReportedIncidentStore) -> Self {
        Self {
            store,
            oauth,
            incidents,
        }
    }

    /// A new client and, when confidential, its secret in clear: the only
    /// time it exists.
    pub async fn create(
        &self,
        tenant: TenantId,
        kind: ClientKind,
        settings: ClientSettings,
    ) -> Result<(Client, Option<PlainSecret>), ManageError> {
        self.insert(tenant, None, kind, settings).await
    }

    /// [`Clients::create`] with the id chosen by the operator rather than
    /// drawn: the development demo's client, whose id the README names.
    pub async fn create_with_id(
        &self,
        tenant: TenantId,
        id: ClientId,
        kind: ClientKind,
        settings: ClientSettings,
    ) -> Result<(Client, Option<PlainSecret>), ManageError> {
        self.insert(tenant, Some(id), kind, settings).await
    }

    async fn insert(
        &self,
        tenant: TenantId,
        id: Option<ClientId>,
        kind: ClientKind,
        settings: ClientSettings,
    ) -> Result<(Client, Option<PlainSecret>), ManageError> {
        self.oauth
            .ensure_signing_keys(tenant, settings.id_token_alg())
            .await
            .map_err(ManageError::Keys)?;
        let (mut client, secret) = Client::create(tenant, kind, settings, self.oauth.now())?;
        if let Some(id) = id {
            client.id = id;
        }
        self.store.create(&client).await?;
        self.oauth.client_changed(tenant);
        tracing::info!(tenant_id = %tenant, client_id = %client.id, kind = kind.as_str(), "client created");
        Ok((client, secret))
    }

    pub async fn list(
        &self,
        tenant: TenantId,
        page: &PageRequest,
    ) -> Result<Page<Client>, ManageError> {
        Ok(self.store.list(tenant, page).await?)
    }

    pub async fn get(&self, tenant: TenantId, id: &ClientId) -> Result<Client, ManageError> {
        Ok(self.store.get(tenant, id).await?)
    }

    pub async fn update(
        &self,
        tenant: TenantId,
        id: &ClientId,
        update: ClientUpdate,
    ) -> Result<Client, ManageError> {
        let client = self
            .store
            .update(tenant, id, update, self.oauth.now())
            .await?;
        self.oauth.client_changed(tenant);
        self.oauth
            .ensure_signing_keys(tenant, client.settings.id_token_alg())
            .await
            .map_err(ManageError::Keys)?;
        tracing::info!(tenant_id = %tenant, client_id = %id, "client updated");
        Ok(client)
    }

    /// A new secret, in clear this once; the previous one keeps working for
    /// `overlap`.
    pub async fn rotate_secret(
        &self,
        tenant: TenantId,
        id: &ClientId,
        overlap: SecretOverlap,
    ) -> Result<(Client, PlainSecret), ManageError> {
        let rotated = self
            .store
            .rotate_secret(tenant, id, overlap, self.oauth.now())
            .await?;
        self.oauth.client_changed(tenant);
        tracing::info!(tenant_id = %tenant, client_id = %id, overlap_secs = overlap.secs(), "client secret rotated");
        Ok(rotated)
    }

    /// The client's secret leaked (`reason`): a new one at once, the old
    /// one refused from now, every grant and token the client holds revoked
    /// (`OAuth::replace_leaked_secret`). Recorded as a security incident
    /// (`sentinel` / `client_secret_compromised`), which the console's
    /// events list and the tenant's webhooks (`security.incident`) show and
    /// whose alert the sentinel mails to the owners. The new secret is only
    /// in the answer to whoever marked it: never in the incident, the alert
    /// or a mail.
    pub async fn secret_compromised(
        &self,
        tenant: TenantId,
        id: &ClientId,
        reason: &Reason,
        actor: &Actor,
    ) -> Result<(Client, PlainSecret), ManageError> {
        let (client, secret, revoked) = self.oauth.replace_leaked_secret(tenant, id).await?;
        let incident = uuid::Uuid::new_v4().to_string();
        let what = Compromised::ClientSecret;
        let detail = json!({
            "incident": incident,
            "subject": id.as_ref(),
            "reason": reason.as_str(),
            "by": actor.to_string(),
            "actions": ["secret_replaced", "grants_revoked", "client_credentials_tokens_refused"],
            "evidence": {"grants_revoked": revoked},
        });
        let alert = CompromiseAlert::new(what, id.as_ref(), None, reason, actor.reported_by());
        let now = self.oauth.now();
        self.incidents
            .record(&ReportedIncident {
                id: incident,
                tenant_id: tenant,
                name: what.incident(),
                subject: id.as_ref().to_owned(),
                opened_at: now,
                alert: alert.to_json(),
                event: AuditEvent::system(
                    tenant,
                    AuditKind::Sentinel,
                    what.incident(),
                    detail,
                    now,
                ),
            })
            .await?;
        tracing::warn!(tenant_id = %tenant, client_id = %id, revoked, %actor, "client secret marked compromised: replaced, grants revoked");
        Ok((client, secret))
    }

    /// Enables a disabled client: it gets tokens again; what was revoked
    /// when it was disabled stays revoked.
    pub async fn enable(&self, tenant: TenantId, id: &ClientId) -> Result<Client, ManageError> {
        let client = self.store.enable(tenant, id, self.oauth.now()).await?;
        self.oauth.client_changed(tenant);
        tracing::info!(tenant_id = %tenant, client_id = %id, "client enabled");
        Ok(client)
    }

    /// Disables the client and revokes every grant it holds.
    pub async fn disable(&self, tenant: TenantId, id: &ClientId) -> Result<Client, ManageError> {
        let (client, revoked) = self.oauth.disable_client(tenant, id).await?;
        tracing::info!(tenant_id = %tenant, client_id = %id, revoked, "client disabled; its grants are revoked");
        Ok(client)
    }
}
