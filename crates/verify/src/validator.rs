//! Token validation.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{Map, Value};

use crate::algorithm::{is_forbidden_alg, Algorithm};
use crate::claims::{require_scopes, Claims};
use crate::error::{ConfigError, ValidationError};
use crate::keyset::{KeySet, VerificationKey};

/// Default clock-skew allowance for `exp`, `nbf` and `iat`.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);
/// Largest leeway [`Validator::new`] accepts.
pub const MAX_LEEWAY: Duration = Duration::from_secs(300);
/// Default maximum token length in bytes.
pub const DEFAULT_MAX_TOKEN_LEN: usize = 16 * 1024;

/// What to do with the JWS header parameters that point at or carry a key:
/// `jku`, `x5u` (URLs), `jwk`, `x5c` (embedded keys).
///
/// Whatever the policy, these parameters are never fetched or used: the key
/// always comes from the [`KeySet`] (RFC 8725 §3.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyUrlHeaders {
    /// Refuse tokens that carry any of them (default). Access tokens from an
    /// issuer with a published JWKS have no use for them, and their presence
    /// suggests a forged or misrouted token.
    #[default]
    Reject,
    /// Ignore them and validate the token with the key set as usual.
    Ignore,
}

/// What a [`Validator`] checks.
///
/// Build with struct-update syntax over [`Default`], then pass to
/// [`Validator::new`], which refuses an empty issuer or audience:
///
/// ```
/// # use connectauth_verify::ValidationConfig;
/// let config = ValidationConfig {
///     issuer: "https://auth.example.com/t/acme".into(),
///     audience: "https://api.example.com".into(),
///     ..ValidationConfig::default()
/// };
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationConfig {
    /// Expected `iss`, compared exactly (no normalisation of trailing `/`).
    pub issuer: String,
    /// An audience that `aud` (a string or an array) must contain.
    pub audience: String,
    /// Clock skew allowed on `exp`, `nbf` and `iat`. Default 30 s, at most
    /// [`MAX_LEEWAY`].
    pub leeway: Duration,
    /// Accepted `typ` header values. Default `["at+jwt"]` (RFC 9068 §4).
    /// Compared case-insensitively, with an optional `application/` prefix
    /// (RFC 7515 §4.1.9), so `application/at+jwt` and `AT+JWT` also match.
    /// A token without `typ` is refused unless [`Self::missing_typ`] says
    /// otherwise.
    pub required_typ: Vec<String>,
    /// Whether a token with no `typ` header at all passes. Default
    /// [`MissingTyp::Refuse`] (RFC 8725 §3.11). [`MissingTyp::Accept`] is for
    /// OpenID Connect ID tokens, which OIDC Core does not type and some
    /// providers send without `typ`: bind those by `aud` and `nonce`
    /// instead. A `typ` that is present must still be in `required_typ`.
    pub missing_typ: MissingTyp,
    /// Claims that must be present besides `iss`, `aud` and `exp` (always
    /// required). Default: the rest of RFC 9068 §2.2's required set,
    /// `["sub", "client_id", "iat", "jti"]`. Set to an empty vector for
    /// issuers that omit them.
    pub required_claims: Vec<String>,
    /// Scopes every token must have. Default none; see also
    /// [`require_scopes`] for per-route checks.
    pub required_scopes: Vec<String>,
    /// Policy for `jku`/`x5u`/`jwk`/`x5c` headers. Default
    /// [`KeyUrlHeaders::Reject`].
    pub key_url_headers: KeyUrlHeaders,
    /// Longest token accepted, in bytes. Default [`DEFAULT_MAX_TOKEN_LEN`].
    pub max_token_len: usize,
}

impl Default for ValidationConfig {
    /// Defaults for everything; `issuer` and `audience` are empty and must be
    /// set.
    fn default() -> Self {
        ValidationConfig {
            issuer: String::new(),
            audience: String::new(),
            leeway: DEFAULT_LEEWAY,
            required_typ: vec!["at+jwt".to_owned()],
            missing_typ: MissingTyp::Refuse,
            required_claims: ["sub", "client_id", "iat", "jti"]
                .map(str::to_owned)
                .to_vec(),
            required_scopes: Vec::new(),
            key_url_headers: KeyUrlHeaders::Reject,
            max_token_len: DEFAULT_MAX_TOKEN_LEN,
        }
    }
}

/// What a token without a `typ` header gets (see
/// [`ValidationConfig::missing_typ`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissingTyp {
    /// Refused as [`ValidationError::InvalidType`] with `found: None`.
    #[default]
    Refuse,
    /// Accepted; every other check applies.
    Accept,
}

