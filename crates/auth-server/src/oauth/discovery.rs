//! The tenant's discovery document (OpenID Connect Discovery 1.0, RFC 8414),
//! built once per change of the tenant and served as bytes.
use std::sync::Arc;

use serde_json::json;

use super::OAuth;
use crate::domain::signing_alg::SigningAlg;
use crate::domain::tenant::Tenant;
use crate::keys::keyring::KeyringError;

/// A document as served: its bytes and a strong `ETag` (quoted).
pub struct Document {
    pub body: Vec<u8>,
    pub etag: String,
}

impl Document {
    fn new(body: Vec<u8>) -> Self {
        let etag = crate::cache::etag_of(&body);
        Self { body, etag }
    }
}

impl OAuth {
    pub async fn discovery(&self, tenant: &Tenant) -> Result<Arc<Document>, KeyringError> {
        let generation = self.keys.freshness().catalog(tenant.id).await?;
        if let Some(doc) = self.discovery_cache.get(&tenant.id, generation) {
            return Ok(doc);
        }
        let keys = self.keys.published(tenant.id).await?;
        let doc = Arc::new(Document::new(self.metadata(tenant, keys.algs())));
        self.discovery_cache
            .put(tenant.id, generation, Arc::clone(&doc));
        Ok(doc)
    }

    fn metadata(&self, tenant: &Tenant, algs: &[SigningAlg]) -> Vec<u8> {
        let issuer = self.issuer(tenant);
        // Only algorithms whose key the JWKS publishes; RS256 is always one.
        let id_token_algs: Vec<&str> = algs.iter().map(|a| a.as_str()).collect();
        let body = json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/authorize"),
            "token_endpoint": format!("{issuer}/token"),
            "userinfo_endpoint": format!("{issuer}/userinfo"),
            "jwks_uri": format!("{issuer}/jwks.json"),
            "revocation_endpoint": format!("{issuer}/revoke"),
            "introspection_endpoint": format!("{issuer}/introspect"),
            "end_session_endpoint": format!("{issuer}/end_session"),
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": id_token_algs,
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "at_hash",
                                  "name", "preferred_username", "updated_at", "email", "email_verified"],
            "prompt_values_supported": ["none", "login", "consent", "select_account"],
            "ui_locales_supported": ["en", "fr"],
            "authorization_response_iss_parameter_supported": true,
            "request_parameter_supported": false,
            "request_uri_parameter_supported": false,
            "claims_parameter_supported": false,
        });
        body.to_string().into_bytes()
    }
}
