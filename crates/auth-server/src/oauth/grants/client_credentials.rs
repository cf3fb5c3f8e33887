//! `grant_type=client_credentials`: a confidential client acting for itself.
//! `sub` is the client id, which can never collide with a user's (`cli_` prefix).
//!
//! Such a token has no user, session or refresh token, so it has no grant
//! row: nothing is written per token. It is refused at introspection once
//! revoked (its `jti` is listed until `exp`), once its client is disabled,
//! and once the client's secret was rotated after it was issued.
use crate::domain::client::{Client, ClientKind, GrantType};
use crate::domain::scope::{is_oidc_scope, ScopeSet};
use crate::domain::tenant::Tenant;
use crate::error::{OAuthCode, OAuthError};
use crate::oauth::mint::{Subject, TokenResponse};
use crate::oauth::OAuth;

impl OAuth {
    pub async fn client_credentials(
        &self,
        tenant: &Tenant,
        client: &Client,
        scope: Option<&str>,
        resource: Option<&str>,
    ) -> Result<TokenResponse, OAuthError> {
        if client.kind != ClientKind::Confidential
            || !client.allows_grant(GrantType::ClientCredentials)
        {
            return Err(OAuthError::new(
                OAuthCode::UnauthorizedClient,
                "this client may not use client_credentials",
            ));
        }
        // User-facing OIDC scopes mean nothing without a user.
        let allowed = ScopeSet::from_tokens(
            client
                .settings
                .scopes()
                .iter()
                .filter(|s| !is_oidc_scope(s)),
        )
        .map_err(OAuthError::server)?;
        let scope = match scope {
            Some(text) => {
                let asked = ScopeSet::parse(text)
                    .map_err(|e| OAuthError::new(OAuthCode::InvalidScope, e.to_string()))?;
                if !allowed.allows(&asked) {
                    return Err(OAuthError::new(
                        OAuthCode::InvalidScope,
                        "scope not allowed for this client",
                    ));
                }
                asked
            }
            None => allowed,
        };
        let subject = Subject {
            tenant,
            client,
            user: None,
            scope: &scope,
            resource,
            grant_id: None,
            auth_time: None,
            amr: None,
        };
        let (access_token, expires_in) = self.mint_access_token(&subject).await?;
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer".into(),
            expires_in,
            scope: scope.to_string(),
            refresh_token: None,
            id_token: None,
        })
    }
}
