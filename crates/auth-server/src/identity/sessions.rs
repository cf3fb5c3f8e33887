//! Server-side sessions: opened at login, re-issued at every privilege change,
//! ended at logout, by timeout, or by the user from their session list.
use super::{Identity, IdentityError, Requester};
use crate::domain::audit::AuditKind;
use crate::domain::session::SessionStage;
use crate::domain::tenant::{Tenant, TenantId};
use crate::domain::user::{User, UserId};
use crate::store::sessions::{Opened, SessionRecord};
use crate::store::StoreError;

pub struct NewSession<'a> {
    pub tenant: &'a Tenant,
    /// The user as the login read them: the session opens only if they are
    /// still not disabled and hold the same password hash.
    pub user: &'a User,
    pub stage: SessionStage,
    pub amr: &'a str,
    pub requester: &'a Requester,
    /// The stored digest (`secret_hash`) of the session the browser held,
    /// which this one replaces: the same user's goes on under the new id
    /// (its handle, and what applications got through it, are kept);
    /// another user's ends, and what applications got through it is
    /// revoked, as at a logout.
    pub replaces: Option<&'a str>,
}

/// A live session and its user.
#[derive(Debug, Clone)]
pub struct ActiveSession {
    pub record: SessionRecord,
    pub user: User,
}

impl ActiveSession {
    pub fn is_authenticated(&self) -> bool {
        self.record.stage == SessionStage::Authenticated
    }

    /// Whether the session proves two factors, as a tenant's `require_mfa`
    /// asks: the user has a second factor (every session of such a user
    /// passed it), or signed in with a user-verified passkey.
    pub fn is_multi_factor(&self) -> bool {
        self.user.mfa_enabled() || crate::domain::passkey::amr_is_multi_factor(&self.record.amr)
    }
}

