//! The analyst's prompts: fixed text in the code, and the facts as JSON.
//! The model writes prose for people to read; it decides nothing (every
//! action was taken before it is asked, and is taken without it).
use serde::Serialize;
use serde_json::Value;

/// What the model is told it is, for every request.
pub const SYSTEM: &str = "You are the security analyst of ConnectAuth, an authentication service. \
You write for the people responsible for the applications concerned, who are not necessarily security experts. \
You are given facts as JSON, computed by deterministic rules; use only these facts and invent nothing: \
no names, no addresses, no numbers that are not given. \
Every action listed was already taken automatically; never say an action is still needed to stop the attack, \
and never claim something was done unless the facts say so. \
Write plain text, no Markdown, no lists, no greeting, no signature.";

/// The task for a tenant's daily report.
pub const REPORT_TASK: &str = "Write one short paragraph (at most 5 sentences) summarising this day of \
sign-in security for the application's owners: whether the day looks normal or under attack, what the \
sentinel did, and one thing the owners could check or improve if the facts suggest it (for example \
second-factor adoption). Facts:";

/// The task for one incident.
pub const INCIDENT_TASK: &str = "Write a triage note of at most 3 sentences about this security incident \
for the application's owners: what most likely happened, how serious it looks, and what they may check. \
Facts:";

/// The task for the platform operators' report across tenants.
pub const OPERATOR_TASK: &str =
    "Write one short paragraph (at most 5 sentences) for the operators of the \
platform summarising this day across all tenants: whether sign-in security looks normal or under \
attack somewhere, and what the counts of churn risks and upgrade candidates suggest. Facts:";

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    pub role: &'static str,
    pub content: String,
}

fn messages(task: &str, facts: &Value) -> Vec<Message> {
    vec![
        Message {
            role: "system",
            content: SYSTEM.to_owned(),
        },
        Message {
            role: "user",
            content: format!("{task}\n{facts}"),
        },
    ]
}

/// The messages asking for a report's summary of `facts`
/// (`facts::report_facts`).
pub fn report_messages(facts: &Value) -> Vec<Message> {
    messages(REPORT_TASK, facts)
}

/// The messages asking for an incident's triage note of `facts`
/// (`facts::incident_facts`).
pub fn incident_messages(facts: &Value) -> Vec<Message> {
    messages(INCIDENT_TASK, facts)
}

/// The messages asking for the operators' summary of `facts`
/// (`facts::operator_facts`).
pub fn operator_messages(facts: &Value) -> Vec<Message> {
    messages(OPERATOR_TASK, facts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_prompt_is_fixed_text_then_the_facts() {
        let facts = json!({"logins": {"failed": 4}});
        let m = report_messages(&facts);
        assert_eq!(m.len(), 2);
        assert_eq!((m[0].role, m[0].content.as_str()), ("system", SYSTEM));
        assert_eq!(m[1].role, "user");
        assert!(m[1].content.starts_with(REPORT_TASK));
        assert!(m[1].content.ends_with(r#"{"logins":{"failed":4}}"#));
        let m = incident_messages(&facts);
        assert!(m[1].content.starts_with(INCIDENT_TASK));
        let m = operator_messages(&facts);
        assert!(m[1].content.starts_with(OPERATOR_TASK));
    }
}
