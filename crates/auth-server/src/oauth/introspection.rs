//! Introspection (RFC 7662) and revocation (RFC 7009) of this tenant's
//! tokens, for the calling client.
//!
//! A refresh token or a user's access token is live while its grant is; a
//! client_credentials access token has no grant row and is live while its
//! `jti` is not revoked, its client is enabled and the client's secret has
//! not been rotated since it was issued.
use serde_json::{json, Map, Value};

use super::grants::refresh_token::{standing, Standing};
use super::mint::ACCESS_TOKEN_TYP;
use super::own_jwt::Expiry;
use super::OAuth;
use crate::domain::client::{Client, ClientId, ClientKind};
use crate::domain::grant::GrantId;
use crate::domain::tenant::Tenant;
use crate::error::{Challenge, OAuthCode, OAuthError};
use crate::store::clients::ClientStoreError;
use crate::store::refresh_tokens::FoundRefresh;
use crate::store::revoked_tokens::RevokedToken;
use crate::store::StoreError;

fn audiences(claims: &Map<String, Value>) -> Vec<&str> {
    match claims.get("aud") {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn text<'a>(claims: &'a Map<String, Value>, name: &str) -> &'a str {
    claims.get(name).and_then(Value::as_str).unwrap_or_default()
}

impl OAuth {
    /// `{"active": false}` unless `token` is a live token of this tenant
    /// that `caller` may see (its own, one naming it as audience, or any
    /// with `introspect:any`).
    pub async fn introspect(
        &self,
        tenant: &Tenant,
        caller: &Client,
        token: &str,
    ) -> Result<Value, OAuthError> {
        // RFC 7662 §2.1: the caller authenticates; a public client cannot.
        if caller.kind != ClientKind::Confidential {
            return Err(OAuthError::new(
                OAuthCode::InvalidClient,
                "introspection is for confidential clients",
            )
            .with_challenge(Challenge::Basic));
        }
        let inactive = json!({ "active": false });
        let now = self.now();
        let refresh = self.find_refresh_token(tenant, token).await?;
        if let Some(found) = refresh {
            let r = &found.record;
            // A refresh token is for the authorization server only: no audience.
            let live = caller.may_introspect(r.client_id.as_ref(), &[])
                && standing(&found, now) == Standing::Live;
            return Ok(if live {
                json!({ "active": true, "token_type": "refresh_token", "client_id": r.client_id.as_ref(),
                        "sub": r.user_id.to_string(), "scope": r.scope,
                        "exp": r.expires_at(), "iat": r.created_at,
                        "iss": self.issuer(tenant) })
            } else {
                inactive
            });
        }
        let Ok(mut claims) = self
            .verify_own(tenant, token, ACCESS_TOKEN_TYP, Expiry::Enforce)
            .await
        else {
            return Ok(inactive);
        };
        if !caller.may_introspect(text(&claims, "client_id"), &audiences(&claims))
            || !self.access_token_is_live(tenant, &claims).await?
        {
            return Ok(inactive);
        }
        claims.insert("active".into(), json!(true));
        claims.insert("token_type".into(), json!("Bearer"));
        Ok(Value::Object(claims))
    }

    /// The claims of `token` when it is one of this tenant's access tokens,
    /// its signature good, unexpired and still live (its grant, or for a
    /// client_credentials token its `jti`, client and secret); `None`
    /// otherwise.
    pub async fn live_access_token(
        &self,
        tenant: &Tenant,
        token: &str,
    ) -> Result<Option<Map<String, Value>>, OAuthError> {
        let Ok(claims) = self
            .verify_own(tenant, token, ACCESS_TOKEN_TYP, Expiry::Enforce)
            .await
        else {
            return Ok(None);
        };
        Ok(self
            .access_token_is_live(tenant, &claims)
            .await?
            .then_some(claims))
    }

    /// Whether a verified, unexpired access token is still live.
    async fn access_token_is_live(
        &self,
        tenant: &Tenant,
        claims: &Map<String, Value>,
    ) -> Result<bool, OAuthError> {
        if let Some(grant) = claims.get("gid") {
            return Ok(match grant.as_str().and_then(GrantId::parse) {
                Some(grant) => self.grant_is_live(tenant.id, grant).await?,
                None => false,
            });
        }
        // client_credentials: no grant row.
        if self.is_revoked(tenant.id, text(claims, "jti")).await? {
            return Ok(false);
        }
        let Ok(id) = ClientId::parse(text(claims, "client_id")) else {
            return Ok(false);
        };
        let client = match self.client(tenant.id, &id).await {
            Ok(client) => client,
            Err(ClientStoreError::NotFound | ClientStoreError::TenantNotFound) => return Ok(false),
            Err(e) => return Err(OAuthError::server(e)),
        };
        let issued_at = claims
            .get("iat")
            .and_then(Value::as_i64)
            .unwrap_or(i64::MIN);
        let rotated_at = client.secrets.as_ref().and_then(|s| s.rotated_at());
        Ok(!client.is_disabled() && rotated_at.is_none_or(|at| issued_at >= at))
    }

    /// Revokes `token` when it is a refresh or access token issued to
    /// `caller`: the grant behind it, or for a token without one its `jti`
    /// until it expires. Anything else is ignored (RFC 7009 §2.2).
    pub async fn revoke_token(
        &self,
        tenant: &Tenant,
        caller: &Client,
        token: &str,
    ) -> Result<(), OAuthError> {
        let now = self.now();
        let refresh = self.find_refresh_token(tenant, token).await?;
        if let Some(FoundRefresh { record: r, .. }) = refresh {
            if r.client_id == caller.id {
                self.grants
                    .revoke(tenant.id, r.grant_id, "revoked by client", now)
                    .await?;
            }
            return Ok(());
        }
        let Ok(claims) = self
            .verify_own(tenant, token, ACCESS_TOKEN_TYP, Expiry::Ignore)
            .await
        else {
            return Ok(());
        };
        if text(&claims, "client_id") != caller.id.as_ref() {
            return Ok(());
        }
        if let Some(grant) = claims.get("gid") {
            if let Some(grant) = grant.as_str().and_then(GrantId::parse) {
                self.grants
                    .revoke(tenant.id, grant, "revoked by client", now)
                    .await?;
            }
            return Ok(());
        }
        let expires_at = claims.get("exp").and_then(Value::as_i64).unwrap_or(now);
        if expires_at > now {
            self.revoked
                .insert(&RevokedToken {
                    tenant: tenant.id,
                    jti: text(&claims, "jti"),
                    client_id: caller.id.as_ref(),
                    expires_at,
                    revoked_at: now,
                })
                .await?;
            self.client_changed(tenant.id);
        }
        Ok(())
    }
}

impl OAuth {
    /// The refresh token `token`, if it is one of the tenant's. Refresh
    /// tokens are opaque base64url (no dots) and access tokens JWTs, so a
    /// JWT is not looked up.
    async fn find_refresh_token(
        &self,
        tenant: &Tenant,
        token: &str,
    ) -> Result<Option<FoundRefresh>, StoreError> {
        if token.contains('.') {
            return Ok(None);
        }
        self.refresh_tokens
            .find(tenant.id, &crate::opaque_secret::digest(token))
            .await
    }
}
