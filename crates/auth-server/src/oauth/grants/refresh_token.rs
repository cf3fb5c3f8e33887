//! `grant_type=refresh_token`: every use rotates the token. Using a spent one
//! revokes the whole family (RFC 9700 §4.14.2) — unless the client allows a
//! reuse interval (`domain/refresh_reuse.rs`) and it has not ended: then the
//! same client gets the pair the first use produced (a lost response, or two
//! refreshes racing with one token). The new refresh token keeps the scope of
//! the one it replaces, however narrow the access token asked for (RFC 6749
//! §6), cut to what the client may still ask for; a client that may no longer
//! hold refresh tokens for it (see [`Client::gets_refresh_token`]) is refused.
use std::time::Duration;

use crate::domain::client::{Client, GrantType};
use crate::domain::refresh_reuse::Replay;
use crate::domain::scope::ScopeSet;
use crate::domain::sentinel::tokens::REFRESH_REUSED;
use crate::domain::tenant::Tenant;
use crate::error::{OAuthCode, OAuthError};
use crate::identity::Requester;
use crate::oauth::grants::signals::Reuse;
use crate::oauth::mint::{Subject, TokenResponse};
use crate::oauth::OAuth;
use crate::store::refresh_tokens::{FoundRefresh, RefreshRecord, ReplayWindow};

/// Where a stored refresh token stands at an instant: the one liveness rule
/// of refresh tokens, shared by the grant and introspection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Standing {
    Live,
    /// Its grant was revoked, or the grant's client is disabled.
    Revoked,
    /// Used once already.
    Spent,
    /// Past its idle or its family's absolute expiry.
    Expired,
    /// Its user is gone or disabled.
    UserGone,
}

pub(crate) fn standing(found: &FoundRefresh, now: i64) -> Standing {
    if !found.grant_live {
        Standing::Revoked
    } else if found.record.used_at.is_some() {
        Standing::Spent
    } else if now >= found.record.expires_at() {
        Standing::Expired
    } else if !found.user_live {
        Standing::UserGone
    } else {
        Standing::Live
    }
}

fn invalid_grant(description: &str) -> OAuthError {
    OAuthError::new(OAuthCode::InvalidGrant, description)
}

fn owner(digest: &str) -> String {
    format!("refresh:{digest}")
}

/// How long a replay within the interval waits for the first use's response
/// when that use is still being answered, and how often it looks.
const RACE_WAIT_POLLS: u32 = 100;
const RACE_WAIT_EVERY: Duration = Duration::from_millis(50);

