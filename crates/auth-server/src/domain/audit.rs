//! The audit trail's record: what happened, to whom, from where, and when.
//! Use cases write one for each security-relevant thing they do; the
//! security agent, the webhooks and the console read them back.

/// What an audit event is about: the trail stores it as its word
/// ([`AuditKind::as_str`]), which the sentinel, the webhooks, the reports
/// and the event filters read. Every writer names one of these, so a
/// misspelt kind does not compile. The stores' SQL filters on the words
/// too (`kind = 'login'`), and past rows keep theirs: a word never changes
/// without a migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditKind {
    /// A sign-in: `success`, `failure`, `locked`, `step_up_required`.
    Login,
    Logout,
    Signup,
    /// An account locked after too many failures.
    Lockout,
    /// An account unlocked by its emailed link.
    Unlock,
    EmailVerified,
    PasswordResetRequest,
    PasswordReset,
    PasswordRemoved,
    MfaEnrolled,
    MfaChallenge,
    /// An operator turned a user's second factor off.
    MfaReset,
    RecoveryCodeUsed,
    /// The emailed code of a sign-in the sentinel found unfamiliar.
    StepUp,
    PasskeyAdded,
    PasskeyRenamed,
    PasskeyRemoved,
    /// A session ended by its user (one, or all the others).
    SessionEnd,
    UpstreamLink,
    UpstreamUnlink,
    VerificationResent,
    UserDeleted,
    UsersImported,
    /// A signing key rotated, on schedule or because it was compromised.
    KeyRotated,
    /// The sentinel's incidents, blocks and alerts; its outcome names which.
    Sentinel,
    /// A refresh token presented again after its rotation.
    Token,
    /// A report of 401s at the management API from one network (outcome
    /// `failure`, detail `{"failures": n, "network": …}`), written on the
    /// `platform` tenant.
    ManageAuth,
    /// A change to a webhook endpoint; its outcome names which.
    Webhook,
}

impl AuditKind {
    pub const ALL: [AuditKind; 28] = [
        AuditKind::Login,
        AuditKind::Logout,
        AuditKind::Signup,
        AuditKind::Lockout,
        AuditKind::Unlock,
        AuditKind::EmailVerified,
        AuditKind::PasswordResetRequest,
        AuditKind::PasswordReset,
        AuditKind::PasswordRemoved,
        AuditKind::MfaEnrolled,
        AuditKind::MfaChallenge,
        AuditKind::MfaReset,
        AuditKind::RecoveryCodeUsed,
        AuditKind::StepUp,
        AuditKind::PasskeyAdded,
        AuditKind::PasskeyRenamed,
        AuditKind::PasskeyRemoved,
        AuditKind::SessionEnd,
        AuditKind::UpstreamLink,
        AuditKind::UpstreamUnlink,
        AuditKind::VerificationResent,
        AuditKind::UserDeleted,
        AuditKind::UsersImported,
        AuditKind::KeyRotated,
        AuditKind::Sentinel,
        AuditKind::Token,
        AuditKind::ManageAuth,
        AuditKind::Webhook,
    ];

    /// The word the trail stores.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::Login => "login",
            AuditKind::Logout => "logout",
            AuditKind::Signup => "signup",
            AuditKind::Lockout => "lockout",
            AuditKind::Unlock => "unlock",
            AuditKind::EmailVerified => "email_verified",
            AuditKind::PasswordResetRequest => "password_reset_request",
            AuditKind::PasswordReset => "password_reset",
            AuditKind::PasswordRemoved => "password_removed",
            AuditKind::MfaEnrolled => "mfa_enrolled",
            AuditKind::MfaChallenge => "mfa_challenge",
            AuditKind::MfaReset => "mfa_reset",
            AuditKind::RecoveryCodeUsed => "recovery_code_used",
            AuditKind::StepUp => "step_up",
            AuditKind::PasskeyAdded => "passkey_added",
            AuditKind::PasskeyRenamed => "passkey_renamed",
            AuditKind::PasskeyRemoved => "passkey_removed",
            AuditKind::SessionEnd => "session_end",
            AuditKind::UpstreamLink => "upstream_link",
            AuditKind::UpstreamUnlink => "upstream_unlink",
            AuditKind::VerificationResent => "verification_resent",
            AuditKind::UserDeleted => "user_deleted",
            AuditKind::UsersImported => "users_imported",
            AuditKind::KeyRotated => "key_rotated",
            AuditKind::Sentinel => "sentinel",
            AuditKind::Token => "token",
            AuditKind::ManageAuth => "manage_auth",
            AuditKind::Webhook => "webhook",
        }
    }

    /// The kind a stored word names; `None` for a word this version does
    /// not write (a row of another version is passed over, not an error).
    pub fn parse(text: &str) -> Option<AuditKind> {
        AuditKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

impl std::fmt::Display for AuditKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One event of the audit trail. It holds no password, token or email
/// address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub tenant_id: String,
    pub user_id: Option<String>,
    /// An [`AuditKind`]'s word, as stored.
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
        kind: AuditKind,
        outcome: &str,
        detail: impl ToString,
        created_at: i64,
    ) -> Self {
        Self {
            tenant_id: tenant_id.to_string(),
            user_id: None,
            kind: kind.as_str().to_owned(),
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

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn each_kind_has_its_own_word_and_reads_back() {
        let words: HashSet<&str> = AuditKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(words.len(), AuditKind::ALL.len());
        for kind in AuditKind::ALL {
            assert_eq!(AuditKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(AuditKind::parse("Login"), None);
        assert_eq!(AuditKind::parse(""), None);
    }
}
