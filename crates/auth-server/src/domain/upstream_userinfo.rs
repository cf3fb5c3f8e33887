//! What a plain OAuth 2.0 provider's userinfo answer says about the
//! person, read through the provider's field mapping; and GitHub's list
//! of a person's addresses, which says which are verified. No HTTP.
use serde_json::{Map, Value};

use super::upstream::UpstreamPerson;
use super::upstream_settings::ClaimMapping;

/// Why a userinfo answer names nobody.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UserinfoError {
    #[error("the userinfo answer has no usable subject (a string or an integer of at most 255 characters)")]
    NoSubject,
}

/// A subject: a non-empty string, or an integer (GitHub's and Facebook's
/// ids are numbers), as text of at most 255 bytes.
fn subject_of(value: Option<&Value>) -> Option<String> {
    let text = match value? {
        Value::String(s) => s.clone(),
        Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
        _ => return None,
    };
    (!text.is_empty() && text.len() <= 255).then_some(text)
}

impl UpstreamPerson {
    /// From a userinfo answer: the subject (the mapping's field, or `id`,
    /// or `sub`) is required; the email counts as verified only when the
    /// mapping's verified field says `true` (a boolean, or the string
    /// "true"), or when the tenant vouches for the provider's emails.
    pub fn from_userinfo(
        info: &Map<String, Value>,
        mapping: &ClaimMapping,
        trust_email: bool,
    ) -> Result<Self, UserinfoError> {
        let subject = match &mapping.subject {
            Some(field) => subject_of(info.get(field)),
            None => subject_of(info.get("id")).or_else(|| subject_of(info.get("sub"))),
        }
        .ok_or(UserinfoError::NoSubject)?;
        let email = info
            .get(&mapping.email)
            .and_then(Value::as_str)
            .filter(|e| !e.is_empty())
            .map(str::to_owned);
        let said_verified = match info.get(&mapping.email_verified) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s == "true",
            _ => false,
        };
        let name = info
            .get(&mapping.name)
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        Ok(Self {
            email_verified: email.is_some() && (said_verified || trust_email),
            subject,
            email,
            name,
        })
    }

    /// GitHub: `/user` names the public address, if any, and says nothing
    /// of its verification; `/user/emails` lists every address with
    /// `primary` and `verified`. The public address counts as verified
    /// only when the list says so; with none, the primary address is
    /// taken when it is verified, and else the person has no address.
    pub fn with_github_emails(mut self, listed: &Value) -> Self {
        let entries: Vec<(&str, bool, bool)> = listed
            .as_array()
            .map(|all| {
                all.iter()
                    .filter_map(|e| {
                        Some((
                            e.get("email")?.as_str()?,
                            e.get("primary").and_then(Value::as_bool) == Some(true),
                            e.get("verified").and_then(Value::as_bool) == Some(true),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        match self.email.as_deref() {
            Some(given) => {
                self.email_verified = entries
                    .iter()
                    .any(|(email, _, verified)| *verified && email.eq_ignore_ascii_case(given));
            }
            None => {
                let primary = entries
                    .iter()
                    .find(|(_, primary, verified)| *primary && *verified);
                self.email = primary.map(|(email, ..)| (*email).to_owned());
                self.email_verified = primary.is_some();
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn info(v: Value) -> Map<String, Value> {
        v.as_object().cloned().expect("object")
    }

    #[test]
    fn the_subject_is_required_and_numbers_become_text() {
        let m = ClaimMapping::default();
        let p = UpstreamPerson::from_userinfo(
            &info(json!({"id": 583231, "login": "octocat"})),
            &m,
            false,
        )
        .expect("person");
        assert_eq!(p.subject, "583231");
        assert_eq!(p.email, None);
        let p =
            UpstreamPerson::from_userinfo(&info(json!({"sub": "abc"})), &m, false).expect("person");
        assert_eq!(p.subject, "abc", "`sub` when there is no `id`");
        for bad in [
            json!({"login": "octocat"}),
            json!({"id": ""}),
            json!({"id": 1.5}),
            json!({"id": null}),
            json!({"id": true}),
            json!({"id": "x".repeat(256)}),
        ] {
            assert_eq!(
                UpstreamPerson::from_userinfo(&info(bad.clone()), &m, false),
                Err(UserinfoError::NoSubject),
                "{bad}"
            );
        }
        let custom = ClaimMapping {
            subject: Some("user_id".into()),
            email: "mail".into(),
            email_verified: "mail_ok".into(),
            name: "full_name".into(),
        };
        let p = UpstreamPerson::from_userinfo(
            &info(json!({"id": 1, "user_id": "u-9", "mail": "a@b.example", "mail_ok": "true", "full_name": "A B"})),
            &custom,
            false,
        )
        .expect("person");
        assert_eq!(
            (
                p.subject.as_str(),
                p.email.as_deref(),
                p.email_verified,
                p.name.as_deref()
            ),
            ("u-9", Some("a@b.example"), true, Some("A B"))
        );
    }

    #[test]
    fn an_email_is_verified_only_when_said_or_vouched_for() {
        let m = ClaimMapping::default();
        let said = |v: Value, trust: bool| {
            UpstreamPerson::from_userinfo(&info(v), &m, trust)
                .expect("person")
                .email_verified
        };
        assert!(said(
            json!({"id": 1, "email": "a@b.example", "email_verified": true}),
            false
        ));
        assert!(
            !said(json!({"id": 1, "email": "a@b.example"}), false),
            "silent means unverified"
        );
        assert!(!said(
            json!({"id": 1, "email": "a@b.example", "email_verified": "yes"}),
            false
        ));
        assert!(
            said(json!({"id": 1, "email": "a@b.example"}), true),
            "the tenant vouches"
        );
        assert!(
            !said(json!({"id": 1, "email_verified": true}), true),
            "no email, nothing verified"
        );
    }

    #[test]
    fn github_addresses_are_verified_by_its_list() {
        let m = ClaimMapping::default();
        let listed = json!([
            {"email": "old@example.com", "primary": false, "verified": true},
            {"email": "main@example.com", "primary": true, "verified": true},
            {"email": "new@example.com", "primary": false, "verified": false},
        ]);
        let user = |v: Value| UpstreamPerson::from_userinfo(&info(v), &m, false).expect("person");
        // No public address: the primary verified one.
        let p = user(json!({"id": 1, "email": null})).with_github_emails(&listed);
        assert_eq!(
            (p.email.as_deref(), p.email_verified),
            (Some("main@example.com"), true)
        );
        // A public address the list says is verified.
        let p = user(json!({"id": 1, "email": "Old@example.com"})).with_github_emails(&listed);
        assert_eq!(
            (p.email.as_deref(), p.email_verified),
            (Some("Old@example.com"), true)
        );
        // A public address the list does not vouch for.
        let p = user(json!({"id": 1, "email": "new@example.com"})).with_github_emails(&listed);
        assert!(!p.email_verified);
        // A primary address not verified: no address at all.
        let unverified = json!([{"email": "x@example.com", "primary": true, "verified": false}]);
        let p = user(json!({"id": 1})).with_github_emails(&unverified);
        assert_eq!((p.email, p.email_verified), (None, false));
        // Not a list: nothing vouched for.
        let p = user(json!({"id": 1, "email": "a@example.com", "email_verified": true}))
            .with_github_emails(&json!({"message": "nope"}));
        assert!(!p.email_verified);
    }
}
