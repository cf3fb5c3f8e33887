//! Minting tokens: access tokens per RFC 9068 (`typ: at+jwt`), ID tokens per
//! OIDC Core, opaque refresh tokens.
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256, Sha512};

use super::OAuth;
use crate::domain::client::Client;
use crate::domain::grant::GrantId;
use crate::domain::scope::ScopeSet;
use crate::domain::signing_alg::SigningAlg;
use crate::domain::tenant::{Tenant, TenantId};
use crate::domain::user::User;
use crate::error::{OAuthCode, OAuthError};
use crate::keys::keyring::KeyringError;
use crate::store::refresh_tokens::RefreshRecord;

/// Access tokens are always signed with ES256, whatever the client; ID tokens with the
/// client's choice.
pub const ACCESS_TOKEN_ALG: SigningAlg = SigningAlg::ES256;
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";
pub const ACR_MFA: &str = "urn:connectauth:acr:mfa";
pub const ACR_PASSWORD: &str = "urn:connectauth:acr:pwd";

/// The token endpoint's success body (RFC 6749 §5.1). `Debug` leaves the
/// tokens out.
#[derive(Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: i64,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use service_kit::secret::{redacted, REDACTED};
        f.debug_struct("TokenResponse")
            .field("access_token", &REDACTED)
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .field("refresh_token", &redacted(&self.refresh_token))
            .field("id_token", &redacted(&self.id_token))
            .finish()
    }
}

/// Who and what an access token speaks for.
pub struct Subject<'a> {
    pub tenant: &'a Tenant,
    pub client: &'a Client,
    /// The user, or `None` for client_credentials (then `sub` is the client).
    pub user: Option<&'a User>,
    pub scope: &'a ScopeSet,
    pub resource: Option<&'a str>,
    /// The grant the token belongs to; `None` for client_credentials, whose
    /// tokens have no grant row (claim `gid` absent).
    pub grant_id: Option<GrantId>,
    pub auth_time: Option<i64>,
    pub amr: Option<&'a str>,
}

impl OAuth {
    /// Makes the keys a client's tokens need: RS256 and ES256 (every tenant
    /// has them) and its ID-token algorithm, so that key is published in the
    /// JWKS and discovery before it signs anything.
    pub async fn ensure_signing_keys(
        &self,
        tenant: TenantId,
        id_token_alg: SigningAlg,
    ) -> Result<(), KeyringError> {
        self.keys.ensure_keys(tenant, &[id_token_alg]).await
    }
}

/// `at_hash`: left half of the access token's hash, with the hash of the ID
/// token's algorithm (SHA-512 for Ed25519).
fn at_hash(access_token: &str, alg: SigningAlg) -> String {
    let digest: Vec<u8> = match alg {
        SigningAlg::EdDSA => Sha512::digest(access_token.as_bytes()).to_vec(),
        SigningAlg::RS256 | SigningAlg::ES256 => Sha256::digest(access_token.as_bytes()).to_vec(),
    };
    URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

fn acr(amr: &str) -> &'static str {
    if crate::domain::passkey::amr_is_multi_factor(amr) {
        ACR_MFA
    } else {
        ACR_PASSWORD
    }
}

fn amr_list(amr: &str) -> Vec<&str> {
    amr.split(' ')
        .filter(|m| !m.is_empty())
        .map(|m| if m == "rec" { "otp" } else { m })
        .collect()
}

impl OAuth {
    /// The audience of a token that names no resource: the tenant's
    /// `default_audience`, else the issuer.
    pub fn default_audience(&self, tenant: &Tenant) -> String {
        tenant
            .settings
            .default_audience()
            .map_or_else(|| self.issuer(tenant), str::to_owned)
    }

    /// Refuses a `resource` the client may not ask for (RFC 8707 §2:
    /// `invalid_target`): only the default audience and its allowed resources.
    pub fn check_resource(
        &self,
        tenant: &Tenant,
        client: &Client,
        resource: Option<&str>,
    ) -> Result<(), OAuthError> {
        match resource {
            Some(r) if !client.allows_resource(r, &self.default_audience(tenant)) => {
                Err(OAuthError::new(
                    OAuthCode::InvalidTarget,
                    "this client may not ask tokens for that resource",
                ))
            }
            _ => Ok(()),
        }
    }

    /// The audiences of an access token: the requested resource (RFC 8707),
    /// else the default audience; plus the userinfo endpoint when `openid`
    /// was granted.
    pub fn audiences(
        &self,
        tenant: &Tenant,
        resource: Option<&str>,
        scope: &ScopeSet,
    ) -> Vec<String> {
        let main = resource.map_or_else(|| self.default_audience(tenant), str::to_owned);
        let mut aud = vec![main];
        if scope.has_openid() {
            aud.push(self.userinfo_endpoint(tenant));
        }
        aud
    }

