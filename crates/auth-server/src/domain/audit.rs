//! The audit trail's record: what happened, to whom, from where, and when.
//! Use cases write one for each security-relevant thing they do; the
//! security agent, the webhooks and the console read them back.

/// One event of the audit trail. It holds no password, token or email
/// address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub tenant_id: String,
    pub user_id: Option<String>,
    /// e.g. `login`, `signup`, `lockout`, `password_reset`, `mfa_enrolled`, `session_end`.
    pub kind: String,
    /// `success` or `failure` (or another word the kind defines).
    pub outcome: String,
    pub ip: String,
    pub user_agent: String,
    pub detail: String,
    /// Which account a login attempt was for: a digest, never the email
    /// typed (`identity::login::account_digest`).
    pub account: Option<String>,
    pub created_at: i64,
}

impl AuditEvent {
    /// An event no request made (an operator's change, a background task's
    /// decision): no address, no user agent, no account; `user_id` unset
    /// until [`AuditEvent::about`] names one.
    pub fn system(
        tenant_id: impl ToString,
        kind: &str,
        outcome: &str,
        detail: impl ToString,
        created_at: i64,
    ) -> Self {
        Self {
            tenant_id: tenant_id.to_string(),
            user_id: None,
            kind: kind.to_owned(),
            outcome: outcome.to_owned(),
            ip: String::new(),
            user_agent: String::new(),
            detail: detail.to_string(),
            account: None,
            created_at,
        }
    }

    /// The same event, about `user`.
    pub fn about(self, user: Option<impl ToString>) -> Self {
        Self {
            user_id: user.map(|u| u.to_string()),
            ..self
        }
    }
}
