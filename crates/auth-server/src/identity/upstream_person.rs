//! Who came back from an upstream provider: the code is redeemed with the
//! attempt's PKCE verifier, then
//! - OpenID Connect: the ID token is validated fully (signature by a key
//!   of the provider's JWKS, `iss`, `aud` and `azp`, `exp`, `iat`, and the
//!   attempt's `nonce`) and its claims name the person;
//! - plain OAuth 2.0: the access token reads the provider's userinfo
//!   endpoint, whose fields (through the provider's mapping) name the
//!   person; an email counts as verified only when the provider says so
//!   (or the tenant vouches for the provider). GitHub's addresses are
//!   verified through its list at `{userinfo}/emails`.
use connectauth_verify::{MissingTyp, ValidationConfig, Validator};
use subtle::ConstantTimeEq;
use url::Url;

use super::upstream::{secret_owner, Attempt, UpstreamError, UpstreamTokens};
use super::upstream_http::{ClientAuth, FetchError, TokenAnswer};
use super::{Identity, IdentityError};
use crate::domain::tenant::Tenant;
use crate::domain::upstream::{UpstreamPerson, UpstreamProvider};
use crate::domain::upstream_settings::{OAuth2Settings, Preset, Protocol};

impl Identity {
    /// Where the browser signs in at the provider: the discovered
    /// authorization endpoint, or the configured one.
    pub(super) async fn authorization_endpoint(
        &self,
        provider: &UpstreamProvider,
    ) -> Result<Url, UpstreamError> {
        Ok(match &provider.settings.protocol {
            Protocol::Oidc { issuer } => {
                self.services
                    .upstream_http
                    .discover(issuer)
                    .await?
                    .authorization_endpoint
            }
            Protocol::OAuth2(s) => self
                .services
                .upstream_http
                .checked(s.authorization_url.as_str())?,
        })
    }

    /// Redeems the code and learns the person, with the tokens the
    /// provider gave.
    pub(super) async fn person_from(
        &self,
        tenant: &Tenant,
        provider: &UpstreamProvider,
        attempt: &Attempt,
        code: &str,
    ) -> Result<(UpstreamPerson, UpstreamTokens), UpstreamError> {
        let secret = self
            .services
            .keys
            .open(
                &provider.client_secret_sealed,
                &secret_owner(provider.tenant_id, &provider.id),
            )
            .map_err(IdentityError::from)?;
        let secret = String::from_utf8(secret)
            .map_err(|_| IdentityError::Internal("sealed secret is not text".into()))?;
        let auth = ClientAuth {
            method: provider.settings.token_auth,
            client_id: &provider.client_id,
            client_secret: &secret,
        };
        match &provider.settings.protocol {
            Protocol::Oidc { issuer } => {
                self.oidc_person(tenant, provider, issuer, &auth, attempt, code)
                    .await
            }
            Protocol::OAuth2(settings) => {
                self.oauth2_person(tenant, provider, settings, &auth, attempt, code)
                    .await
            }
        }
    }

    async fn redeem(
        &self,
        tenant: &Tenant,
        token_endpoint: &Url,
        auth: &ClientAuth<'_>,
        attempt: &Attempt,
        code: &str,
    ) -> Result<TokenAnswer, UpstreamError> {
        Ok(self
            .services
            .upstream_http
            .exchange(
                token_endpoint,
                auth,
                code,
                &self.upstream_callback_url(tenant),
                &attempt.verifier,
            )
            .await?)
    }

