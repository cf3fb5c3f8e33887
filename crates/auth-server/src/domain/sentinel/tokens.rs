//! Stolen-token signals: a spent refresh token presented again after its
//! reuse interval, and an authorization code redeemed twice. The OAuth layer
//! revokes the grant at once and writes a `token` audit event
//! ([`REFRESH_REUSED`], [`CODE_REPLAYED`]); the sentinel turns each grant's
//! events into one finding and acts on it (`crate::sentinel::tokens`).
//! Pure: the rows come from the store, the clock from the caller.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Detector;

/// The audit outcome (kind `token`) of a refresh token reused outside its
/// reuse interval.
pub const REFRESH_REUSED: &str = "refresh_reused";
/// The audit outcome (kind `token`) of an authorization code redeemed again.
pub const CODE_REPLAYED: &str = "code_replayed";

/// The two stolen-token signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A spent refresh token presented after its reuse interval.
    RefreshReuse,
    /// An authorization code redeemed a second time.
    CodeReplay,
}

impl TokenKind {
    pub fn detector(self) -> Detector {
        match self {
            TokenKind::RefreshReuse => Detector::RefreshReuse,
            TokenKind::CodeReplay => Detector::CodeReplay,
        }
    }

    /// Why it is an incident, as the audit event says it.
    pub fn reason(self) -> &'static str {
        match self {
            TokenKind::RefreshReuse => {
                "a refresh token already replaced came back after its reuse interval: it may have been stolen"
            }
            TokenKind::CodeReplay => {
                "an authorization code was redeemed a second time: it may have been intercepted"
            }
        }
    }
}

/// What a `token` audit event's `detail` says: which client presented the
/// spent token or code, and the grant it belonged to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenDetail {
    pub client_id: String,
    pub grant_id: String,
}

/// One reuse or replay, as the audit trail recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSignal {
    pub kind: TokenKind,
    pub detail: TokenDetail,
    /// The grant's user, when the event named one.
    pub user_id: Option<String>,
    /// The address the token or code came from, as the edge saw it.
    pub ip: String,
    pub user_agent: String,
    /// Unix seconds.
    pub at: i64,
}

impl TokenSignal {
    /// Reads a `token` audit event; `None` for outcomes that are no signal
    /// and for a detail that is not ours (never a panic on stored text).
    pub fn from_event(
        outcome: &str,
        detail: &str,
        user_id: Option<String>,
        ip: String,
        user_agent: String,
        at: i64,
    ) -> Option<TokenSignal> {
        let kind = match outcome {
            REFRESH_REUSED => TokenKind::RefreshReuse,
            CODE_REPLAYED => TokenKind::CodeReplay,
            _ => return None,
        };
        let detail = serde_json::from_str(detail).ok()?;
        Some(TokenSignal {
            kind,
            detail,
            user_id,
            ip,
            user_agent,
            at,
        })
    }
}

/// What the sentinel found in one grant's signals: the first one (the
/// earliest: its address is the first that presented the spent token), how
/// many there were and from which addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenEvidence {
    pub client_id: String,
    pub grant_id: String,
    /// The address of the first reuse (the request that revoked the grant).
    pub ip: String,
    pub user_agent: String,
    /// When it came (Unix seconds).
    pub at: i64,
    /// Reuses of the grant in the window, the first included.
    pub reuses: usize,
    /// Every address they came from, sorted.
    pub addresses: Vec<String>,
}

/// A stolen-token finding: one per detector and grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenFinding {
    pub kind: TokenKind,
    /// `grant:{id}`: with the detector, the incident it belongs to.
    pub subject: String,
    pub user_id: Option<String>,
    pub evidence: TokenEvidence,
}

