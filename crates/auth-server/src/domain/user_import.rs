//! Users brought in from another system, as CSV (a header row, then one
//! user per line) or JSON (`{"users": [...]}`): each with an email address,
//! optionally a display name, whether the address is verified, and a
//! password hash (argon2 or bcrypt, re-hashed with argon2id at the user's
//! first login). A file is checked whole: one bad row refuses it, with every
//! problem listed by row.
use serde::Deserialize;

use super::display_name::DisplayName;
use super::email::Email;
use crate::password::importable_hash;

/// The most users one import takes (split larger migrations).
pub const IMPORT_MAX_USERS: usize = 500;
/// The most problems an answer lists.
const PROBLEMS_SHOWN: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedUser {
    pub email: Email,
    pub display_name: DisplayName,
    pub email_verified: bool,
    /// An argon2 PHC string or a bcrypt hash; none: the user sets a password
    /// through "forgot password".
    pub password_hash: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("the import holds no user")]
    Empty,
    #[error("at most {IMPORT_MAX_USERS} users per import")]
    TooMany,
    #[error("unreadable: {0}")]
    Format(String),
    #[error("{}", problems(.0))]
    Rows(Vec<(usize, String)>),
}

fn problems(rows: &[(usize, String)]) -> String {
    let mut shown: Vec<String> = rows
        .iter()
        .take(PROBLEMS_SHOWN)
        .map(|(row, why)| format!("row {row}: {why}"))
        .collect();
    if rows.len() > PROBLEMS_SHOWN {
        shown.push(format!("and {} more", rows.len() - PROBLEMS_SHOWN));
    }
    shown.join("; ")
}

/// One user as written in the file, not checked yet.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUser {
    pub email: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email_verified: Option<bool>,
    #[serde(default)]
    pub password_hash: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonImport {
    users: Vec<RawUser>,
}

/// The users of a JSON import (`{"users": [...]}`), all checked.
pub fn from_json(text: &str) -> Result<Vec<ImportedUser>, ImportError> {
    let parsed: JsonImport =
        serde_json::from_str(text).map_err(|e| ImportError::Format(e.to_string()))?;
    checked(parsed.users)
}

/// The users of a CSV import: a header row naming `email` and any of
/// `name`, `email_verified` (`true`/`false`, `1`/`0`, `yes`/`no`, empty for
/// false) and `password_hash`, then one user per row; all checked.
pub fn from_csv(text: &str) -> Result<Vec<ImportedUser>, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| ImportError::Format(e.to_string()))?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let email = column("email").ok_or_else(|| ImportError::Format("no `email` column".into()))?;
    for h in headers.iter() {
        if !["email", "name", "email_verified", "password_hash"]
            .iter()
            .any(|known| h.eq_ignore_ascii_case(known))
        {
            return Err(ImportError::Format(format!("unknown column `{h}`")));
        }
    }
    let (name, verified, hash) = (
        column("name"),
        column("email_verified"),
        column("password_hash"),
    );
    let mut raw = Vec::new();
    let mut bad = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| ImportError::Format(e.to_string()))?;
        let field = |c: Option<usize>| {
            c.and_then(|c| record.get(c))
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let email_verified = match field(verified)
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("false" | "0" | "no") => Some(false),
            Some("true" | "1" | "yes") => Some(true),
            Some(_) => {
                bad.push((i + 1, "email_verified must be true or false".to_owned()));
                None
            }
        };
        raw.push(RawUser {
            email: record.get(email).unwrap_or_default().to_owned(),
            name: field(name),
            email_verified,
            password_hash: field(hash),
        });
    }
    if !bad.is_empty() {
        return Err(ImportError::Rows(bad));
    }
    checked(raw)
}

