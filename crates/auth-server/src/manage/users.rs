//! A tenant's end users as an operator or owner looks after them: disabling
//! one or ending their sessions takes effect at once (ASVS 7.4.2, 7.4.5);
//! an MFA reset, a new verification mail, erasure and export of one user.
use std::sync::Arc;

use super::{Actor, ManageError};
use crate::domain::audit::{AuditEvent, AuditKind};
use crate::domain::event_query::{EventCursor, EventFilter};
use crate::domain::tenant::{Tenant, TenantId};
use crate::domain::user::{User, UserId};
use crate::domain::user_import::ImportedUser;
use crate::i18n::Locale;
use crate::identity::Identity;
use crate::store::audit::AuditStore;
use crate::store::consents::{Consent, ConsentStore};
use crate::store::erasure::Erased;
use crate::store::grants::GrantStore;
use crate::store::sessions::{SessionRecord, SessionStore};
use crate::store::users::UserStore;
use service_kit::clock::SharedClock;
use service_kit::paging::{Page, PageRequest};

pub struct Users {
    identity: Arc<Identity>,
    stores: UserStores,
    clock: SharedClock,
}

/// What the user use cases read and write directly; the rest goes through
/// [`Identity`]'s use cases.
#[derive(Clone)]
pub struct UserStores {
    pub users: UserStore,
    pub sessions: SessionStore,
    pub grants: GrantStore,
    pub consents: ConsentStore,
    pub audit: AuditStore,
}

/// Everything kept about one user, as they or a regulator may ask for it
/// (GDPR art. 15, 20): no password hash, TOTP seed or session secret.
pub struct UserExport {
    pub user: User,
    pub sessions: Vec<SessionRecord>,
    pub consents: Vec<Consent>,
    /// Newest first, at most [`EXPORT_EVENTS_MAX`].
    pub events: Vec<AuditEvent>,
    /// Unix seconds.
    pub exported_at: i64,
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportReport {
    pub created: u64,
    /// Addresses that already had an account (left as they were).
    pub existing: u64,
}

/// The most audit events an export holds (the newest).
pub const EXPORT_EVENTS_MAX: i64 = 1000;

impl Users {
    pub fn new(identity: Arc<Identity>, stores: UserStores, clock: SharedClock) -> Self {
        Self {
            identity,
            stores,
            clock,
        }
    }

    /// Turns the user's second factor off; they are mailed (in `locale`).
    pub async fn reset_mfa(
        &self,
        tenant: &Tenant,
        user: UserId,
        actor: Actor,
        locale: Locale,
    ) -> Result<User, ManageError> {
        Ok(self
            .identity
            .reset_mfa(tenant, user, &actor.to_string(), locale)
            .await?)
    }

    /// Mails a new verification link; `AlreadyVerified` when there is
    /// nothing to verify.
    pub async fn resend_verification(
        &self,
        tenant: &Tenant,
        user: UserId,
        actor: Actor,
        locale: Locale,
    ) -> Result<(), ManageError> {
        let sent = self
            .identity
            .resend_verification(tenant, user, &actor.to_string(), locale)
            .await?;
        if sent {
            Ok(())
        } else {
            Err(ManageError::AlreadyVerified)
        }
    }

    /// Creates the users of an import (already checked whole); addresses
    /// that have an account keep it. Recorded in the audit trail.
    pub async fn import(
        &self,
        tenant: TenantId,
        users: &[ImportedUser],
        actor: Actor,
    ) -> Result<ImportReport, ManageError> {
        let now = self.clock.now();
        let (created, existing) = self.stores.users.import(tenant, users, now).await?;
        self.stores
            .audit
            .insert(&AuditEvent::system(
                tenant,
                AuditKind::UsersImported,
                "success",
                format!("{created} created, {existing} already there, {actor}"),
                now,
            ))
            .await?;
        tracing::info!(tenant_id = %tenant, created, existing, "users imported");
        Ok(ImportReport { created, existing })
    }

    /// Erases the user and what is theirs (right to erasure).
    pub async fn delete(
        &self,
        tenant: &Tenant,
        user: UserId,
        actor: Actor,
    ) -> Result<Erased, ManageError> {
        Ok(self
            .identity
            .erase_user(tenant, user, &actor.to_string())
            .await?)
    }

    /// Everything kept about the user.
    pub async fn export(&self, tenant: TenantId, user: UserId) -> Result<UserExport, ManageError> {
        let found = self.get(tenant, user).await?;
        let filter = EventFilter {
            user_id: Some(user.to_string()),
            ..EventFilter::default()
        };
        let events = self
            .stores
            .audit
            .search(tenant, &filter, None, EXPORT_EVENTS_MAX)
            .await?
            .into_iter()
            .map(|(_, event)| event)
            .collect();
        Ok(UserExport {
            sessions: self.stores.sessions.list_for_user(tenant, user).await?,
            consents: self
                .stores
                .consents
                .list_for_user(tenant, &user.to_string())
                .await?,
            user: found,
            events,
            exported_at: self.clock.now(),
        })
    }

    pub async fn list(
        &self,
        tenant: TenantId,
        page: &PageRequest,
    ) -> Result<Page<User>, ManageError> {
        Ok(self.stores.users.list(tenant, page).await?)
    }

    /// The users whose email starts with `prefix` (case does not matter).
    pub async fn search(
        &self,
        tenant: TenantId,
        prefix: &str,
        page: &PageRequest,
    ) -> Result<Page<User>, ManageError> {
        let prefix = prefix.trim().to_lowercase();
        Ok(self.stores.users.search(tenant, &prefix, page).await?)
    }

    /// The user's open sessions, newest first.
    pub async fn sessions(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Vec<SessionRecord>, ManageError> {
        Ok(self.stores.sessions.list_for_user(tenant, user).await?)
    }

    pub async fn get(&self, tenant: TenantId, user: UserId) -> Result<User, ManageError> {
        Ok(self.stores.users.get(tenant, user).await?)
    }

    /// The user can no longer log in, their sessions end and every grant
    /// they gave is revoked.
    pub async fn disable(&self, tenant: TenantId, user: UserId) -> Result<User, ManageError> {
        let now = self.clock.now();
        self.stores.users.disable(tenant, user, now).await?;
        let ended = self
            .stores
            .sessions
            .delete_all_for_user(tenant, user)
            .await?
            .len();
        self.stores
            .grants
            .revoke_for_user(tenant, &user.to_string(), "user disabled", now)
            .await?;
        tracing::info!(tenant_id = %tenant, user_id = %user, ended, "user disabled by operator");
        self.get(tenant, user).await
    }

    /// The user may log in again; sessions and grants ended when they were
    /// disabled stay ended.
    pub async fn enable(&self, tenant: TenantId, user: UserId) -> Result<User, ManageError> {
        self.stores
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
            .stores
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
        Ok(self.stores.audit.recent(tenant, limit).await?)
    }
}
