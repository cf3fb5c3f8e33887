//! Master-key rotation: every value sealed with an older key of the ring is
//! opened and sealed again with the ring's first key, so the older key can
//! leave the ring without anyone losing anything: signing keys (tokens keep
//! verifying), TOTP seeds (nobody re-enrols), upstream providers' client
//! secrets and the provider tokens kept for users, webhook signing secrets.
//! Sessions are not sealed: nobody is signed out.
use std::sync::Arc;

use zeroize::Zeroizing;

use super::keyring::{KeyService, KeyringError};
use super::sealed::{MasterKeys, SealError};
use crate::identity::mfa::totp_owner;
use crate::identity::upstream::{secret_owner, tokens_owner};
use crate::store::sealed_values::{SealedColumn, SealedValue, SealedValueStore};
use crate::store::StoreError;

/// How many values each kind had resealed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ResealReport {
    pub signing_keys: usize,
    pub totp_seeds: usize,
    pub upstream_client_secrets: usize,
    pub upstream_tokens: usize,
    pub webhook_secrets: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ResealError {
    #[error(transparent)]
    Keys(#[from] KeyringError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A value no key of the ring opens: the ring misses the key that
    /// sealed it, or the value was tampered with. Nothing after it is
    /// resealed; what was resealed before stays resealed (each value is
    /// replaced on its own, conditionally).
    #[error("{what} ({key}) does not open: {source}")]
    Open {
        what: &'static str,
        key: String,
        #[source]
        source: SealError,
    },
    #[error("cannot seal: {0}")]
    Seal(#[source] SealError),
}

pub struct Resealer {
    keys: Arc<KeyService>,
    values: SealedValueStore,
    master: Arc<MasterKeys>,
}

impl Resealer {
    pub fn new(keys: Arc<KeyService>, values: SealedValueStore, master: Arc<MasterKeys>) -> Self {
        Self {
            keys,
            values,
            master,
        }
    }

    /// Reseals every value not sealed with the ring's first key. Safe to
    /// run while servers serve, and again after an interruption: a value
    /// changed meanwhile is left as the server wrote it (sealed with the
    /// current key already).
    pub async fn reseal_all(&self) -> Result<ResealReport, ResealError> {
        let mut report = ResealReport {
            signing_keys: self.keys.reseal_all(&self.master).await?,
            ..ResealReport::default()
        };
        for column in SealedColumn::ALL {
            let values = self
                .values
                .not_sealed_with(column, self.master.current_id())
                .await?;
            let mut resealed = 0;
            for value in &values {
                if self.reseal(value).await? {
                    resealed += 1;
                }
            }
            match column {
                SealedColumn::TotpSeeds => report.totp_seeds = resealed,
                SealedColumn::UpstreamClientSecrets => report.upstream_client_secrets = resealed,
                SealedColumn::UpstreamTokens => report.upstream_tokens = resealed,
                SealedColumn::WebhookSecrets | SealedColumn::WebhookPreviousSecrets => {
                    report.webhook_secrets += resealed;
                }
            }
        }
        Ok(report)
    }

    async fn reseal(&self, value: &SealedValue) -> Result<bool, ResealError> {
        let (what, owner) = owner_of(value);
        let plain = self
            .master
            .open(&value.sealed, &owner)
            .map(Zeroizing::new)
            .map_err(|source| ResealError::Open {
                what,
                key: format!("{}/{}", value.key.0, value.key.1),
                source,
            })?;
        let resealed = self
            .master
            .seal(&plain, &owner)
            .map_err(ResealError::Seal)?;
        Ok(self.values.replace(value, &resealed).await?)
    }
}

/// What the value is, and what its seal is bound to.
fn owner_of(value: &SealedValue) -> (&'static str, String) {
    let (a, b) = (&value.key.0, &value.key.1);
    match value.column {
        SealedColumn::TotpSeeds => ("a TOTP seed", totp_owner(a, b)),
        SealedColumn::UpstreamClientSecrets => match crate::domain::tenant::TenantId::parse(a) {
            Ok(tenant) => ("an upstream client secret", secret_owner(tenant, b)),
            // Not a tenant id: no owner opens it, and the error says which row.
            Err(_) => ("an upstream client secret", String::new()),
        },
        SealedColumn::UpstreamTokens => ("a user's provider tokens", tokens_owner(a, b)),
        SealedColumn::WebhookSecrets | SealedColumn::WebhookPreviousSecrets => (
            "a webhook signing secret",
            crate::webhooks::secrets::owner(a),
        ),
    }
}