/// Validates access tokens against a [`KeySet`] (RFC 9068 §4, RFC 8725).
///
/// Holds no keys itself: the same validator serves any key set, so a JWKS
/// cache can swap sets without rebuilding it. `Send + Sync` and cheap to
/// clone.
#[derive(Debug, Clone)]
pub struct Validator {
    config: ValidationConfig,
    typ_normalized: Vec<String>,
}

/// Header parameters this crate never acts on but may refuse.
const KEY_URL_HEADERS: [&str; 4] = ["jku", "x5u", "jwk", "x5c"];

fn normalize_typ(typ: &str) -> String {
    let lower = typ.to_ascii_lowercase();
    match lower.strip_prefix("application/") {
        Some(rest) => rest.to_owned(),
        None => lower,
    }
}

fn is_scope_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
}

fn unix_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

fn b64_json(part: &str) -> Result<Map<String, Value>, ValidationError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| ValidationError::Malformed("invalid base64url"))?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(ValidationError::Malformed("not a JSON object")),
    }
}

impl Validator {
    /// Checks `config` and builds a validator.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] for an empty issuer or audience, an empty
    /// `required_typ`, a leeway over [`MAX_LEEWAY`], a required scope that is
    /// not an RFC 6749 scope token, or an empty required claim name.
    pub fn new(config: ValidationConfig) -> Result<Validator, ConfigError> {
        if config.issuer.is_empty() {
            return Err(ConfigError::EmptyIssuer);
        }
        if config.audience.is_empty() {
            return Err(ConfigError::EmptyAudience);
        }
        if config.required_typ.is_empty() || config.required_typ.iter().any(String::is_empty) {
            return Err(ConfigError::NoExpectedType);
        }
        if config.leeway > MAX_LEEWAY {
            return Err(ConfigError::LeewayTooLarge {
                max_secs: MAX_LEEWAY.as_secs(),
            });
        }
        if let Some(bad) = config.required_scopes.iter().find(|s| !is_scope_token(s)) {
            return Err(ConfigError::InvalidScope(bad.clone()));
        }
        if config.required_claims.iter().any(String::is_empty) {
            return Err(ConfigError::EmptyClaimName);
        }
        let typ_normalized = config
            .required_typ
            .iter()
            .map(|t| normalize_typ(t))
            .collect();
        Ok(Validator {
            config,
            typ_normalized,
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> &ValidationConfig {
        &self.config
    }

    /// Validates `token` (the bare JWS, without `Bearer `) at the current
    /// system time.
    ///
    /// # Errors
    ///
    /// A [`ValidationError`] naming the first check that failed; see
    /// [`Validator::validate_at`] for the order.
    pub fn validate(&self, token: &str, keys: &KeySet) -> Result<Claims, ValidationError> {
        self.validate_at(token, keys, SystemTime::now())
    }

    /// Validates `token` as of `now` (for tests, or an injected clock).
    ///
    /// Checks, in order: size and compact form; header (`alg` not `none`/HMAC
    /// and supported, no `crit`/`b64`, `jku`/`x5u`/`jwk`/`x5c` per policy,
    /// `typ`); key selection by `kid`; `alg` equal to the key's bound
    /// algorithm; signature; then `iss`, `aud`, `exp`, `nbf`, `iat`, required
    /// claims and required scopes.
    ///
    /// # Errors
    ///
    /// A [`ValidationError`] naming the first check that failed.
    pub fn validate_at(
        &self,
        token: &str,
        keys: &KeySet,
        now: SystemTime,
    ) -> Result<Claims, ValidationError> {
        let claims = self.verify_signature(token, keys)?;
        self.check_claims(&claims, unix_secs(now))?;
        Ok(claims)
    }

    /// The first half of [`Validator::validate_at`]: size and compact form,
    /// header (`alg`, `crit`, `b64`, key URL headers, `typ`), key selection
    /// by `kid`, `alg` bound to the key, signature, and the types of the
    /// registered claims — but none of the claims' values: `iss`, `aud`,
    /// `exp`, `nbf`, `iat`, required claims and scopes are left to the
    /// caller.
    ///
    /// For an issuer checking tokens it signed itself by rules of its own
    /// (an expired ID token as a logout hint, an access token of any
    /// audience at introspection). A resource server wants
    /// [`Validator::validate`].
    ///
    /// # Errors
    ///
    /// A [`ValidationError`] naming the first check that failed.
    pub fn verify_signature(&self, token: &str, keys: &KeySet) -> Result<Claims, ValidationError> {
        let (signing_input, key, signature, payload_b64) =
            self.check_signature_input(token, keys)?;
        key.verifier
            .verify(signing_input.as_bytes(), &signature)
            .map_err(|_| ValidationError::InvalidSignature)?;
        Claims::from_payload(b64_json(payload_b64)?)
    }

    /// Everything before the signature check: returns the signing input, the
    /// selected key, the decoded signature and the payload part.
    fn check_signature_input<'t, 'k>(
        &self,
        token: &'t str,
        keys: &'k KeySet,
    ) -> Result<(&'t str, &'k VerificationKey, Vec<u8>, &'t str), ValidationError> {
        if token.is_empty() {
            return Err(ValidationError::Malformed("empty token"));
        }
        if token.len() > self.config.max_token_len {
            return Err(ValidationError::Malformed("token too long"));
        }
        let mut parts = token.split('.');
        let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(ValidationError::Malformed("not three dot-separated parts"));
        };
        let signing_input = &token[..header_b64.len() + 1 + payload_b64.len()];

        let header = b64_json(header_b64)?;
        let alg_name = match header.get("alg") {
            Some(Value::String(s)) => s.as_str(),
            _ => return Err(ValidationError::Malformed("missing or invalid alg")),
        };
        if is_forbidden_alg(alg_name) {
            return Err(ValidationError::ForbiddenAlgorithm(truncate(alg_name)));
        }
        let alg = Algorithm::from_jws_name(alg_name)
            .ok_or_else(|| ValidationError::UnsupportedAlgorithm(truncate(alg_name)))?;

        // RFC 7515 §4.1.11: we understand no extension, so any `crit` fails.
        if header.contains_key("crit") {
            return Err(ValidationError::DisallowedHeader("crit"));
        }
        // RFC 7797 unencoded payloads are not supported.
        if header.get("b64").is_some_and(|v| v != &Value::Bool(true)) {
            return Err(ValidationError::DisallowedHeader("b64"));
        }
        if self.config.key_url_headers == KeyUrlHeaders::Reject {
            if let Some(name) = KEY_URL_HEADERS
                .into_iter()
                .find(|h| header.contains_key(*h))
            {
                return Err(ValidationError::DisallowedHeader(name));
            }
        }

        match header.get("typ") {
            Some(Value::String(typ)) => {
                let norm = normalize_typ(typ);
                if !self.typ_normalized.contains(&norm) {
                    return Err(ValidationError::InvalidType {
                        found: Some(truncate(typ)),
                    });
                }
            }
            None if self.config.missing_typ == MissingTyp::Accept => {}
            None => return Err(ValidationError::InvalidType { found: None }),
            Some(_) => return Err(ValidationError::Malformed("typ is not a string")),
        }

        let key = match header.get("kid") {
            Some(Value::String(kid)) => {
                let mut candidates = keys.by_kid(kid).peekable();
                let first = candidates.peek().map(|k| k.alg);
                match candidates.find(|k| k.alg == alg) {
                    Some(key) => key,
                    None => {
                        return Err(match first {
                            Some(key_alg) => ValidationError::AlgorithmMismatch {
                                token: alg,
                                key: key_alg,
                            },
                            None => ValidationError::UnknownKey { kid: truncate(kid) },
                        })
                    }
                }
            }
            None => keys.sole_key().ok_or(ValidationError::MissingKeyId)?,
            Some(_) => return Err(ValidationError::Malformed("kid is not a string")),
        };
        if key.alg != alg {
            return Err(ValidationError::AlgorithmMismatch {
                token: alg,
                key: key.alg,
            });
        }

        let signature = URL_SAFE_NO_PAD
            .decode(signature_b64)
            .map_err(|_| ValidationError::Malformed("invalid base64url"))?;
        if signature.is_empty() {
            return Err(ValidationError::Malformed("empty signature"));
        }
        Ok((signing_input, key, signature, payload_b64))
    }

    fn check_claims(&self, claims: &Claims, now: i64) -> Result<(), ValidationError> {
        let c = &self.config;
        if claims.iss != c.issuer {
            return Err(ValidationError::InvalidIssuer);
        }
        if !claims.aud.iter().any(|a| a == &c.audience) {
            return Err(ValidationError::InvalidAudience);
        }
        let leeway = i64::try_from(c.leeway.as_secs()).unwrap_or(i64::MAX);
        // RFC 7519 §4.1.4: now must be before exp.
        if now >= claims.exp.saturating_add(leeway) {
            return Err(ValidationError::Expired);
        }
        let latest_acceptable = now.saturating_add(leeway);
        if claims.nbf.is_some_and(|nbf| nbf > latest_acceptable) {
            return Err(ValidationError::NotYetValid);
        }
        if claims.iat.is_some_and(|iat| iat > latest_acceptable) {
            return Err(ValidationError::IssuedInFuture);
        }
        if let Some(name) = c
            .required_claims
            .iter()
            .find(|n| !claims.raw.contains_key(n.as_str()))
        {
            return Err(ValidationError::MissingClaim(name.clone()));
        }
        if !c.required_scopes.is_empty() {
            let required: Vec<&str> = c.required_scopes.iter().map(String::as_str).collect();
            require_scopes(claims, &required)?;
        }
        Ok(())
    }
}

/// Bounds attacker-supplied strings copied into errors (and so into logs).
fn truncate(s: &str) -> String {
    const MAX: usize = 64;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn config() -> ValidationConfig {
        ValidationConfig {
            issuer: "https://issuer".into(),
            audience: "api".into(),
            ..ValidationConfig::default()
        }
    }

    #[test]
    fn config_is_checked() {
        assert_eq!(Validator::new(config()).unwrap().config(), &config());
        let bad = |f: fn(&mut ValidationConfig)| {
            let mut c = config();
            f(&mut c);
            Validator::new(c).err()
        };
        assert_eq!(bad(|c| c.issuer.clear()), Some(ConfigError::EmptyIssuer));
        assert_eq!(
            bad(|c| c.audience.clear()),
            Some(ConfigError::EmptyAudience)
        );
        assert_eq!(
            bad(|c| c.required_typ.clear()),
            Some(ConfigError::NoExpectedType)
        );
        assert_eq!(
            bad(|c| c.leeway = Duration::from_secs(301)),
            Some(ConfigError::LeewayTooLarge { max_secs: 300 })
        );
        assert_eq!(bad(|c| c.leeway = MAX_LEEWAY), None);
        assert_eq!(
            bad(|c| c.required_scopes = vec!["a b".into()]),
            Some(ConfigError::InvalidScope("a b".into()))
        );
        assert_eq!(
            bad(|c| c.required_claims = vec![String::new()]),
            Some(ConfigError::EmptyClaimName)
        );
    }

    #[test]
    fn typ_normalisation() {
        assert_eq!(normalize_typ("application/AT+JWT"), "at+jwt");
        assert_eq!(normalize_typ("At+Jwt"), "at+jwt");
        assert_eq!(normalize_typ("jwt"), "jwt");
    }

    #[test]
    fn unix_secs_handles_pre_epoch() {
        assert_eq!(unix_secs(UNIX_EPOCH + Duration::from_secs(5)), 5);
        assert_eq!(unix_secs(UNIX_EPOCH - Duration::from_secs(5)), -5);
    }

    #[test]
    fn truncate_bounds_length() {
        assert_eq!(truncate("abc"), "abc");
        let long = "é".repeat(100);
        assert_eq!(truncate(&long).chars().count(), 67);
    }

    #[test]
    fn malformed_tokens_are_errors_not_panics() {
        let v = Validator::new(config()).expect("config");
        let ks = KeySet::default();
        for t in [
            "",
            ".",
            "..",
            "...",
            "a.b",
            "a.b.c.d",
            "a.b.c.d.e",
            "!!!.###.$$$",
            "e30.e30.",
            "e30.e30.AA",
            "eyJhbGciOiJFUzI1NiJ9",
            "eyJhbGciOiJFUzI1NiJ9..",
            "\u{0}.\u{0}.\u{0}",
            "éé.éé.éé",
            "W10.e30.AA",
            "bnVsbA.e30.AA",
            "eyJhbGciOjF9.e30.AA",
        ] {
            assert!(v.validate(t, &ks).is_err(), "{t:?}");
        }
        let huge = "a".repeat(DEFAULT_MAX_TOKEN_LEN + 1);
        assert_eq!(
            v.validate(&huge, &ks),
            Err(ValidationError::Malformed("token too long"))
        );
        // The limit itself is allowed: refused further on, for its form.
        let at_limit = "a".repeat(DEFAULT_MAX_TOKEN_LEN);
        assert_eq!(
            v.validate(&at_limit, &ks),
            Err(ValidationError::Malformed("not three dot-separated parts"))
        );
    }

    #[test]
    fn validator_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Validator>();
    }
}
