//! Credentials someone marks compromised (a client's secret, a signing
//! key): what the incident records and what the owners' alert mail says.
//! The alert is kept with the incident until the sentinel mails it, so it
//! names what was compromised, why and by whom, and never holds a secret.
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::reason::Reason;

/// The incident of a client secret marked compromised: the outcome of its
/// `sentinel` audit event, sent to webhooks as `security.incident`.
pub const CLIENT_SECRET_COMPROMISED: &str = "client_secret_compromised";
/// The incident of a signing key marked compromised, likewise.
pub const SIGNING_KEY_COMPROMISED: &str = "signing_key_compromised";

/// The incidents opened by hand rather than by a detector.
pub const REPORTED: [&str; 2] = [CLIENT_SECRET_COMPROMISED, SIGNING_KEY_COMPROMISED];

/// What was compromised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Compromised {
    ClientSecret,
    SigningKey,
}

impl Compromised {
    /// The incident's name (its audit outcome, `sentinel_incidents.detector`).
    pub fn incident(self) -> &'static str {
        match self {
            Compromised::ClientSecret => CLIENT_SECRET_COMPROMISED,
            Compromised::SigningKey => SIGNING_KEY_COMPROMISED,
        }
    }
}

/// Who marked it: the operator (API token or CLI), an owner in the console
/// (their platform user id), or a tenant's API credential (its client id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum ReportedBy {
    Operator,
    Owner(String),
    Credential(String),
}

/// What the owners are mailed about a credential marked compromised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompromiseAlert {
    pub what: Compromised,
    /// The client id, or the key's kid.
    pub subject: String,
    /// The key's algorithm (a signing key only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    pub reason: String,
    pub by: ReportedBy,
}

impl CompromiseAlert {
    pub fn new(
        what: Compromised,
        subject: &str,
        alg: Option<&str>,
        reason: &Reason,
        by: ReportedBy,
    ) -> Self {
        Self {
            what,
            subject: subject.to_owned(),
            alg: alg.map(str::to_owned),
            reason: reason.as_str().to_owned(),
            by,
        }
    }

    /// As kept with the incident until it is mailed.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }

    /// The stored alert, `None` when it does not read as one.
    pub fn from_json(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }
}

/// A signing key marked compromised: the key, and what replaced what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCompromise {
    pub kid: String,
    pub alg: String,
    /// The state it was in: `active`, `next` or `retired`.
    pub was: String,
    /// The fresh key that signs from now on, when the compromised one did.
    pub active: Option<String>,
    /// The fresh next key, when the compromised one was active or next.
    pub next: Option<String>,
    /// The next key revoked beside a compromised active key (it was made
    /// and kept beside it, so it may have leaked with it).
    pub next_revoked: Option<String>,
}

impl KeyCompromise {
    /// The `sentinel` event's detail.
    pub fn incident_detail(&self, incident: &str, reason: &Reason, by: &str) -> Value {
        let mut actions = vec!["key_revoked"];
        if self.active.is_some() {
            actions.push("new_key_signs");
        }
        if self.next_revoked.is_some() {
            actions.push("next_key_replaced");
        } else if self.next.is_some() {
            actions.push("new_next_key");
        }
        json!({
            "incident": incident,
            "subject": self.kid,
            "reason": reason.as_str(),
            "by": by,
            "actions": actions,
            "evidence": {
                "kid": self.kid,
                "alg": self.alg,
                "state": self.was,
                "new_kid": self.active,
                "next_kid": self.next,
                "next_revoked": self.next_revoked,
            },
        })
    }

    /// The `key_rotated` event's detail (webhooks' `key.rotated`), when a
    /// new key signs or a new next key is published; `None` for a retired
    /// key, whose revocation changes no signing.
    pub fn rotated_detail(&self) -> Option<Value> {
        if self.active.is_none() && self.next.is_none() {
            return None;
        }
        Some(json!({
            "alg": self.alg,
            "revoked": self.kid,
            "compromised": true,
            "active": self.active,
            "next": self.next,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason() -> Reason {
        Reason::parse("found in a core dump").expect("reason")
    }

    #[test]
    fn the_alert_keeps_what_where_why_and_who_and_reads_back() {
        let alert = CompromiseAlert::new(
            Compromised::SigningKey,
            "k1",
            Some("ES256"),
            &reason(),
            ReportedBy::Credential("cred-1".into()),
        );
        let text = alert.to_json();
        assert_eq!(
            serde_json::from_str::<Value>(&text).expect("json"),
            json!({"what": "signing_key", "subject": "k1", "alg": "ES256",
                   "reason": "found in a core dump", "by": {"kind": "credential", "id": "cred-1"}})
        );
        assert_eq!(CompromiseAlert::from_json(&text), Some(alert));
        let secret = CompromiseAlert::new(
            Compromised::ClientSecret,
            "app",
            None,
            &reason(),
            ReportedBy::Operator,
        );
        assert_eq!(
            serde_json::from_str::<Value>(&secret.to_json()).expect("json"),
            json!({"what": "client_secret", "subject": "app",
                   "reason": "found in a core dump", "by": {"kind": "operator"}})
        );
        assert_eq!(CompromiseAlert::from_json("{\"what\": \"x\"}"), None);
        assert_eq!(
            Compromised::SigningKey.incident(),
            "signing_key_compromised"
        );
    }

    #[test]
    fn an_active_key_s_incident_names_the_keys_that_replaced_it() {
        let c = KeyCompromise {
            kid: "old".into(),
            alg: "RS256".into(),
            was: "active".into(),
            active: Some("new".into()),
            next: Some("new-next".into()),
            next_revoked: Some("old-next".into()),
        };
        let d = c.incident_detail("inc", &reason(), "by the operator");
        assert_eq!(d["subject"], "old");
        assert_eq!(d["by"], "by the operator");
        assert_eq!(
            d["actions"],
            json!(["key_revoked", "new_key_signs", "next_key_replaced"])
        );
        assert_eq!(d["evidence"]["new_kid"], "new");
        assert_eq!(d["evidence"]["next_revoked"], "old-next");
        let rotated = c.rotated_detail().expect("a rotation");
        assert_eq!(rotated["revoked"], "old");
        assert_eq!(rotated["active"], "new");
        assert_eq!(rotated["next"], "new-next");
    }

    #[test]
    fn a_retired_key_is_only_revoked_and_rotates_nothing() {
        let c = KeyCompromise {
            kid: "old".into(),
            alg: "ES256".into(),
            was: "retired".into(),
            active: None,
            next: None,
            next_revoked: None,
        };
        assert_eq!(
            c.incident_detail("inc", &reason(), "x")["actions"],
            json!(["key_revoked"])
        );
        assert_eq!(c.rotated_detail(), None);
        let next = KeyCompromise {
            was: "next".into(),
            next: Some("fresh".into()),
            ..c
        };
        assert_eq!(
            next.incident_detail("inc", &reason(), "x")["actions"],
            json!(["key_revoked", "new_next_key"])
        );
        assert_eq!(
            next.rotated_detail().expect("a new next")["active"],
            Value::Null
        );
    }
}
