//! The authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1) checked in
//! the order that keeps us from being an open redirector: until the client
//! and its exact redirect URI are known, errors are shown as a page; after
//! that they go back to the client with `state` and `iss` (RFC 9207).
use serde::Deserialize;

use super::OAuth;
use crate::domain::client::{Client, ClientId, GrantType};
use crate::domain::pkce::CodeChallenge;
use crate::domain::scope::ScopeSet;
use crate::domain::tenant::Tenant;
use crate::domain::user::UserId;
use crate::error::OAuthCode;
use crate::store::auth_codes::AuthCode;
use crate::store::clients::ClientStoreError;
use crate::store::StoreError;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuthorizeParams {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub prompt: Option<String>,
    pub max_age: Option<String>,
    pub login_hint: Option<String>,
    pub response_mode: Option<String>,
    pub request: Option<String>,
    pub request_uri: Option<String>,
    pub resource: Option<String>,
    pub ui_locales: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Prompt {
    pub none: bool,
    pub login: bool,
    pub consent: bool,
}

/// A request that passed every check.
#[derive(Debug, Clone)]
pub struct ValidAuthorize {
    pub client: Client,
    pub redirect_uri: String,
    pub scope: ScopeSet,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub challenge: Option<CodeChallenge>,
    pub prompt: Prompt,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    pub resource: Option<String>,
}

/// Why a request is refused, and where the answer goes.
#[derive(Debug, Clone)]
pub enum Refusal {
    /// No trustworthy redirect URI: show the message to the user.
    Page(String),
    /// Our failure (the cause, for the log): the user sees only that
    /// something went wrong on our side.
    Internal(String),
    /// Send the error back to the client.
    Redirect {
        redirect_uri: String,
        code: OAuthCode,
        description: String,
        state: Option<String>,
    },
}

impl OAuth {
    /// Where the answer to this request goes, if anywhere but a page of
    /// ours: the redirect URI, once the client and the URI are validated
    /// (whether the request then succeeds or is refused back to the client).
    pub async fn answer_target(&self, tenant: &Tenant, p: &AuthorizeParams) -> Option<String> {
        match self.validate_authorize(tenant, p).await {
            Ok(req) => Some(req.redirect_uri),
            Err(Refusal::Redirect { redirect_uri, .. }) => Some(redirect_uri),
            Err(Refusal::Page(_) | Refusal::Internal(_)) => None,
        }
    }

    pub async fn validate_authorize(
        &self,
        tenant: &Tenant,
        p: &AuthorizeParams,
    ) -> Result<ValidAuthorize, Refusal> {
        let page = |m: &str| Refusal::Page(m.to_owned());
        let client_id = p
            .client_id
            .as_deref()
            .ok_or_else(|| page("The request names no application (client_id)."))?;
        let id = ClientId::parse(client_id)
            .map_err(|_| page("The application (client_id) is unknown."))?;
        let client = match self.clients.get(tenant.id, &id).await {
            Ok(c) if !c.is_disabled() => c,
            Ok(_) | Err(ClientStoreError::NotFound) | Err(ClientStoreError::TenantNotFound) => {
                return Err(page("The application (client_id) is unknown."))
            }
            Err(e) => return Err(Refusal::Internal(format!("authorize: client lookup: {e}"))),
        };
        let redirect_uri = p
            .redirect_uri
            .clone()
            .ok_or_else(|| page("The request has no redirect_uri."))?;
        if !client.allows_redirect_uri(&redirect_uri) {
            return Err(page(
                "The redirect_uri is not registered for this application.",
            ));
        }
        let state = p.state.clone();
        let back = |code: OAuthCode, description: &str| Refusal::Redirect {
            redirect_uri: redirect_uri.clone(),
            code,
            description: description.to_owned(),
            state: state.clone(),
        };
        if state.as_ref().is_some_and(|s| s.len() > 2048) {
            return Err(back(OAuthCode::InvalidRequest, "state is too long"));
        }
        if !client.allows_grant(GrantType::AuthorizationCode) {
            return Err(back(
                OAuthCode::UnauthorizedClient,
                "this client may not use the authorization code flow",
            ));
        }
        if p.request.is_some() {
            return Err(back(
                OAuthCode::RequestNotSupported,
                "request objects are not supported",
            ));
        }
        if p.request_uri.is_some() {
            return Err(back(
                OAuthCode::RequestUriNotSupported,
                "request_uri is not supported",
            ));
        }
        match p.response_type.as_deref() {
            Some("code") => {}
            None => return Err(back(OAuthCode::InvalidRequest, "response_type is required")),
            Some(_) => {
                return Err(back(
                    OAuthCode::UnsupportedResponseType,
                    "only response_type=code is supported",
                ))
            }
        }
        if p.response_mode.as_deref().is_some_and(|m| m != "query") {
            return Err(back(
                OAuthCode::InvalidRequest,
                "only response_mode=query is supported",
            ));
        }
        let scope = ScopeSet::parse(p.scope.as_deref().unwrap_or("openid"))
            .map_err(|e| back(OAuthCode::InvalidScope, &e.to_string()))?;
        if scope.is_empty() || !client.settings.scopes().allows(&scope) {
            return Err(back(
                OAuthCode::InvalidScope,
                "a requested scope is not allowed for this client",
            ));
        }
        let challenge = match &p.code_challenge {
            Some(c) => Some(
                CodeChallenge::parse(c, p.code_challenge_method.as_deref())
                    .map_err(|e| back(OAuthCode::InvalidRequest, &e.to_string()))?,
            ),
            None if client.requires_pkce() => {
                return Err(back(
                    OAuthCode::InvalidRequest,
                    "PKCE (code_challenge, S256) is required",
                ))
            }
            None => None,
        };
        if p.nonce.as_ref().is_some_and(|n| n.len() > 512) {
            return Err(back(OAuthCode::InvalidRequest, "nonce is too long"));
        }
        let mut prompt = Prompt::default();
        for value in p
            .prompt
            .as_deref()
            .unwrap_or_default()
            .split(' ')
            .filter(|v| !v.is_empty())
        {
            match value {
                "none" => prompt.none = true,
                "login" => prompt.login = true,
                "consent" => prompt.consent = true,
                "select_account" => {}
                _ => return Err(back(OAuthCode::InvalidRequest, "unknown prompt value")),
            }
        }
        if prompt.none && (prompt.login || prompt.consent) {
            return Err(back(
                OAuthCode::InvalidRequest,
                "prompt=none cannot be combined",
            ));
        }
        let max_age = match p.max_age.as_deref() {
            None | Some("") => None,
            Some(v) => Some(v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                back(
                    OAuthCode::InvalidRequest,
                    "max_age must be a non-negative integer",
                )
            })?),
        };
        // Only the default audience and the client's allowed resources
        // (RFC 8707 §2), each checked when it was registered.
        self.check_resource(tenant, &client, p.resource.as_deref())
            .map_err(|e| back(e.code, &e.description))?;
        let resource = p.resource.clone();
        Ok(ValidAuthorize {
            client,
            redirect_uri,
            scope,
            state,
            nonce: p.nonce.clone(),
            challenge,
            prompt,
            max_age,
            login_hint: p.login_hint.clone(),
            resource,
        })
    }

    /// Whether the user must be asked before the client gets `scope`.
    pub async fn needs_consent(
        &self,
        tenant: &Tenant,
        req: &ValidAuthorize,
        user_id: &str,
    ) -> Result<bool, StoreError> {
        if req.client.settings.first_party() && !req.prompt.consent {
            return Ok(false);
        }
        if req.prompt.consent {
            return Ok(true);
        }
        let granted = self
            .consents
            .granted(tenant.id, user_id, req.client.id.as_ref())
            .await?;
        Ok(match granted.and_then(|g| ScopeSet::parse(&g).ok()) {
            Some(granted) => !granted.allows(&req.scope),
            None => true,
        })
    }

    pub async fn record_consent(
        &self,
        tenant: &Tenant,
        req: &ValidAuthorize,
        user_id: &str,
    ) -> Result<(), StoreError> {
        let previous = self
            .consents
            .granted(tenant.id, user_id, req.client.id.as_ref())
            .await?;
        let merged = previous
            .iter()
            .flat_map(|p| p.split(' '))
            .chain(req.scope.iter())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>();
        let merged =
            ScopeSet::from_tokens(merged).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.consents
            .grant(
                tenant.id,
                user_id,
                req.client.id.as_ref(),
                &merged.to_string(),
                self.now(),
            )
            .await
    }

    /// Issues the code (a new grant) and returns it in clear.
    pub async fn issue_code(
        &self,
        tenant: &Tenant,
        req: &ValidAuthorize,
        user_id: &str,
        session_handle: &str,
        auth_time: i64,
        amr: &str,
    ) -> Result<String, StoreError> {
        let now = self.now();
        let user_id = UserId::parse(user_id)
            .ok_or_else(|| StoreError::Corrupt(format!("session user id `{user_id}`")))?;
        let grant_id = self
            .grants
            .create(
                tenant.id,
                &req.client.id,
                Some(user_id),
                Some(session_handle),
                now,
            )
            .await?;
        let (plain, digest) =
            crate::opaque_secret::new_secret().map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let code = AuthCode {
            tenant_id: tenant.id,
            client_id: req.client.id.clone(),
            user_id,
            grant_id,
            session_handle: session_handle.to_owned(),
            redirect_uri: req.redirect_uri.clone(),
            scope: req.scope.to_string(),
            nonce: req.nonce.clone(),
            code_challenge: req.challenge.as_ref().map(|c| c.as_ref().to_owned()),
            resource: req.resource.clone(),
            auth_time,
            amr: amr.to_owned(),
            created_at: now,
            expires_at: now + super::CODE_TTL_SECS,
            issue_refresh: req.client.gets_refresh_token(&req.scope),
        };
        self.codes.insert(&digest, &code).await?;
        Ok(plain)
    }
}
