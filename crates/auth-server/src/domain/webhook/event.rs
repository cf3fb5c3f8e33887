//! Webhook events: the types a tenant subscribes to, each derived from one
//! kind of audit event, and the JSON body a delivery carries.
use serde_json::{json, Map, Value};

use service_kit::clock::rfc3339;

use crate::domain::audit::{AuditEvent, AuditKind};
use crate::domain::sentinel::{Detector, CLIENT_SECRET_COMPROMISED, SIGNING_KEY_COMPROMISED};

/// An event type a webhook endpoint can subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    UserCreated,
    UserDeleted,
    UserLocked,
    UserPasswordReset,
    UserMfaEnrolled,
    LoginSucceeded,
    LoginFailed,
    SecurityIncident,
    SecurityIpBlocked,
    SecurityIpUnblocked,
    SecurityTokenReused,
    KeyRotated,
    /// Sent on demand to check an endpoint; never derived from the trail.
    WebhookTest,
}

impl EventType {
    /// Every type an endpoint may subscribe to, in the order documented.
    pub const ALL: [EventType; 13] = [
        EventType::UserCreated,
        EventType::UserDeleted,
        EventType::UserLocked,
        EventType::UserPasswordReset,
        EventType::UserMfaEnrolled,
        EventType::LoginSucceeded,
        EventType::LoginFailed,
        EventType::SecurityIncident,
        EventType::SecurityIpBlocked,
        EventType::SecurityIpUnblocked,
        EventType::SecurityTokenReused,
        EventType::KeyRotated,
        EventType::WebhookTest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::UserCreated => "user.created",
            EventType::UserDeleted => "user.deleted",
            EventType::UserLocked => "user.locked",
            EventType::UserPasswordReset => "user.password_reset",
            EventType::UserMfaEnrolled => "user.mfa_enrolled",
            EventType::LoginSucceeded => "login.succeeded",
            EventType::LoginFailed => "login.failed",
            EventType::SecurityIncident => "security.incident",
            EventType::SecurityIpBlocked => "security.ip_blocked",
            EventType::SecurityIpUnblocked => "security.ip_unblocked",
            EventType::SecurityTokenReused => "security.token_reused",
            EventType::KeyRotated => "key.rotated",
            EventType::WebhookTest => "webhook.test",
        }
    }

    pub fn parse(text: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == text)
    }

    /// The webhook event an audit event of `kind` and `outcome` is, if any.
    pub fn of_audit(kind: &str, outcome: &str) -> Option<EventType> {
        Some(match (AuditKind::parse(kind)?, outcome) {
            (AuditKind::Signup, "success") => EventType::UserCreated,
            (AuditKind::UserDeleted, _) => EventType::UserDeleted,
            (AuditKind::Lockout, _) => EventType::UserLocked,
            (AuditKind::PasswordReset, "success") => EventType::UserPasswordReset,
            (AuditKind::MfaEnrolled, "success") => EventType::UserMfaEnrolled,
            (AuditKind::Login, "success") => EventType::LoginSucceeded,
            (AuditKind::Login, "failure" | "locked") => EventType::LoginFailed,
            (AuditKind::Sentinel, "blocked") => EventType::SecurityIpBlocked,
            (AuditKind::Sentinel, "unblocked") => EventType::SecurityIpUnblocked,
            // An incident is recorded under its detector's name.
            (AuditKind::Sentinel, detector) if Detector::parse(detector).is_some() => {
                EventType::SecurityIncident
            }
            (AuditKind::Sentinel, CLIENT_SECRET_COMPROMISED | SIGNING_KEY_COMPROMISED) => {
                EventType::SecurityIncident
            }
            (AuditKind::Token, _) => EventType::SecurityTokenReused,
            (AuditKind::KeyRotated, _) => EventType::KeyRotated,
            _ => return None,
        })
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An audit event with its place in the trail, as the fan-out reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailEntry {
    /// The audit event's id: a delivery's event id, stable across retries.
    pub id: String,
    /// Its number in the trail: the fan-out's cursor.
    pub seq: i64,
    pub event: AuditEvent,
}

/// The body of a delivery: the event's id (the audit event's, stable across
/// retries, so receivers can drop duplicates), its type, when it happened,
/// the tenant, and `data`: the user, the address and user agent, the
/// outcome, and the audit detail (an object when it is JSON, else a
/// `reason` string). The trail holds no password, token or email address,
/// so neither does this.
pub fn payload(entry: &TrailEntry, event_type: EventType, tenant_slug: &str) -> Value {
    let event = &entry.event;
    let mut data = Map::new();
    if let Some(user) = &event.user_id {
        data.insert("user_id".into(), json!(user));
    }
    if !event.ip.is_empty() {
        data.insert("ip".into(), json!(event.ip));
    }
    if !event.user_agent.is_empty() {
        data.insert("user_agent".into(), json!(event.user_agent));
    }
    data.insert("outcome".into(), json!(event.outcome));
    match serde_json::from_str::<Value>(&event.detail) {
        Ok(Value::Object(detail)) => {
            data.insert("detail".into(), Value::Object(detail));
        }
        _ if !event.detail.is_empty() => {
            data.insert("reason".into(), json!(event.detail));
        }
        _ => {}
    }
    json!({
        "id": entry.id,
        "type": event_type.as_str(),
        "created_at": rfc3339(event.created_at),
        "tenant": {"id": event.tenant_id, "slug": tenant_slug},
        "data": data,
    })
}

/// The body of a `webhook.test` delivery.
pub fn test_payload(id: &str, tenant_id: &str, tenant_slug: &str, created_at: i64) -> Value {
    json!({
        "id": id,
        "type": EventType::WebhookTest.as_str(),
        "created_at": rfc3339(created_at),
        "tenant": {"id": tenant_id, "slug": tenant_slug},
        "data": {"message": "A test delivery from ConnectAuth."},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, outcome: &str, detail: &str) -> TrailEntry {
        TrailEntry {
            id: "ev1".into(),
            seq: 7,
            event: AuditEvent {
                tenant_id: "t1".into(),
                user_id: Some("u1".into()),
                kind: kind.into(),
                outcome: outcome.into(),
                ip: "203.0.113.9".into(),
                user_agent: "curl/8".into(),
                detail: detail.into(),
                account: None,
                created_at: 1_700_000_000,
            },
        }
    }

    #[test]
    fn every_type_reads_back_from_its_name() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
        }
        assert_eq!(EventType::parse("user.*"), None);
        assert_eq!(EventType::parse("USER.CREATED"), None);
    }

    #[test]
    fn audit_kinds_map_to_their_event_types() {
        let cases = [
            (("signup", "success"), Some(EventType::UserCreated)),
            (("signup", "failure"), None),
            (("user_deleted", "success"), Some(EventType::UserDeleted)),
            (("lockout", "locked"), Some(EventType::UserLocked)),
            (("login", "success"), Some(EventType::LoginSucceeded)),
            (("login", "failure"), Some(EventType::LoginFailed)),
            (("login", "locked"), Some(EventType::LoginFailed)),
            (
                ("password_reset", "success"),
                Some(EventType::UserPasswordReset),
            ),
            (
                ("mfa_enrolled", "success"),
                Some(EventType::UserMfaEnrolled),
            ),
            (
                ("sentinel", "password_spray"),
                Some(EventType::SecurityIncident),
            ),
            (
                ("sentinel", "refresh_reuse"),
                Some(EventType::SecurityIncident),
            ),
            (
                ("sentinel", "client_secret_compromised"),
                Some(EventType::SecurityIncident),
            ),
            (
                ("sentinel", "signing_key_compromised"),
                Some(EventType::SecurityIncident),
            ),
            (("key_rotated", "compromised"), Some(EventType::KeyRotated)),
            (("sentinel", "blocked"), Some(EventType::SecurityIpBlocked)),
            (
                ("sentinel", "unblocked"),
                Some(EventType::SecurityIpUnblocked),
            ),
            (("sentinel", "alerted"), None),
            (("sentinel", "stepped_up"), None),
            (("login", "step_up_required"), None),
            (
                ("token", "refresh_reuse"),
                Some(EventType::SecurityTokenReused),
            ),
            (("key_rotated", "success"), Some(EventType::KeyRotated)),
            (("login", "mfa_required"), None),
            (("session_end", "success"), None),
        ];
        for ((kind, outcome), expected) in cases {
            assert_eq!(
                EventType::of_audit(kind, outcome),
                expected,
                "{kind}/{outcome}"
            );
        }
    }

    #[test]
    fn a_json_detail_is_an_object_and_a_word_is_a_reason() {
        let incident = event(
            "sentinel",
            "password_spray",
            r#"{"detector":"password_spray"}"#,
        );
        let body = payload(&incident, EventType::SecurityIncident, "acme");
        assert_eq!(body["created_at"], "2023-11-14T22:13:20Z");
        assert_eq!(body["id"], "ev1");
        assert_eq!(body["type"], "security.incident");
        assert_eq!(body["tenant"], json!({"id": "t1", "slug": "acme"}));
        assert_eq!(body["data"]["detail"]["detector"], "password_spray");
        assert_eq!(body["data"]["ip"], "203.0.113.9");
        assert!(body["data"].get("reason").is_none());

        let failed = event("login", "failure", "wrong_password");
        let body = payload(&failed, EventType::LoginFailed, "acme");
        assert_eq!(body["data"]["reason"], "wrong_password");
        assert_eq!(body["data"]["user_id"], "u1");

        let mut bare = event("signup", "success", "");
        bare.event.ip.clear();
        bare.event.user_agent.clear();
        let body = payload(&bare, EventType::UserCreated, "acme");
        assert_eq!(body["data"], json!({"user_id": "u1", "outcome": "success"}));
    }
}
