//! What the analyst is shown: figures, detector names and the actions
//! taken, never an address, a user or grant id, a client id, a user agent,
//! a token or a secret. Free text (an operator's reason) goes through
//! [`mask_text`]: every email address masked, long runs redacted.
use serde_json::{json, Map, Value};

use super::mask::mask_text;
use crate::domain::operator_report::{OperatorReport, TenantLine};
use crate::domain::security_report::SecurityReport;

/// The longest free text passed on.
const TEXT_MAX: usize = 300;

/// A tenant's day, as figures: logins, failures, blocks, incidents by
/// detector, how concentrated the failures were (counts, not addresses or
/// accounts), second-factor adoption, the actions taken, the busiest hour.
pub fn report_facts(r: &SecurityReport) -> Value {
    let busiest = (0u32..)
        .zip(r.hours.iter())
        .max_by_key(|(hour, h)| (h.failed, std::cmp::Reverse(*hour)))
        .filter(|(_, h)| h.failed > 0)
        .map(|(hour, h)| json!({ "hour_utc": hour, "failed": h.failed }));
    json!({
        "day": r.day.to_string(),
        "logins": {
            "succeeded": r.succeeded,
            "failed": r.failed,
            "locked_out": r.locked,
            "failure_rate_percent": r.failure_rate(),
        },
        "addresses_blocked": {
            "by_sentinel": r.blocks_by_sentinel,
            "by_hand": r.blocks_by_hand,
        },
        "incidents_by_detector": r.incidents,
        "failed_attempts_of_the_busiest_addresses": r.top_addresses.iter().map(|(_, n)| n).collect::<Vec<_>>(),
        "failed_attempts_of_the_most_attacked_accounts": r.accounts_at_risk.iter().map(|(_, n)| n).collect::<Vec<_>>(),
        "busiest_failure_hour": busiest,
        "second_factor": {
            "users_with_one": r.mfa.with_second_factor,
            "users": r.mfa.users,
            "percent": r.mfa.percent(),
        },
        "actions_taken": {
            "blocks": r.actions.blocks,
            "sessions_ended": r.actions.sessions_ended,
            "grants_revoked": r.actions.grants_revoked,
            "client_secrets_replaced": r.actions.secrets_replaced,
        },
    })
}

/// The operators' day across tenants, as figures: how many tenants, the
/// totals, how many had incidents or blocks, churn risks and upgrade
/// candidates, and the busiest tenants' figures (not their names).
pub fn operator_facts(r: &OperatorReport) -> Value {
    let mut busiest: Vec<&TenantLine> = r.tenants.iter().collect();
    busiest.sort_by_key(|t| std::cmp::Reverse(t.day.logins_failed));
    busiest.truncate(5);
    json!({
        "day": r.day,
        "tenants": r.tenants.len(),
        "totals": {
            "logins_succeeded": r.totals.logins_succeeded,
            "logins_failed": r.totals.logins_failed,
            "incidents": r.totals.incidents,
            "blocks": r.totals.blocks,
        },
        "tenants_with_incidents": r.tenants.iter().filter(|t| t.day.incidents > 0).count(),
        "tenants_with_blocks": r.tenants.iter().filter(|t| t.day.blocks > 0).count(),
        "churn_risks": r.churn_risks().count(),
        "upgrade_candidates": r.upgrade_candidates().count(),
        "busiest_tenants_by_failed_logins": busiest.iter().filter(|t| t.day.logins_failed > 0).map(|t| json!({
            "logins_succeeded": t.day.logins_succeeded,
            "logins_failed": t.day.logins_failed,
            "incidents": t.day.incidents,
            "blocks": t.day.blocks,
        })).collect::<Vec<_>>(),
    })
}