    async fn oidc_person(
        &self,
        tenant: &Tenant,
        provider: &UpstreamProvider,
        issuer: &str,
        auth: &ClientAuth<'_>,
        attempt: &Attempt,
        code: &str,
    ) -> Result<(UpstreamPerson, UpstreamTokens), UpstreamError> {
        let metadata = self.services.upstream_http.discover(issuer).await?;
        let answer = self
            .redeem(tenant, &metadata.token_endpoint, auth, attempt, code)
            .await?;
        let tokens = answer.kept(self.now());
        let id_token = answer
            .id_token
            .ok_or_else(|| UpstreamError::IdToken("the token response has no id_token".into()))?;
        let keys = self.services.upstream_http.jwks(&metadata.jwks_uri).await?;
        let validator = Validator::new(ValidationConfig {
            issuer: issuer.to_owned(),
            audience: provider.client_id.clone(),
            required_typ: vec!["JWT".to_owned()],
            // OIDC Core does not type ID tokens; Apple's carry no `typ`.
            // The audience and this attempt's nonce bind them instead.
            missing_typ: MissingTyp::Accept,
            required_claims: vec!["sub".to_owned(), "iat".to_owned()],
            ..ValidationConfig::default()
        })
        .map_err(|e| IdentityError::Internal(e.to_string()))?;
        let now = std::time::UNIX_EPOCH
            + std::time::Duration::from_secs(u64::try_from(self.now()).unwrap_or(0));
        let claims = validator
            .validate_at(&id_token, &keys, now)
            .map_err(|e| UpstreamError::IdToken(e.to_string()))?;
        // OIDC Core §3.1.3.7: several audiences need `azp`, naming us.
        let azp = claims.raw.get("azp").and_then(|v| v.as_str());
        if (claims.aud.len() > 1 || azp.is_some()) && azp != Some(provider.client_id.as_str()) {
            return Err(UpstreamError::IdToken("azp is not this client".into()));
        }
        let nonce = claims
            .raw
            .get("nonce")
            .and_then(|v| v.as_str())
            .unwrap_or("");
        // An attempt without a nonce began as a plain OAuth 2.0 one: its
        // provider changed kind since, which nothing matches.
        let expected = attempt.nonce.as_deref().unwrap_or_default();
        if expected.is_empty() || !bool::from(nonce.as_bytes().ct_eq(expected.as_bytes())) {
            return Err(UpstreamError::IdToken(
                "the nonce is not this attempt's".into(),
            ));
        }
        let person = UpstreamPerson::from_claims(&claims.raw)
            .map_err(|e| UpstreamError::IdToken(e.into()))?;
        Ok((person, tokens))
    }

    async fn oauth2_person(
        &self,
        tenant: &Tenant,
        provider: &UpstreamProvider,
        settings: &OAuth2Settings,
        auth: &ClientAuth<'_>,
        attempt: &Attempt,
        code: &str,
    ) -> Result<(UpstreamPerson, UpstreamTokens), UpstreamError> {
        let token_url = self
            .services
            .upstream_http
            .checked(settings.token_url.as_str())?;
        let answer = self.redeem(tenant, &token_url, auth, attempt, code).await?;
        let tokens = answer.kept(self.now());
        if let Some(error) = answer.error {
            return Err(UpstreamError::Token(error.chars().take(100).collect()));
        }
        if answer
            .token_type
            .as_deref()
            .is_some_and(|t| !t.eq_ignore_ascii_case("bearer"))
        {
            return Err(UpstreamError::Token("the token type is not Bearer".into()));
        }
        let access_token = answer
            .access_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| UpstreamError::Token("the answer has no access_token".into()))?;
        let userinfo_url = self
            .services
            .upstream_http
            .checked(settings.userinfo_url.as_str())?;
        let info = self
            .services
            .upstream_http
            .get_with_token(&userinfo_url, &access_token)
            .await?;
        let info = info
            .as_object()
            .ok_or_else(|| UpstreamError::Userinfo("not a JSON object".into()))?;
        let person = UpstreamPerson::from_userinfo(info, &settings.mapping, settings.trust_email)
            .map_err(|e| UpstreamError::Userinfo(e.to_string()))?;
        if provider.settings.preset != Some(Preset::GitHub) {
            return Ok((person, tokens));
        }
        // GitHub (and GitHub Enterprise Server: `/api/v3/user/emails`).
        let mut emails_url = userinfo_url;
        emails_url.set_query(None);
        let path = format!("{}/emails", emails_url.path().trim_end_matches('/'));
        emails_url.set_path(&path);
        // Refused (the person did not grant `user:email`): no address is
        // vouched for, but one who is linked already still signs in.
        let listed = match self
            .services
            .upstream_http
            .get_with_token(&emails_url, &access_token)
            .await
        {
            Ok(listed) => listed,
            Err(FetchError::Status { .. }) => serde_json::Value::Null,
            Err(e) => return Err(e.into()),
        };
        Ok((person.with_github_emails(&listed), tokens))
    }
}
