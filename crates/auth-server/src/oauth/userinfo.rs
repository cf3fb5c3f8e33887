//! The userinfo use case (OIDC Core §5.3): the claims a live access token
//! releases, by its scopes, when its audience includes the userinfo endpoint.
//! Refusals are RFC 6750 §3.1 codes; `http/oidc/userinfo.rs` adds the challenge.
use serde_json::{Map, Value};

use super::mint::{user_claims, ACCESS_TOKEN_TYP};
use super::own_jwt::{Expiry, OwnJwtError};
use super::OAuth;
use crate::domain::grant::GrantId;
use crate::domain::scope::ScopeSet;
use crate::domain::tenant::Tenant;
use crate::domain::user::UserId;
use crate::error::{OAuthCode, OAuthError};

fn invalid(description: &str) -> OAuthError {
    OAuthError::new(OAuthCode::InvalidToken, description)
}

impl OAuth {
    /// The userinfo endpoint of `tenant`: where access tokens for it point.
    pub fn userinfo_endpoint(&self, tenant: &Tenant) -> String {
        format!("{}/userinfo", self.issuer(tenant))
    }

    /// The user's claims released by `token`, with `sub`.
    pub async fn userinfo(
        &self,
        tenant: &Tenant,
        token: &str,
    ) -> Result<Map<String, Value>, OAuthError> {
        let claims = self
            .verify_own(tenant, token, ACCESS_TOKEN_TYP, Expiry::Enforce)
            .await
            .map_err(|e| match e {
                OwnJwtError::Keys => OAuthError::server(e),
                OwnJwtError::Invalid
                | OwnJwtError::Expired
                | OwnJwtError::WrongType
                | OwnJwtError::WrongIssuer => invalid(&e.to_string()),
            })?;
        let endpoint = self.userinfo_endpoint(tenant);
        let aud_ok = match claims.get("aud") {
            Some(Value::String(a)) => *a == endpoint,
            Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(endpoint.as_str())),
            _ => false,
        };
        if !aud_ok {
            return Err(OAuthError::new(
                OAuthCode::InsufficientScope,
                "the token was not issued for userinfo (openid scope)",
            ));
        }
        let live = match claims
            .get("gid")
            .and_then(Value::as_str)
            .and_then(GrantId::parse)
        {
            Some(grant) => self.grant_is_live(tenant.id, grant).await?,
            None => false,
        };
        if !live {
            return Err(invalid("the token was revoked"));
        }
        let scope = ScopeSet::parse(
            claims
                .get("scope")
                .and_then(Value::as_str)
                .unwrap_or_default(),
        )
        .map_err(|_| invalid("bad scope claim"))?;
        let user_id = claims
            .get("sub")
            .and_then(Value::as_str)
            .and_then(UserId::parse)
            .ok_or_else(|| invalid("the token is not about a user"))?;
        let user = match self.user_for_claims(tenant.id, user_id).await? {
            Some(u) if !u.is_disabled() => u,
            _ => return Err(invalid("the user is gone")),
        };
        let mut body = user_claims(&user, &scope);
        body.insert("sub".into(), Value::String(user.id.to_string()));
        Ok(body)
    }
}
