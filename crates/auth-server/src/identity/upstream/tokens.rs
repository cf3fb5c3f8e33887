//! The tokens a provider gave at a sign-in, kept sealed for the tenant's
//! backend when the provider is set to keep them.
use serde::{Deserialize, Serialize};

use super::UpstreamError;
use crate::domain::upstream::UpstreamProvider;
use crate::identity::{Identity, IdentityError};

/// What a provider account's kept tokens are sealed to.
pub fn tokens_owner(provider_id: &str, subject: &str) -> String {
    format!("upstream-tokens:{provider_id}:{subject}")
}

/// The tokens a provider gave at a sign-in, as kept for the tenant's
/// backend when the provider keeps them. `Debug` shows no token.
#[derive(Serialize, Deserialize, Clone, Default)]
pub struct UpstreamTokens {
    pub access_token: Option<String>,
    pub refresh_token: Option<String>,
    pub id_token: Option<String>,
    pub token_type: Option<String>,
    pub scope: Option<String>,
    /// When the access token expires (Unix seconds), if the provider said.
    pub expires_at: Option<i64>,
}

impl std::fmt::Debug for UpstreamTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamTokens")
            .field("token_type", &self.token_type)
            .field("scope", &self.scope)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// Keeps the sign-in's tokens, sealed and bound to the provider
    /// account, when the provider is set to keep them.
    pub(super) async fn keep_upstream_tokens(
        &self,
        provider: &UpstreamProvider,
        subject: &str,
        tokens: &UpstreamTokens,
    ) -> Result<(), UpstreamError> {
        if !provider.keep_tokens {
            return Ok(());
        }
        let json =
            serde_json::to_vec(tokens).map_err(|e| IdentityError::Internal(e.to_string()))?;
        let sealed = self
            .services
            .keys
            .seal(&json, &tokens_owner(&provider.id, subject))
            .map_err(IdentityError::from)?;
        self.upstream
            .keep_tokens(&provider.id, subject, &sealed, self.now())
            .await?;
        Ok(())
    }
}
