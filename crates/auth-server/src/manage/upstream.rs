//! A tenant's upstream identity providers, as operators, API credentials
//! and the console manage them. The client secret is sealed at once and
//! never shown again.
use std::sync::Arc;

use service_kit::clock::SharedClock;
use url::Url;

use super::ManageError;
use crate::domain::display_name::DisplayName;
use crate::domain::tenant::TenantId;
use crate::domain::upstream::{
    callback_url, parse_client_id, parse_client_secret, PrivateUpstreams, ProviderDraft,
    ProviderSlug, UpstreamProvider, UpstreamRuleError,
};
use crate::domain::upstream_settings::{change_settings, parse_settings, SettingsInput};
use crate::domain::user::UserId;
use crate::identity::upstream::{secret_owner, tokens_owner, UpstreamTokens};
use crate::identity::IdentityError;
use crate::keys::sealed::MasterKeys;
use crate::store::upstream::UpstreamStore;
use crate::store::StoreError;

/// A provider's settings as asked: for a new provider, `client_id`,
/// `client_secret` and a preset, an issuer or (kind `oauth2`) the
/// endpoints are required; for a change, what is absent stays. `Debug`
/// shows no secret.
#[derive(Default)]
pub struct ProviderInput {
    pub slug: Option<String>,
    pub display_name: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub enabled: Option<bool>,
    /// Keep the provider's tokens of each sign-in for the tenant's backend.
    pub keep_tokens: Option<bool>,
    /// How the provider is reached (preset, kind, issuer, endpoints,
    /// mapping, scopes): the rules are in the domain.
    pub settings: SettingsInput,
}

impl std::fmt::Debug for ProviderInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderInput")
            .field("slug", &self.slug)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "…"))
            .field("settings", &self.settings)
            .finish()
    }
}

/// The tokens a provider gave at the user's last sign-in through it.
/// `Debug` shows no token.
pub struct UserUpstreamTokens {
    pub provider_id: String,
    pub provider_slug: String,
    pub subject: String,
    pub tokens: UpstreamTokens,
    pub obtained_at: Option<i64>,
}

impl std::fmt::Debug for UserUpstreamTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserUpstreamTokens")
            .field("provider_slug", &self.provider_slug)
            .field("tokens", &self.tokens)
            .finish_non_exhaustive()
    }
}

/// What [`Upstreams`] is built from (the server's parts, or the CLI's).
pub struct UpstreamParts {
    pub store: UpstreamStore,
    pub master: Arc<MasterKeys>,
    pub private: PrivateUpstreams,
    pub public_url: Url,
    pub clock: SharedClock,
}

pub struct Upstreams {
    store: UpstreamStore,
    master: Arc<MasterKeys>,
    private: PrivateUpstreams,
    public_url: Url,
    clock: SharedClock,
}

impl Upstreams {
    pub fn new(p: UpstreamParts) -> Self {
        Self {
            store: p.store,
            master: p.master,
            private: p.private,
            public_url: p.public_url,
            clock: p.clock,
        }
    }

    /// The redirect URI to register at every provider of the tenant.
    pub fn callback_url(&self, tenant: &crate::domain::tenant::Tenant) -> String {
        callback_url(&self.public_url, tenant.slug.as_ref())
    }

    pub async fn list(&self, tenant: TenantId) -> Result<Vec<UpstreamProvider>, ManageError> {
        Ok(self.store.list(tenant).await?)
    }

    pub async fn get(&self, tenant: TenantId, id: &str) -> Result<UpstreamProvider, ManageError> {
        Ok(self.store.get(tenant, id).await?)
    }

