//! Acting on unfamiliar logins. Each new successful password login is
//! compared with the account's earlier logins (an indexed read of the
//! trail: its newest [`RECENT_ROWS`], which settle a usual login, and only
//! when they do not, the rest up to [`HISTORY_ROWS`]); an unfamiliar one of
//! an account without a second factor (read only then) opens
//! an incident on the user, mails them, and marks the account for step-up
//! when the tenant asks. Nothing is blocked: the login had the password,
//! and a new phone or a trip looks the same.
use serde_json::json;

use super::{Sentinel, SentinelError};
use crate::domain::sentinel::unfamiliar::{is_password_login, unfamiliar, SignIn, Unfamiliar};
use crate::domain::sentinel::Detector;
use crate::domain::tenant::{Tenant, TenantId};
use crate::domain::time_text::minute_utc;
use crate::domain::user::{User, UserId};
use crate::identity::mail::UnfamiliarLoginNotice;
use crate::store::sentinel::SignInRow;
use crate::store::StoreError;

/// At most this many earlier logins of an account are compared (its
/// newest): one read stays bounded however often the account signs in.
const HISTORY_ROWS: i64 = 1_000;
/// The newest logins read first. A usual login matches one of them, and
/// an account that signs in all day (a script, a shared kiosk) costs a
/// read of these, not of [`HISTORY_ROWS`] rows, per login.
const RECENT_ROWS: i64 = 16;

/// Why it is an incident, as the audit event says it.
const REASON: &str = "a password login from an address range and a browser this account has not used lately, on an account without a second factor";

impl Sentinel {
    /// Checks the tenant's new successful logins, in the order read.
    pub(super) async fn check_sign_ins(
        &self,
        tenant: TenantId,
        sign_ins: &[SignInRow],
    ) -> Result<(), SentinelError> {
        if !sign_ins.iter().any(|s| is_password_login(&s.detail)) {
            return Ok(());
        }
        let tenant = match self.tenants.get(tenant).await {
            Ok(t) => t,
            Err(StoreError::TenantNotFound) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        if !tenant.settings.sentinel_unfamiliar_login() {
            return Ok(());
        }
        for row in sign_ins {
            // One login's failure (a store error) must not stop the others.
            if let Err(e) = self.check_sign_in(&tenant, row).await {
                tracing::warn!(error = %e, tenant = %tenant.slug, "sentinel sign-in check failed");
            }
        }
        Ok(())
    }

    /// Opens an incident for `row` when it is an unfamiliar password login
    /// of an account without a second factor.
    async fn check_sign_in(&self, tenant: &Tenant, row: &SignInRow) -> Result<(), SentinelError> {
        if !is_password_login(&row.detail) {
            return Ok(());
        }
        let Some(user_id) = row.user_id.as_deref().and_then(UserId::parse) else {
            return Ok(());
        };
        // The history first: it settles most logins (familiar) alone.
        let login = SignIn::new(&row.ip, &row.user_agent, row.created_at);
        let recent = self.earlier(tenant, user_id, row, RECENT_ROWS).await?;
        let Some(mut found) = unfamiliar(&login, &recent) else {
            return Ok(());
        };
        // Unlike the newest logins: the older ones decide, and give the
        // evidence its counts.
        if recent.len() >= RECENT_ROWS.unsigned_abs() as usize {
            let all = self.earlier(tenant, user_id, row, HISTORY_ROWS).await?;
            match unfamiliar(&login, &all) {
                Some(over_all) => found = over_all,
                None => return Ok(()),
            }
        }
        // A second factor makes the password alone not enough: no incident.
        let user = match self.users.get(tenant.id, user_id).await {
            Ok(u) => u,
            Err(StoreError::UserNotFound) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        if user.mfa_enabled() || self.sign_ins.has_passkey(tenant.id, user_id).await? {
            return Ok(());
        }
        self.act_on_unfamiliar(tenant, &user, &found).await
    }

    /// The account's newest `limit` successful logins before `row`, within
    /// the familiarity window.
    async fn earlier(
        &self,
        tenant: &Tenant,
        user: UserId,
        row: &SignInRow,
        limit: i64,
    ) -> Result<Vec<SignIn>, SentinelError> {
        let since = row
            .created_at
            .saturating_sub(self.settings.unfamiliar_days.saturating_mul(86_400));
        Ok(self
            .sign_ins
            .earlier(tenant.id, user, since, row.seq, limit)
            .await?
            .iter()
            .map(|e| SignIn::new(&e.ip, &e.user_agent, e.created_at))
            .collect())
    }

    /// Opens the incident (once per account, range and browser family per
    /// window), marks the account when the tenant asks, mails the user.
    async fn act_on_unfamiliar(
        &self,
        tenant: &Tenant,
        user: &User,
        found: &Unfamiliar,
    ) -> Result<(), SentinelError> {
        let detector = Detector::UnfamiliarLogin;
        let now = self.clock.now();
        let since = now.saturating_sub(self.settings.thresholds.window_secs);
        let subject = found.subject(&user.id.to_string());
        let Some(incident) = self
            .store
            .open_incident(tenant.id, detector.as_str(), &subject, now, since)
            .await?
        else {
            return Ok(());
        };
        // The incident is open now: a failure below is logged and must
        // not cost it its record.
        let stepped_up = if tenant.settings.sentinel_unfamiliar_login_step_up() {
            Self::or_logged(
                self.mark_user(tenant, user.id, detector, &incident, now)
                    .await,
                tenant,
                &incident,
                "sentinel step-up",
            )
            .map_or(0, usize::from)
        } else {
            0
        };
        let user_mailed = Self::or_logged(
            self.tell_of_unfamiliar(tenant, user, found),
            tenant,
            &incident,
            "unfamiliar login notice",
        )
        .is_some();
        let detail = json!({
            "incident": incident,
            "detector": detector.as_str(),
            "subject": subject,
            "reason": REASON,
            "evidence": found,
            "history_days": self.settings.unfamiliar_days,
            "stepped_up": stepped_up,
            "user_mailed": user_mailed,
        });
        self.record_on(tenant, Some(user.id), detector.as_str(), &detail, now)
            .await?;
        tracing::warn!(tenant = %tenant.slug, detector = detector.as_str(), %incident, "sentinel incident");
        Ok(())
    }

    /// Mails the user: when, from which address and browser, and the way
    /// to a new password.
    fn tell_of_unfamiliar(
        &self,
        tenant: &Tenant,
        user: &User,
        found: &Unfamiliar,
    ) -> Result<(), SentinelError> {
        let when = minute_utc(found.at);
        let notice = UnfamiliarLoginNotice {
            when: &when,
            ip: &found.ip,
            device: &found.user_agent_family,
        };
        self.identity
            .send_unfamiliar_login_notice(tenant, &user.email.to_string(), &notice)?;
        Ok(())
    }
}
