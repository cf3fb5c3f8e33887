//! The claims of a validated access token.

use serde_json::{Map, Value};

use crate::error::ValidationError;

/// Claims of an access token that passed validation (RFC 9068 §2.2).
///
/// The registered claims are typed; every claim, registered or not, is also
/// in [`raw`](Self::raw) as received (e.g. a `tenant` claim:
/// `claims.get("tenant")`).
#[derive(Debug, Clone, PartialEq)]
pub struct Claims {
    /// `sub`: the resource owner, or the client for client-credentials
    /// tokens.
    pub sub: Option<String>,
    /// `iss`: the issuer (equal to the configured issuer).
    pub iss: String,
    /// `aud`: the audiences (a string `aud` becomes a one-element vector).
    pub aud: Vec<String>,
    /// `exp`: expiry, seconds since the Unix epoch.
    pub exp: i64,
    /// `nbf`: not-before, seconds since the Unix epoch.
    pub nbf: Option<i64>,
    /// `iat`: issued-at, seconds since the Unix epoch.
    pub iat: Option<i64>,
    /// `jti`: the token identifier.
    pub jti: Option<String>,
    /// `client_id`: the OAuth client the token was issued to.
    pub client_id: Option<String>,
    /// `scope`, split on spaces (empty when the claim is absent).
    pub scope: Vec<String>,
    /// The whole payload as received, including the claims above.
    pub raw: Map<String, Value>,
}

impl Claims {
    /// Builds typed claims from a payload object. Checks claim types only;
    /// the values are checked by the [`Validator`](crate::Validator).
    pub(crate) fn from_payload(raw: Map<String, Value>) -> Result<Claims, ValidationError> {
        let iss = opt_string(&raw, "iss")?.ok_or_else(|| missing("iss"))?;
        let exp = opt_numeric_date(&raw, "exp")?.ok_or_else(|| missing("exp"))?;
        let aud = match raw.get("aud") {
            None => return Err(missing("aud")),
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or(ValidationError::InvalidClaim("aud"))?,
            Some(_) => return Err(ValidationError::InvalidClaim("aud")),
        };
        let scope = opt_string(&raw, "scope")?
            .map(|s| {
                s.split(' ')
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        Ok(Claims {
            sub: opt_string(&raw, "sub")?,
            iss,
            aud,
            exp,
            nbf: opt_numeric_date(&raw, "nbf")?,
            iat: opt_numeric_date(&raw, "iat")?,
            jti: opt_string(&raw, "jti")?,
            client_id: opt_string(&raw, "client_id")?,
            scope,
            raw,
        })
    }

    /// Any claim by name, as received.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.raw.get(name)
    }

    /// `true` if the token was granted `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.iter().any(|s| s == scope)
    }
}

fn missing(name: &str) -> ValidationError {
    ValidationError::MissingClaim(name.to_owned())
}

fn opt_string(
    raw: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<String>, ValidationError> {
    match raw.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ValidationError::InvalidClaim(name)),
    }
}

/// RFC 7519 NumericDate: a JSON number of seconds, possibly fractional
/// (truncated towards minus infinity).
fn opt_numeric_date(
    raw: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<i64>, ValidationError> {
    match raw.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                Ok(Some(i))
            } else if let Some(f) = n.as_f64().filter(|f| f.is_finite()) {
                // `as` saturates for out-of-range floats.
                Ok(Some(f.floor() as i64))
            } else {
                Err(ValidationError::InvalidClaim(name))
            }
        }
        Some(_) => Err(ValidationError::InvalidClaim(name)),
    }
}

/// Checks that `claims` carries every scope in `required`.
///
/// Returns [`ValidationError::InsufficientScope`] (HTTP 403,
/// `insufficient_scope`) listing the missing ones. Use it per route, when
/// different endpoints need different scopes; scopes needed everywhere can go
/// in [`ValidationConfig::required_scopes`](crate::ValidationConfig::required_scopes).
///
/// # Errors
///
/// [`ValidationError::InsufficientScope`] when any scope is missing.
pub fn require_scopes(claims: &Claims, required: &[&str]) -> Result<(), ValidationError> {
    let missing: Vec<String> = required
        .iter()
        .filter(|s| !claims.has_scope(s))
        .map(|s| (*s).to_owned())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ValidationError::InsufficientScope {
            required: required.iter().map(|s| (*s).to_owned()).collect(),
            missing,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn payload(v: Value) -> Map<String, Value> {
        v.as_object().cloned().expect("object")
    }

    #[test]
    fn parses_registered_claims() {
        let c = Claims::from_payload(payload(json!({
            "iss": "https://i", "aud": ["a", "b"], "exp": 10, "nbf": 1.9, "iat": 1,
            "sub": "u", "jti": "j", "client_id": "c", "scope": "read  write", "tenant": "t1"
        })))
        .expect("valid");
        assert_eq!(c.aud, vec!["a", "b"]);
        assert_eq!(c.nbf, Some(1));
        assert_eq!(c.scope, vec!["read", "write"]);
        assert_eq!(c.get("tenant"), Some(&json!("t1")));
        assert!(c.has_scope("write"));
        assert!(!c.has_scope("read write"));
    }

    #[test]
    fn rejects_wrong_types() {
        let base = json!({"iss": "i", "aud": "a", "exp": 10});
        for (k, v, want) in [
            ("exp", json!("10"), ValidationError::InvalidClaim("exp")),
            ("aud", json!([1]), ValidationError::InvalidClaim("aud")),
            ("aud", json!({}), ValidationError::InvalidClaim("aud")),
            ("iss", json!(1), ValidationError::InvalidClaim("iss")),
            (
                "scope",
                json!(["a"]),
                ValidationError::InvalidClaim("scope"),
            ),
            ("sub", json!(null), ValidationError::InvalidClaim("sub")),
        ] {
            let mut p = payload(base.clone());
            p.insert(k.into(), v);
            assert_eq!(Claims::from_payload(p), Err(want), "{k}");
        }
        let mut p = payload(base);
        p.remove("exp");
        assert_eq!(
            Claims::from_payload(p),
            Err(ValidationError::MissingClaim("exp".into()))
        );
    }

    #[test]
    fn require_scopes_lists_missing() {
        let c = Claims::from_payload(payload(json!({"iss":"i","aud":"a","exp":1,"scope":"a"})))
            .expect("valid");
        assert!(require_scopes(&c, &["a"]).is_ok());
        assert!(require_scopes(&c, &[]).is_ok());
        assert_eq!(
            require_scopes(&c, &["a", "b"]),
            Err(ValidationError::InsufficientScope {
                required: vec!["a".into(), "b".into()],
                missing: vec!["b".into()]
            })
        );
    }
}