/// An incident from its `sentinel` audit event (`outcome`, the detector or
/// `client_secret_compromised`; `detail`, the event's JSON): the detector,
/// the evidence's numbers and yes/no facts (a list counts as its length,
/// text is left out), what was done, and the reason masked.
pub fn incident_facts(outcome: &str, detail: &Value) -> Value {
    let mut facts = Map::new();
    facts.insert("incident_type".into(), json!(outcome));
    if let Some(evidence) = detail.get("evidence") {
        facts.insert("evidence".into(), figures_only(evidence));
    }
    let mut done = Map::new();
    for key in [
        "stepped_up",
        "sessions_ended",
        "grant_revoked",
        "user_mailed",
    ] {
        if let Some(v) = detail.get(key).filter(|v| v.is_number() || v.is_boolean()) {
            done.insert(key.into(), v.clone());
        }
    }
    for (key, name) in [
        ("blocking", "address_ranges_blocked"),
        ("spared", "address_ranges_spared_by_allowlist"),
    ] {
        if let Some(list) = detail.get(key).and_then(Value::as_array) {
            done.insert(name.into(), json!(list.len()));
        }
    }
    if let Some(actions) = detail.get("actions").and_then(Value::as_array) {
        let names: Vec<&str> = actions
            .iter()
            .filter_map(Value::as_str)
            .filter(|a| a.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
            .collect();
        done.insert("actions".into(), json!(names));
    }
    facts.insert("already_done_automatically".into(), Value::Object(done));
    if let Some(reason) = detail.get("reason").and_then(Value::as_str) {
        facts.insert("reason".into(), json!(mask_text(reason, TEXT_MAX)));
    }
    Value::Object(facts)
}

/// Numbers and booleans as they are, lists as their length, objects
/// likewise inside; text dropped.
fn figures_only(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter_map(|(k, v)| match v {
                    Value::Number(_) | Value::Bool(_) => Some((k.clone(), v.clone())),
                    Value::Array(list) => Some((k.clone(), json!(list.len()))),
                    Value::Object(_) => Some((k.clone(), figures_only(v))),
                    Value::String(_) | Value::Null => None,
                })
                .collect(),
        ),
        Value::Number(_) | Value::Bool(_) => value.clone(),
        Value::Array(list) => json!(list.len()),
        Value::String(_) | Value::Null => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::security_report::{MfaAdoption, ReportDay, TrailEvent};

    #[test]
    fn a_report_gives_figures_and_never_addresses_or_user_ids() {
        let day = ReportDay::of(1_796_428_800);
        let login = |outcome: &str, user: Option<&str>, at: i64| TrailEvent {
            kind: "login".into(),
            outcome: outcome.into(),
            user_id: user.map(str::to_owned),
            ip: "203.0.113.9".into(),
            detail: String::new(),
            created_at: at,
        };
        let mut events = vec![login("success", Some("user-ann"), 1_796_428_800 + 60)];
        for i in 0..4 {
            events.push(login("failure", Some("user-bob"), 1_796_428_800 + 7200 + i));
        }
        events.push(TrailEvent {
            kind: "sentinel".into(),
            outcome: "brute_force".into(),
            user_id: None,
            ip: String::new(),
            detail: r#"{"incident":"i1"}"#.into(),
            created_at: 1_796_428_800 + 7300,
        });
        let report = SecurityReport::compute(
            day,
            &events,
            MfaAdoption {
                with_second_factor: 1,
                users: 4,
            },
        );
        let facts = report_facts(&report);
        let text = facts.to_string();
        assert_eq!(facts["logins"]["failed"], 4);
        assert_eq!(facts["logins"]["failure_rate_percent"], 80);
        assert_eq!(facts["incidents_by_detector"]["brute_force"], 1);
        assert_eq!(
            facts["failed_attempts_of_the_busiest_addresses"],
            json!([4])
        );
        assert_eq!(facts["busiest_failure_hour"]["hour_utc"], 2);
        assert_eq!(facts["second_factor"]["percent"], 25);
        for hidden in ["203.0.113.9", "user-ann", "user-bob", "i1"] {
            assert!(!text.contains(hidden), "{hidden} in {text}");
        }
    }

    #[test]
    fn the_operators_day_gives_counts_and_no_tenant_names() {
        use crate::domain::operator_report::{
            Activity, DayFigures, EventCount, Inputs, TenantName,
        };
        use std::collections::{HashMap, HashSet};
        let tenants = [TenantName {
            id: "t1".into(),
            slug: "acme-corp".into(),
            display_name: "Acme jane@acme.example".into(),
        }];
        let counts = [EventCount {
            tenant_id: "t1".into(),
            kind: "login".into(),
            outcome: "failure".into(),
            count: 7,
        }];
        let activity = HashMap::from([(
            "t1".to_owned(),
            Activity {
                last_30_days: 1,
                previous_30_days: 10,
            },
        )]);
        let report = OperatorReport::compute(&Inputs {
            day: ReportDay::of(1_796_428_800),
            tenants: &tenants,
            counts: &counts,
            activity: &activity,
            plans: &HashMap::new(),
            reports_mailed: &HashSet::new(),
        });
        let facts = operator_facts(&report);
        assert_eq!(facts["tenants"], 1);
        assert_eq!(facts["totals"]["logins_failed"], 7);
        assert_eq!(facts["churn_risks"], 1);
        assert_eq!(
            facts["busiest_tenants_by_failed_logins"][0]["logins_failed"],
            7
        );
        assert_eq!(
            report.totals,
            DayFigures {
                logins_failed: 7,
                ..DayFigures::default()
            }
        );
        let text = facts.to_string();
        for hidden in ["acme", "Acme", "jane", "t1"] {
            assert!(!text.contains(hidden), "{hidden} in {text}");
        }
    }

    #[test]
    fn an_incident_gives_numbers_and_a_masked_reason() {
        let detail = json!({
            "incident": "6f1f2b77-9a53-4a0e-6d1f-0c1f9d6c1f0a",
            "subject": "acme-backend",
            "reason": "pasted in a ticket by jane.doe@example.com with cs_7hSVpQdjmr0YmNbnBo0tK5xv2q0pcb8F0pZ9QeY3f0k",
            "by": "operator",
            "actions": ["secret_replaced", "grants_revoked", "Not An Action"],
            "evidence": {"grants_revoked": 3},
        });
        let facts = incident_facts("client_secret_compromised", &detail);
        let text = facts.to_string();
        assert_eq!(facts["incident_type"], "client_secret_compromised");
        assert_eq!(facts["evidence"]["grants_revoked"], 3);
        assert_eq!(
            facts["already_done_automatically"]["actions"],
            json!(["secret_replaced", "grants_revoked"])
        );
        assert!(text.contains("j***@example.com"), "{text}");
        for hidden in [
            "jane.doe",
            "7hSVpQdjmr0YmNbnBo0tK5xv2q0pcb8F0pZ9QeY3f0k",
            "acme-backend",
            "6f1f2b77",
            "operator",
        ] {
            assert!(!text.contains(hidden), "{hidden} in {text}");
        }
    }

    #[test]
    fn evidence_text_is_dropped_and_lists_counted() {
        let detail = json!({
            "incident": "i",
            "subject": "grant:g1",
            "evidence": {"client_id": "app", "grant_id": "g1", "ip": "198.51.100.4",
                         "user_agent": "curl/8", "at": 1_796_428_900, "reuses": 2,
                         "addresses": ["198.51.100.4", "198.51.100.5"]},
            "grant_revoked": true,
            "sessions_ended": 3,
            "user_mailed": true,
            "blocking": ["203.0.113.0/24"],
            "spared": [],
        });
        let facts = incident_facts("refresh_reuse", &detail);
        let text = facts.to_string();
        assert_eq!(facts["evidence"]["reuses"], 2);
        assert_eq!(facts["evidence"]["addresses"], 2);
        assert_eq!(facts["already_done_automatically"]["sessions_ended"], 3);
        assert_eq!(
            facts["already_done_automatically"]["address_ranges_blocked"],
            1
        );
        for hidden in ["198.51.100", "curl", "g1", "app\"", "203.0.113"] {
            assert!(!text.contains(hidden), "{hidden} in {text}");
        }
    }
}
