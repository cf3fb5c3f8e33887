//! A tenant's end users as an operator looks after them: disabling one or
//! ending their sessions takes effect at once (ASVS 7.4.2, 7.4.5).
use std::sync::Arc;

use super::ManageError;
use crate::domain::event_query::{EventCursor, EventFilter};
use crate::domain::tenant::TenantId;
use crate::domain::user::{User, UserId};
use crate::identity::Identity;
use crate::store::audit::AuditEvent;
use crate::store::sessions::SessionRecord;
use service_kit::clock::SharedClock;
use service_kit::paging::{Page, PageRequest};

pub struct Users {
    identity: Arc<Identity>,
    clock: SharedClock,
}

impl Users {
    pub fn new(identity: Arc<Identity>, clock: SharedClock) -> Self {
        Self { identity, clock }
    }

    pub async fn list(
        &self,
        tenant: TenantId,
        page: &PageRequest,
    ) -> Result<Page<User>, ManageError> {
        Ok(self.identity.users.list(tenant, page).await?)
    }

    /// The users whose email starts with `prefix` (case does not matter).
    pub async fn search(
        &self,
        tenant: TenantId,
        prefix: &str,
        page: &PageRequest,
    ) -> Result<Page<User>, ManageError> {
        let prefix = prefix.trim().to_lowercase();
        Ok(self.identity.users.search(tenant, &prefix, page).await?)
    }

    /// The user's open sessions, newest first.
    pub async fn sessions(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Vec<SessionRecord>, ManageError> {
        Ok(self.identity.sessions.list_for_user(tenant, user).await?)
    }

    pub async fn get(&self, tenant: TenantId, user: UserId) -> Result<User, ManageError> {
        Ok(self.identity.users.get(tenant, user).await?)
    }

    /// The user can no longer log in, their sessions end and every grant
    /// they gave is revoked.
    pub async fn disable(&self, tenant: TenantId, user: UserId) -> Result<User, ManageError> {
        let now = self.clock.now();
        self.identity.users.disable(tenant, user, now).await?;
        let ended = self
            .identity
            .sessions
            .delete_all_for_user(tenant, user)
            .await?
            .len();
        self.identity
            .grants
            .revoke_for_user(tenant, &user.to_string(), "user disabled", now)
            .await?;
        tracing::info!(tenant_id = %tenant, user_id = %user, ended, "user disabled by operator");
        self.get(tenant, user).await
    }

    /// The user may log in again; sessions and grants ended when they were
    /// disabled stay ended.
    pub async fn enable(&self, tenant: TenantId, user: UserId) -> Result<User, ManageError> {
        self.identity
            .users
            .enable(tenant, user, self.clock.now())
            .await?;
        tracing::info!(tenant_id = %tenant, user_id = %user, "user enabled");
        self.get(tenant, user).await
    }

    /// Logs the user out everywhere and revokes what applications got
    /// through those sessions; returns how many ended.
    pub async fn end_sessions(&self, tenant: TenantId, user: UserId) -> Result<u64, ManageError> {
        self.get(tenant, user).await?;
        Ok(self
            .identity
            .end_all_sessions(tenant, user, "sessions ended by operator")
            .await?)
    }

    /// The tenant's audit events that pass `filter`, newest first, a page
    /// of `limit` after `after`; each with the cursor that continues after it.
    pub async fn search_events(
        &self,
        tenant: TenantId,
        filter: &EventFilter,
        after: Option<&EventCursor>,
        limit: i64,
    ) -> Result<Vec<(EventCursor, AuditEvent)>, ManageError> {
        Ok(self
            .identity
            .audit
            .search(tenant, filter, after, limit)
            .await?)
    }

    /// The tenant's `limit` most recent audit events, newest first.
    pub async fn events(
        &self,
        tenant: TenantId,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, ManageError> {
        Ok(self.identity.audit.recent(tenant, limit).await?)
    }
}