fn secs(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

impl Identity {
    /// Opens a session and returns its cookie secret (shown once, stored hashed).
    pub async fn open_session(&self, s: NewSession<'_>) -> Result<String, IdentityError> {
        let (secret, digest) = crate::opaque_secret::new_secret()
            .map_err(|e| IdentityError::Internal(e.to_string()))?;
        let now = self.now();
        let policy = self.services.session_policy.for_tenant(&s.tenant.settings);
        let lifetime = match s.stage {
            SessionStage::MfaPending => policy.mfa_pending,
            SessionStage::Authenticated => policy.absolute,
        };
        let replaced = match s.replaces {
            Some(old_hash) => self.sessions.find(s.tenant.id, old_hash).await?,
            None => None,
        };
        let user = s.user.id.to_string();
        let replaces = replaced.as_ref().map(|old| old.secret_hash.clone());
        let (continued, ended) = match replaced {
            Some(old) if old.user_id == user => (Some(old.handle), None),
            Some(old) => (None, Some(old.handle)),
            None => (None, None),
        };
        let record = SessionRecord {
            secret_hash: digest,
            handle: continued.unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string()),
            tenant_id: s.tenant.id.to_string(),
            user_id: user.clone(),
            stage: s.stage,
            amr: s.amr.to_owned(),
            auth_time: now,
            created_at: now,
            last_seen_at: now,
            expires_at: now.saturating_add(secs(lifetime)),
            ip: s.requester.ip.clone(),
            user_agent: s.requester.user_agent.chars().take(512).collect(),
        };
        let opened = self
            .sessions
            .open(
                &record,
                replaces.as_deref(),
                s.user.password_hash.as_deref(),
            )
            .await?;
        match opened {
            Opened::Opened => {}
            // Disabled, or a reset took the password this login checked.
            Opened::UserChanged => return Err(IdentityError::InvalidCredentials),
            Opened::ReplacedEnded => return Err(IdentityError::NotAuthenticated),
        }
        if let Some(handle) = ended {
            self.grants
                .revoke_for_session(s.tenant.id, &handle, "another user signed in", now)
                .await?;
        }
        // Past the cap, the oldest sessions end (the new one is the newest),
        // and with them what applications got from those logins.
        let ended = self
            .sessions
            .keep_newest(s.tenant.id, &user, policy.max_per_user)
            .await?;
        self.revoke_grants_of(s.tenant.id, &ended, "session cap")
            .await?;
        if !ended.is_empty() {
            tracing::info!(
                ended = ended.len(),
                "oldest sessions ended: the user reached the session cap"
            );
        }
        Ok(secret)
    }

    /// The live session behind a cookie secret, in this tenant only.
    pub async fn resolve_session(
        &self,
        tenant: &Tenant,
        secret: &str,
    ) -> Result<Option<ActiveSession>, IdentityError> {
        let digest = crate::opaque_secret::digest(secret);
        let Some(record) = self.sessions.find(tenant.id, &digest).await? else {
            return Ok(None);
        };
        let now = self.now();
        if !self
            .services
            .session_policy
            .for_tenant(&tenant.settings)
            .is_alive(record.last_seen_at, record.expires_at, now)
        {
            self.sessions.delete(&digest).await?;
            return Ok(None);
        }
        let Some(user_id) = UserId::parse(&record.user_id) else {
            return Ok(None);
        };
        let user = self.users.get(tenant.id, user_id).await?;
        if user.is_disabled() {
            self.sessions
                .delete_all_for_user(tenant.id, user.id)
                .await?;
            return Ok(None);
        }
        // Sliding idle timeout; a write a minute at most per session.
        if now - record.last_seen_at >= 60 {
            self.sessions.touch(&digest, now).await?;
        }
        Ok(Some(ActiveSession { record, user }))
    }

    /// Finishes a login whose second step (`method`, an amr value) passed:
    /// that step's failure counter `failure_key` is cleared, the session
    /// gets a new id at the full stage ([`Identity::reissue_session`]) and
    /// the login is recorded, with both methods. The new session secret.
    pub(super) async fn finish_second_step(
        &self,
        tenant: &Tenant,
        session: &ActiveSession,
        failure_key: &str,
        method: &str,
        requester: &Requester,
    ) -> Result<String, IdentityError> {
        self.failures.clear(tenant.id, failure_key).await?;
        let secret = self
            .reissue_session(tenant, session, method, requester)
            .await?;
        self.users
            .record_login(tenant.id, session.user.id, self.now())
            .await?;
        self.record(
            tenant,
            Some(session.user.id),
            AuditKind::Login,
            "success",
            requester,
            &format!("pwd {method}"),
        )
        .await?;
        Ok(secret)
    }

    /// A new session id for a privilege change (ASVS 7.2.4): the old cookie
    /// stops working, `method` joins the session's authentication methods.
    pub async fn reissue_session(
        &self,
        tenant: &Tenant,
        session: &ActiveSession,
        method: &str,
        requester: &Requester,
    ) -> Result<String, IdentityError> {
        let amr = format!("{} {method}", session.record.amr);
        self.open_session(NewSession {
            tenant,
            user: &session.user,
            stage: SessionStage::Authenticated,
            amr: &amr,
            requester,
            replaces: Some(&session.record.secret_hash),
        })
        .await
        .map_err(|e| match e {
            // The account changed under the half-done login: start again.
            IdentityError::InvalidCredentials => IdentityError::NotAuthenticated,
            e => e,
        })
    }

    pub async fn logout(
        &self,
        tenant: &Tenant,
        secret: &str,
        requester: &Requester,
    ) -> Result<(), IdentityError> {
        let digest = crate::opaque_secret::digest(secret);
        if let Some(record) = self.sessions.find(tenant.id, &digest).await? {
            self.sessions.delete(&digest).await?;
            // Logout also ends what applications got from this login.
            self.grants
                .revoke_for_session(tenant.id, &record.handle, "logout", self.now())
                .await?;
            self.record(
                tenant,
                UserId::parse(&record.user_id),
                AuditKind::Logout,
                "success",
                requester,
                "",
            )
            .await?;
        }
        Ok(())
    }

    pub async fn list_sessions(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Vec<SessionRecord>, IdentityError> {
        Ok(self.sessions.list_for_user(tenant, user).await?)
    }

    /// Ends one of the user's sessions by its public handle; a handle that
    /// is not one of the user's sessions (or no longer) ends nothing.
    pub async fn end_session(
        &self,
        tenant: &Tenant,
        user: UserId,
        handle: &str,
        requester: &Requester,
    ) -> Result<(), IdentityError> {
        // Only a session of this user: the handle of someone else's session
        // deletes nothing here, and must revoke nothing either.
        let ended = self
            .sessions
            .delete_by_handle(tenant.id, user, handle)
            .await?;
        if ended {
            self.grants
                .revoke_for_session(tenant.id, handle, "session ended by user", self.now())
                .await?;
            self.record(
                tenant,
                Some(user),
                AuditKind::SessionEnd,
                "success",
                requester,
                "by user",
            )
            .await?;
        }
        Ok(())
    }

    /// Ends every session of the user but `keep` (after a factor change).
    pub async fn end_other_sessions(
        &self,
        tenant: &Tenant,
        session: &ActiveSession,
        requester: &Requester,
    ) -> Result<usize, IdentityError> {
        let mut ended = 0;
        for s in self
            .sessions
            .list_for_user(tenant.id, session.user.id)
            .await?
        {
            if s.handle != session.record.handle
                && self
                    .sessions
                    .delete_by_handle(tenant.id, session.user.id, &s.handle)
                    .await?
            {
                self.grants
                    .revoke_for_session(tenant.id, &s.handle, "other sessions ended", self.now())
                    .await?;
                ended += 1;
            }
        }
        self.record(
            tenant,
            Some(session.user.id),
            AuditKind::SessionEnd,
            "success",
            requester,
            &format!("{ended} other sessions"),
        )
        .await?;
        Ok(ended)
    }

    /// Ends every session of the user (the operator's "end sessions") and
    /// revokes the grants made from them; returns how many sessions ended.
    pub async fn end_all_sessions(
        &self,
        tenant: TenantId,
        user: UserId,
        reason: &str,
    ) -> Result<u64, StoreError> {
        let ended = self.sessions.delete_all_for_user(tenant, user).await?;
        self.revoke_grants_of(tenant, &ended, reason).await?;
        Ok(u64::try_from(ended.len()).unwrap_or(u64::MAX))
    }

    /// Revokes the grants made from the sessions `handles` (which just ended).
    async fn revoke_grants_of(
        &self,
        tenant: TenantId,
        handles: &[String],
        reason: &str,
    ) -> Result<(), StoreError> {
        for handle in handles {
            self.grants
                .revoke_for_session(tenant, handle, reason, self.now())
                .await?;
        }
        Ok(())
    }
}