/// Every user checked; the first problem does not stop the others being
/// checked, so the answer names them all.
pub fn checked(raw: Vec<RawUser>) -> Result<Vec<ImportedUser>, ImportError> {
    if raw.is_empty() {
        return Err(ImportError::Empty);
    }
    if raw.len() > IMPORT_MAX_USERS {
        return Err(ImportError::TooMany);
    }
    let mut users = Vec::with_capacity(raw.len());
    let mut bad = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, r) in raw.into_iter().enumerate() {
        let row = i + 1;
        let email = match Email::parse(&r.email) {
            Ok(email) => email,
            Err(_) => {
                bad.push((
                    row,
                    format!(
                        "`{}` is not an email address",
                        r.email.chars().take(100).collect::<String>()
                    ),
                ));
                continue;
            }
        };
        if !seen.insert(email.normalized().to_owned()) {
            bad.push((row, format!("{} appears twice", email.address())));
            continue;
        }
        let name = r
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| email.local_part());
        let display_name = match DisplayName::parse(name) {
            Ok(n) => n,
            Err(e) => {
                bad.push((row, format!("name: {e}")));
                continue;
            }
        };
        if let Some(hash) = &r.password_hash {
            if let Err(why) = importable_hash(hash) {
                bad.push((row, format!("password_hash: {why}")));
                continue;
            }
        }
        users.push(ImportedUser {
            email,
            display_name,
            email_verified: r.email_verified.unwrap_or(false),
            password_hash: r.password_hash,
        });
    }
    if bad.is_empty() {
        Ok(users)
    } else {
        Err(ImportError::Rows(bad))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARGON: &str = "$argon2id$v=19$m=19456,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    #[test]
    fn csv_with_hashes_and_verification() {
        let bcrypt = bcrypt::hash("pw", 4).expect("hash");
        let text = format!(
            "email,name,email_verified,password_hash\n\
             Ann@Example.com,Ann,true,\"{ARGON}\"\n\
             bob@example.com,,no,{bcrypt}\n\
             cy@example.com,Cy,,\n"
        );
        let users = from_csv(&text).expect("valid");
        assert_eq!(users.len(), 3);
        assert_eq!(users[0].email.normalized(), "ann@example.com");
        assert!(users[0].email_verified);
        assert_eq!(users[1].display_name.as_ref(), "bob");
        assert!(!users[1].email_verified);
        assert!(users[1]
            .password_hash
            .as_deref()
            .is_some_and(|h| h.starts_with("$2b$")));
        assert_eq!(users[2].password_hash, None);
    }

    #[test]
    fn every_bad_row_is_named_and_nothing_is_taken() {
        let text = "email,email_verified,password_hash\n\
                    not-an-email,,\n\
                    ok@example.com,maybe,\n";
        assert_eq!(
            from_csv(text),
            Err(ImportError::Rows(vec![(
                2,
                "email_verified must be true or false".into()
            )]))
        );
        let text = "email,password_hash\nnot-an-email,\nok@example.com,md5:abc\nOK@example.com,\n";
        let Err(ImportError::Rows(rows)) = from_csv(text) else {
            panic!("refused");
        };
        assert_eq!(
            rows.iter().map(|(r, _)| *r).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        assert!(rows[1].1.contains("password_hash"), "{rows:?}");
        assert!(rows[2].1.contains("appears twice"), "{rows:?}");
        assert!(matches!(
            from_csv("mail\nx@y.z\n"),
            Err(ImportError::Format(_))
        ));
        assert!(matches!(
            from_csv("email,age\nx@example.com,3\n"),
            Err(ImportError::Format(_))
        ));
        assert_eq!(from_csv("email\n"), Err(ImportError::Empty));
    }

    #[test]
    fn json_imports_and_the_size_limit() {
        let ok = from_json(r#"{"users": [{"email": "a@example.com", "email_verified": true}]}"#)
            .expect("valid");
        assert!(ok[0].email_verified);
        assert!(matches!(
            from_json(r#"{"users": [{"email": "a@example.com", "verified": true}]}"#),
            Err(ImportError::Format(_))
        ));
        assert!(matches!(
            from_json(r#"{"users": [{"email": "a@example.com", "email_verified": "true"}]}"#),
            Err(ImportError::Format(_))
        ));
        let many: Vec<String> = (0..=IMPORT_MAX_USERS)
            .map(|i| format!(r#"{{"email": "u{i}@example.com"}}"#))
            .collect();
        let text = format!(r#"{{"users": [{}]}}"#, many.join(","));
        assert_eq!(from_json(&text), Err(ImportError::TooMany));
    }
}