impl OAuth {
    /// `caller`: who presented the token, recorded if it was spent already.
    pub async fn refresh(
        &self,
        tenant: &Tenant,
        client: &Client,
        token: &str,
        scope: Option<&str>,
        caller: &Requester,
    ) -> Result<TokenResponse, OAuthError> {
        if !client.allows_grant(GrantType::RefreshToken) {
            return Err(OAuthError::new(
                OAuthCode::UnauthorizedClient,
                "this client may not use refresh tokens",
            ));
        }
        let now = self.now();
        let digest = crate::opaque_secret::digest(token);
        let found = self
            .refresh_tokens
            .find(tenant.id, &digest)
            .await?
            .ok_or_else(|| invalid_grant("unknown refresh token"))?;
        if found.record.client_id != client.id {
            return Err(invalid_grant(
                "the refresh token was issued to another client",
            ));
        }
        match standing(&found, now) {
            Standing::Live => {}
            Standing::Revoked => return Err(invalid_grant("the refresh token was revoked")),
            Standing::Spent => return self.after_reuse(tenant, &digest, caller, now).await,
            Standing::Expired => return Err(invalid_grant("the refresh token has expired")),
            Standing::UserGone => {
                self.grants
                    .revoke(tenant.id, found.record.grant_id, "user disabled", now)
                    .await?;
                return Err(invalid_grant("the user can no longer log in"));
            }
        }
        let record = found.record;
        // What the token may still give, decided before it is spent so a
        // refused request leaves it usable: the scope it was issued with, less
        // what the client may no longer ask for (RFC 6749 §6).
        let issued = ScopeSet::parse(&record.scope).map_err(OAuthError::server)?;
        let granted = client.settings.scopes().intersect(&issued);
        if granted.is_empty() || !client.gets_refresh_token(&granted) {
            return Err(invalid_grant(
                "the client may no longer refresh this authorization",
            ));
        }
        let scope = match scope {
            Some(text) => {
                let asked = ScopeSet::parse(text)
                    .map_err(|e| OAuthError::new(OAuthCode::InvalidScope, e.to_string()))?;
                if asked.is_empty() || !granted.allows(&asked) {
                    return Err(OAuthError::new(
                        OAuthCode::InvalidScope,
                        "scope exceeds what was granted",
                    ));
                }
                asked
            }
            None => granted.clone(),
        };
        // The claims come from the instance's user cache; whether the user
        // may still log in was read with the token, above.
        let user = self
            .user_for_claims(tenant.id, record.user_id)
            .await?
            .ok_or_else(|| invalid_grant("the user can no longer log in"))?;
        // The successor is stored in the same write that spends this token:
        // only the first of two concurrent uses gets one.
        let (refresh_token, next_digest) =
            crate::opaque_secret::new_secret().map_err(OAuthError::server)?;
        let idle = client.settings.lifetimes().refresh_idle_secs();
        let next = RefreshRecord {
            tenant_id: record.tenant_id,
            grant_id: record.grant_id,
            client_id: record.client_id.clone(),
            user_id: record.user_id,
            // The grant's scope, not the narrower one this request asked for.
            scope: granted.to_string(),
            resource: record.resource.clone(),
            auth_time: record.auth_time,
            amr: record.amr.clone(),
            created_at: now,
            family_expires_at: record.family_expires_at,
            idle_expires_at: (now + idle).min(record.family_expires_at),
            used_at: None,
            retry_response: None,
            retry_until: None,
        };
        let interval = client.settings.refresh_reuse_interval();
        let replay_until = interval.replay_until(now);
        // The response is made before the token is spent, and with a replay
        // window it is stored by the same write: if this instance dies once
        // the write is done, the client's retry (within the window, on any
        // instance) still gets it. A response made for a rotation another
        // use won is dropped unsent.
        let subject = Subject {
            tenant,
            client,
            user: Some(user.as_ref()),
            scope: &scope,
            resource: record.resource.as_deref(),
            grant_id: Some(record.grant_id),
            auth_time: Some(record.auth_time),
            amr: Some(&record.amr),
        };
        let (access_token, expires_in) = self.mint_access_token(&subject).await?;
        let id_token = if scope.has_openid() {
            Some(self.mint_id_token(&subject, None, &access_token).await?)
        } else {
            None
        };
        let response = TokenResponse {
            access_token,
            token_type: "Bearer".into(),
            expires_in,
            scope: scope.to_string(),
            refresh_token: Some(refresh_token),
            id_token,
        };
        let sealed = match replay_until {
            Some(_) => {
                let json = serde_json::to_vec(&response).map_err(OAuthError::server)?;
                Some(
                    self.master
                        .seal(&json, &owner(&digest))
                        .map_err(OAuthError::server)?,
                )
            }
            None => None,
        };
        let replay = replay_until
            .zip(sealed.as_deref())
            .map(|(until, sealed_response)| ReplayWindow {
                until,
                sealed_response,
            });
        if !self
            .refresh_tokens
            .rotate(&digest, now, replay, &next_digest, &next)
            .await?
        {
            return self.after_reuse(tenant, &digest, caller, now).await;
        }
        Ok(response)
    }

    /// A spent token came back (from its own client: checked before). Within
    /// its replay window: the first use's response, waiting for it while that
    /// use is still being answered. Otherwise the family is revoked and the
    /// reuse recorded for the sentinel, which ends the user's sessions.
    async fn after_reuse(
        &self,
        tenant: &Tenant,
        digest: &str,
        caller: &Requester,
        now: i64,
    ) -> Result<TokenResponse, OAuthError> {
        let mut polls = 0;
        loop {
            let FoundRefresh {
                record, grant_live, ..
            } = self
                .refresh_tokens
                .find(tenant.id, digest)
                .await?
                .ok_or_else(|| invalid_grant("unknown refresh token"))?;
            match Replay::at(record.retry_until, now) {
                Replay::RevokeFamily => {
                    self.grants
                        .revoke(tenant.id, record.grant_id, "refresh token reused", now)
                        .await?;
                    tracing::warn!(tenant = %tenant.slug, client = %record.client_id, "refresh token reused; the family is revoked");
                    let reuse = Reuse {
                        outcome: REFRESH_REUSED,
                        client: &record.client_id,
                        grant: record.grant_id,
                        user: Some(record.user_id),
                        caller,
                    };
                    self.record_reuse(tenant, reuse, now).await?;
                    return Err(invalid_grant("the refresh token was already used"));
                }
                Replay::SamePair => {
                    if let Some(sealed) = &record.retry_response {
                        let json = self
                            .master
                            .open(sealed, &owner(digest))
                            .map_err(OAuthError::server)?;
                        return serde_json::from_slice(&json).map_err(OAuthError::server);
                    }
                    // The first use failed (no response will come) or is slow:
                    // refuse without revoking, the family was not misused.
                    if polls == RACE_WAIT_POLLS || !grant_live {
                        return Err(invalid_grant("the refresh token was already used"));
                    }
                    polls += 1;
                    tokio::time::sleep(RACE_WAIT_EVERY).await;
                }
            }
        }
    }
}