    /// Checks the resource again on every grant, so a code or refresh token
    /// whose resource the client lost since gets no more tokens for it.
    pub async fn mint_access_token(&self, s: &Subject<'_>) -> Result<(String, i64), OAuthError> {
        self.check_resource(s.tenant, s.client, s.resource)?;
        let now = self.now();
        let ttl = s.client.settings.lifetimes().access_secs();
        let sub = s
            .user
            .map_or_else(|| s.client.id.to_string(), |u| u.id.to_string());
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(self.issuer(s.tenant)));
        claims.insert("sub".into(), json!(sub));
        claims.insert(
            "aud".into(),
            json!(self.audiences(s.tenant, s.resource, s.scope)),
        );
        claims.insert("client_id".into(), json!(s.client.id.to_string()));
        claims.insert("scope".into(), json!(s.scope.to_string()));
        claims.insert("iat".into(), json!(now));
        claims.insert("nbf".into(), json!(now));
        claims.insert("exp".into(), json!(now + ttl));
        claims.insert("jti".into(), json!(uuid::Uuid::new_v4().to_string()));
        claims.insert("tid".into(), json!(s.tenant.id.to_string()));
        if let Some(grant_id) = s.grant_id {
            claims.insert("gid".into(), json!(grant_id.to_string()));
        }
        if let (Some(auth_time), Some(amr)) = (s.auth_time, s.amr) {
            claims.insert("auth_time".into(), json!(auth_time));
            claims.insert("acr".into(), json!(acr(amr)));
            claims.insert("amr".into(), json!(amr_list(amr)));
        }
        let key = self
            .keys
            .signer(s.tenant.id, ACCESS_TOKEN_ALG)
            .await
            .map_err(OAuthError::server)?;
        let token = key
            .sign_jwt(ACCESS_TOKEN_TYP, &claims)
            .map_err(OAuthError::server)?;
        Ok((token, ttl))
    }

    /// The ID token of `s` (which must have a user, auth_time and amr).
    pub async fn mint_id_token(
        &self,
        s: &Subject<'_>,
        nonce: Option<&str>,
        access_token: &str,
    ) -> Result<String, OAuthError> {
        let (Some(user), Some(auth_time), Some(amr)) = (s.user, s.auth_time, s.amr) else {
            return Err(OAuthError::server("an ID token needs a user"));
        };
        let (tenant, client, scope) = (s.tenant, s.client, s.scope);
        let now = self.now();
        let alg = client.settings.id_token_alg();
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(self.issuer(tenant)));
        claims.insert("sub".into(), json!(user.id.to_string()));
        claims.insert("aud".into(), json!(client.id.to_string()));
        claims.insert("azp".into(), json!(client.id.to_string()));
        claims.insert("iat".into(), json!(now));
        // ID tokens are for the client at login; a short life is enough.
        claims.insert(
            "exp".into(),
            json!(now + client.settings.lifetimes().access_secs()),
        );
        claims.insert("auth_time".into(), json!(auth_time));
        claims.insert("acr".into(), json!(acr(amr)));
        claims.insert("amr".into(), json!(amr_list(amr)));
        claims.insert("at_hash".into(), json!(at_hash(access_token, alg)));
        if let Some(nonce) = nonce {
            claims.insert("nonce".into(), json!(nonce));
        }
        claims.extend(user_claims(user, scope));
        let key = self
            .keys
            .signer(tenant.id, alg)
            .await
            .map_err(OAuthError::server)?;
        key.sign_jwt("JWT", &claims).map_err(OAuthError::server)
    }

    /// A fresh refresh token of `grant`, continuing `family` when rotating.
    pub async fn mint_refresh_token(&self, record: RefreshRecord) -> Result<String, OAuthError> {
        let (plain, digest) = crate::opaque_secret::new_secret().map_err(OAuthError::server)?;
        self.refresh_tokens.insert(&digest, &record).await?;
        Ok(plain)
    }
}

/// Standard claims released by scope (OIDC Core §5.4).
pub fn user_claims(user: &User, scope: &ScopeSet) -> Map<String, Value> {
    let mut claims = Map::new();
    if scope.contains("profile") {
        claims.insert("name".into(), json!(user.display_name.as_ref()));
        if let Some(username) = &user.username {
            claims.insert("preferred_username".into(), json!(username.as_ref()));
        }
        claims.insert("updated_at".into(), json!(user.updated_at));
    }
    if scope.contains("email") {
        claims.insert("email".into(), json!(user.email.address()));
        claims.insert(
            "email_verified".into(),
            json!(user.email_verified_at.is_some()),
        );
    }
    claims
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_matches_the_oidc_example_shape() {
        // Left half of SHA-256 = 16 bytes = 22 base64url characters.
        assert_eq!(at_hash("token", SigningAlg::RS256).len(), 22);
        assert_eq!(at_hash("token", SigningAlg::EdDSA).len(), 43);
        assert_ne!(
            at_hash("a", SigningAlg::ES256),
            at_hash("b", SigningAlg::ES256)
        );
    }

    #[test]
    fn mfa_shows_in_acr_and_amr() {
        assert_eq!(acr("pwd otp"), ACR_MFA);
        assert_eq!(acr("pwd rec"), ACR_MFA);
        assert_eq!(acr("pwd"), ACR_PASSWORD);
        assert_eq!(acr("hwk mfa"), ACR_MFA);
        assert_eq!(acr("swk mfa"), ACR_MFA);
        assert_eq!(acr("fed"), ACR_PASSWORD);
        assert_eq!(amr_list("pwd rec"), ["pwd", "otp"]);
        assert_eq!(amr_list("swk mfa"), ["swk", "mfa"]);
    }
    #[test]
    fn debug_shows_no_token() {
        let response = TokenResponse {
            access_token: "at-value".into(),
            token_type: "Bearer".into(),
            expires_in: 300,
            scope: "openid".into(),
            refresh_token: Some("rt-value".into()),
            id_token: Some("idt-value".into()),
        };
        let shown = format!("{response:?}");
        for token in ["at-value", "rt-value", "idt-value"] {
            assert!(!shown.contains(token), "{shown}");
        }
        assert!(shown.contains("Bearer"), "{shown}");
    }
}