    pub async fn create(
        &self,
        tenant: TenantId,
        input: ProviderInput,
    ) -> Result<UpstreamProvider, ManageError> {
        let settings = parse_settings(&input.settings, self.private)?;
        let preset = settings.preset;
        let slug = match (input.slug.as_deref(), preset) {
            (Some(s), _) => ProviderSlug::parse(s)?,
            (None, Some(p)) => ProviderSlug::parse(p.slug())?,
            (None, None) => return Err(UpstreamRuleError::Missing("slug").into()),
        };
        let display_name = match (input.display_name.as_deref(), preset) {
            (Some(n), _) => DisplayName::parse(n).map_err(UpstreamRuleError::from)?,
            (None, Some(p)) => {
                DisplayName::parse(p.display_name()).map_err(UpstreamRuleError::from)?
            }
            (None, None) => return Err(UpstreamRuleError::Missing("display_name").into()),
        };
        let draft = ProviderDraft {
            slug,
            display_name,
            settings,
            client_id: parse_client_id(
                input
                    .client_id
                    .as_deref()
                    .ok_or(UpstreamRuleError::Missing("client_id"))?,
            )?,
            enabled: input.enabled.unwrap_or(true),
            keep_tokens: input.keep_tokens.unwrap_or(false),
        };
        let secret = parse_client_secret(
            input
                .client_secret
                .as_deref()
                .ok_or(UpstreamRuleError::Missing("client_secret"))?,
        )?;
        let id = uuid::Uuid::new_v4().to_string();
        let sealed = self.seal(tenant, &id, &secret)?;
        let provider = self
            .store
            .create(&id, tenant, &draft, &sealed, self.clock.now())
            .await?;
        tracing::info!(
            tenant_id = %tenant,
            provider = %provider.slug,
            kind = provider.settings.protocol.kind().as_str(),
            "upstream provider added"
        );
        Ok(provider)
    }

    /// Changes what `input` names; the rest stays. Written only over the
    /// provider as read: an update that lost the race to another is made
    /// again on that one's result (three times at most), so neither undoes
    /// the other (a `trust_email` turned off stays off).
    pub async fn update(
        &self,
        tenant: TenantId,
        id: &str,
        input: ProviderInput,
    ) -> Result<UpstreamProvider, ManageError> {
        let sealed = match input.client_secret.as_deref() {
            Some(secret) => Some(self.seal(tenant, id, &parse_client_secret(secret)?)?),
            None => None,
        };
        for _ in 0..3 {
            let (current, revision) = self.store.get_for_update(tenant, id).await?;
            let draft = ProviderDraft {
                slug: match input.slug.as_deref() {
                    Some(s) => ProviderSlug::parse(s)?,
                    None => current.slug.clone(),
                },
                display_name: match input.display_name.as_deref() {
                    Some(n) => DisplayName::parse(n).map_err(UpstreamRuleError::from)?,
                    None => current.display_name.clone(),
                },
                settings: change_settings(&current.settings, &input.settings, self.private)?,
                client_id: parse_client_id(
                    input.client_id.as_deref().unwrap_or(&current.client_id),
                )?,
                enabled: input.enabled.unwrap_or(current.enabled),
                keep_tokens: input.keep_tokens.unwrap_or(current.keep_tokens),
            };
            let updated = self
                .store
                .update(
                    tenant,
                    id,
                    &draft,
                    sealed.as_deref(),
                    self.clock.now(),
                    revision,
                )
                .await?;
            if let Some(provider) = updated {
                return Ok(provider);
            }
        }
        Err(StoreError::Contended.into())
    }

    /// Removes the provider and every account link to it; users who had
    /// no other way in reset their password by email.
    pub async fn delete(&self, tenant: TenantId, id: &str) -> Result<(), ManageError> {
        self.store.delete(tenant, id).await?;
        tracing::info!(tenant_id = %tenant, provider_id = %id, "upstream provider removed");
        Ok(())
    }

    /// The tokens kept for `user` (by the providers that keep them),
    /// unsealed: for the tenant's backend, never for a page.
    pub async fn user_tokens(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Vec<UserUpstreamTokens>, ManageError> {
        let kept = self.store.kept_tokens(tenant, user).await?;
        let mut out = Vec::with_capacity(kept.len());
        for k in kept {
            let json = self
                .master
                .open(&k.sealed, &tokens_owner(&k.provider_id, &k.subject))
                .map_err(|e| ManageError::Identity(IdentityError::from(e)))?;
            let tokens: UpstreamTokens = serde_json::from_slice(&json).map_err(|e| {
                ManageError::Identity(IdentityError::Internal(format!(
                    "kept upstream tokens unreadable: {e}"
                )))
            })?;
            out.push(UserUpstreamTokens {
                provider_id: k.provider_id,
                provider_slug: k.provider_slug,
                subject: k.subject,
                tokens,
                obtained_at: k.obtained_at,
            });
        }
        Ok(out)
    }

    fn seal(&self, tenant: TenantId, id: &str, secret: &str) -> Result<String, ManageError> {
        let owner = secret_owner(tenant, id);
        self.master
            .seal(secret.as_bytes(), &owner)
            .map_err(|e| ManageError::Identity(IdentityError::from(e)))
    }
}