/// One finding per detector and grant among `signals` made after
/// `since`, in a stable order (detector name, then grant id).
pub fn token_findings(signals: &[TokenSignal], since: i64) -> Vec<TokenFinding> {
    let mut by_grant: BTreeMap<(&str, &str), Vec<&TokenSignal>> = BTreeMap::new();
    for s in signals.iter().filter(|s| s.at > since) {
        by_grant
            .entry((s.kind.detector().as_str(), s.detail.grant_id.as_str()))
            .or_default()
            .push(s);
    }
    by_grant
        .into_values()
        .filter_map(|mut seen| {
            seen.sort_by_key(|s| s.at);
            let first = *seen.first()?;
            let mut addresses: Vec<String> = seen.iter().map(|s| s.ip.clone()).collect();
            addresses.sort();
            addresses.dedup();
            Some(TokenFinding {
                kind: first.kind,
                subject: format!("grant:{}", first.detail.grant_id),
                user_id: seen.iter().find_map(|s| s.user_id.clone()),
                evidence: TokenEvidence {
                    client_id: first.detail.client_id.clone(),
                    grant_id: first.detail.grant_id.clone(),
                    ip: first.ip.clone(),
                    user_agent: first.user_agent.clone(),
                    at: first.at,
                    reuses: seen.len(),
                    addresses,
                },
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signal(outcome: &str, grant: &str, ip: &str, at: i64) -> TokenSignal {
        let detail = serde_json::to_string(&TokenDetail {
            client_id: "app".into(),
            grant_id: grant.into(),
        })
        .expect("json");
        TokenSignal::from_event(
            outcome,
            &detail,
            Some("user-1".into()),
            ip.into(),
            "curl".into(),
            at,
        )
        .expect("a signal")
    }

    #[test]
    fn only_reuse_and_replay_outcomes_with_our_detail_are_signals() {
        let detail = r#"{"client_id":"app","grant_id":"g"}"#;
        let read = |outcome: &str, detail: &str| {
            TokenSignal::from_event(outcome, detail, None, "::1".into(), String::new(), 1)
                .map(|s| s.kind)
        };
        assert_eq!(read(REFRESH_REUSED, detail), Some(TokenKind::RefreshReuse));
        assert_eq!(read(CODE_REPLAYED, detail), Some(TokenKind::CodeReplay));
        assert_eq!(read("issued", detail), None);
        assert_eq!(read(REFRESH_REUSED, "not json"), None);
        assert_eq!(read(REFRESH_REUSED, r#"{"client_id":"app"}"#), None);
    }

    #[test]
    fn each_grant_is_one_finding_with_its_first_address_and_every_other() {
        let signals = [
            signal(REFRESH_REUSED, "g1", "203.0.113.9", 105),
            signal(REFRESH_REUSED, "g1", "198.51.100.2", 101),
            signal(REFRESH_REUSED, "g1", "203.0.113.9", 107),
            signal(REFRESH_REUSED, "g2", "192.0.2.1", 102),
            signal(CODE_REPLAYED, "g1", "192.0.2.7", 103),
        ];
        let found = token_findings(&signals, 100);
        let summary: Vec<(&str, &str, &str, usize)> = found
            .iter()
            .map(|f| {
                (
                    f.kind.detector().as_str(),
                    f.subject.as_str(),
                    f.evidence.ip.as_str(),
                    f.evidence.reuses,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("code_replay", "grant:g1", "192.0.2.7", 1),
                ("refresh_reuse", "grant:g1", "198.51.100.2", 3),
                ("refresh_reuse", "grant:g2", "192.0.2.1", 1),
            ]
        );
        assert_eq!(found[1].evidence.addresses, ["198.51.100.2", "203.0.113.9"]);
        assert_eq!(found[1].evidence.at, 101);
        assert_eq!(found[1].user_id.as_deref(), Some("user-1"));
    }

    #[test]
    fn signals_before_the_window_are_ignored() {
        let signals = [signal(REFRESH_REUSED, "g1", "192.0.2.1", 100)];
        assert!(token_findings(&signals, 100).is_empty());
        assert_eq!(token_findings(&signals, 99).len(), 1);
    }
}
