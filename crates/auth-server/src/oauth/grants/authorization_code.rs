//! `grant_type=authorization_code`: a code is good once, for its client, its
//! redirect URI and its PKCE challenge; a replayed code revokes what it made
//! (RFC 6749 §4.1.2, RFC 9700 §2.1.1, ASVS 10.4.2).
use crate::domain::client::{Client, GrantType};
use crate::domain::pkce::CodeChallenge;
use crate::domain::scope::ScopeSet;
use crate::domain::sentinel::tokens::CODE_REPLAYED;
use crate::domain::tenant::Tenant;
use crate::error::{OAuthCode, OAuthError};
use crate::identity::Requester;
use crate::oauth::grants::signals::Reuse;
use crate::oauth::mint::{Subject, TokenResponse};
use crate::oauth::OAuth;
use crate::store::auth_codes::{AuthCode, CodeLiveness, FirstRefresh, Redemption};
use crate::store::refresh_tokens::RefreshRecord;

pub struct CodeExchange<'a> {
    pub code: &'a str,
    pub redirect_uri: Option<&'a str>,
    pub code_verifier: Option<&'a str>,
    /// Who presented the code, recorded if it was used already.
    pub caller: &'a Requester,
}

fn invalid_grant(description: &str) -> OAuthError {
    OAuthError::new(OAuthCode::InvalidGrant, description)
}

impl OAuth {
    pub async fn exchange_code(
        &self,
        tenant: &Tenant,
        client: &Client,
        req: CodeExchange<'_>,
    ) -> Result<TokenResponse, OAuthError> {
        if !client.allows_grant(GrantType::AuthorizationCode) {
            return Err(OAuthError::new(
                OAuthCode::UnauthorizedClient,
                "this client may not use authorization codes",
            ));
        }
        let now = self.now();
        // The first refresh token is drawn now and stored with the
        // redemption when the code says the exchange gives one.
        let (refresh_plain, refresh_digest) =
            crate::opaque_secret::new_secret().map_err(OAuthError::server)?;
        let lifetimes = client.settings.lifetimes();
        let family_expires_at = now + lifetimes.refresh_absolute_secs();
        let first_refresh = FirstRefresh {
            digest: &refresh_digest,
            client_id: client.id.as_ref(),
            redirect_uri: req.redirect_uri.unwrap_or_default(),
            family_expires_at,
            idle_expires_at: (now + lifetimes.refresh_idle_secs()).min(family_expires_at),
        };
        let (code, live, refresh_stored) = match self
            .codes
            .redeem(
                tenant.id,
                &crate::opaque_secret::digest(req.code),
                now,
                &first_refresh,
            )
            .await?
        {
            Redemption::Redeemed {
                code,
                live,
                refresh_stored,
            } => (code, live, refresh_stored),
            Redemption::Replayed { grant_id } => {
                self.grants
                    .revoke(tenant.id, grant_id, "authorization code replayed", now)
                    .await?;
                tracing::warn!(tenant = %tenant.slug, client = %client.id, "authorization code replayed; its tokens are revoked");
                let reuse = Reuse {
                    outcome: CODE_REPLAYED,
                    client: &client.id,
                    grant: grant_id,
                    user: None,
                    caller: req.caller,
                };
                self.record_reuse(tenant, reuse, now).await?;
                return Err(invalid_grant("the code was already used"));
            }
            Redemption::Expired => return Err(invalid_grant("the code has expired")),
            Redemption::Unknown => return Err(invalid_grant("unknown code")),
        };
        if let Err(refused) = check_redeemed(client, &req, &code, live) {
            if refresh_stored {
                self.codes.forget_refresh(&refresh_digest).await?;
            }
            return Err(refused);
        }
        let scope = ScopeSet::parse(&code.scope).map_err(OAuthError::server)?;
        // The claims come from the instance's user cache; whether the user
        // may still log in was read with the code.
        let Some(user) = self.user_for_claims(tenant.id, code.user_id).await? else {
            if refresh_stored {
                self.codes.forget_refresh(&refresh_digest).await?;
            }
            return Err(invalid_grant("the user can no longer log in"));
        };
        let subject = Subject {
            tenant,
            client,
            user: Some(user.as_ref()),
            scope: &scope,
            resource: code.resource.as_deref(),
            grant_id: Some(code.grant_id),
            auth_time: Some(code.auth_time),
            amr: Some(&code.amr),
        };
        let (access_token, expires_in) = self.mint_access_token(&subject).await?;
        let id_token = if scope.has_openid() {
            Some(
                self.mint_id_token(&subject, code.nonce.as_deref(), &access_token)
                    .await?,
            )
        } else {
            None
        };
        // The rule decides; the code's hint only saved a statement. A hint
        // gone stale (the client's settings changed since the authorization)
        // costs the statement back, either way.
        let refresh_token = match (client.gets_refresh_token(&scope), refresh_stored) {
            (true, true) => Some(refresh_plain),
            (true, false) => Some(
                self.mint_refresh_token(RefreshRecord {
                    tenant_id: tenant.id,
                    grant_id: code.grant_id,
                    client_id: client.id.clone(),
                    user_id: user.id,
                    scope: scope.to_string(),
                    resource: code.resource.clone(),
                    auth_time: code.auth_time,
                    amr: code.amr.clone(),
                    created_at: now,
                    family_expires_at,
                    idle_expires_at: first_refresh.idle_expires_at,
                    used_at: None,
                    retry_response: None,
                    retry_until: None,
                })
                .await?,
            ),
            (false, true) => {
                self.codes.forget_refresh(&refresh_digest).await?;
                None
            }
            (false, false) => None,
        };
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer".into(),
            expires_in,
            scope: scope.to_string(),
            refresh_token,
            id_token,
        })
    }
}

/// What a redeemed code must match: its client, its redirect URI, its PKCE
/// challenge; its grant, user and session must still be live.
fn check_redeemed(
    client: &Client,
    req: &CodeExchange<'_>,
    code: &AuthCode,
    live: CodeLiveness,
) -> Result<(), OAuthError> {
    if code.client_id != client.id {
        return Err(invalid_grant("the code was issued to another client"));
    }
    if req.redirect_uri != Some(code.redirect_uri.as_str()) {
        return Err(invalid_grant(
            "redirect_uri does not match the authorization request",
        ));
    }
    match (&code.code_challenge, req.code_verifier) {
        (Some(challenge), Some(verifier))
            if CodeChallenge::from_trusted(challenge.clone()).verify(verifier) => {}
        (Some(_), _) => {
            return Err(invalid_grant(
                "code_verifier does not match the code_challenge",
            ))
        }
        // PKCE downgrade: a verifier for a request that had no challenge.
        (None, Some(_)) => {
            return Err(invalid_grant(
                "code_verifier sent, but the request had no code_challenge",
            ))
        }
        (None, None) => {}
    }
    if !live.grant {
        return Err(invalid_grant("the authorization was revoked"));
    }
    if !live.user {
        return Err(invalid_grant("the user can no longer log in"));
    }
    if !live.session {
        return Err(invalid_grant("the sign-in that made the code has ended"));
    }
    Ok(())
}
