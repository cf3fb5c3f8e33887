//! Secrets read by a [`Loader`], and what makes one unfit for production:
//! a placeholder (from `.env.example` or marked `change-me`), text that is
//! not base64url, fewer than 256 bits.
use super::Loader;
use crate::secret::{Secret, MIN_SECRET_BYTES};

/// Values shipped in `.env.example`; a production secret equal to one of them
/// is a placeholder someone forgot to replace.
const ENV_EXAMPLE: &str = include_str!("../../../../.env.example");

impl Loader<'_> {
    /// A required secret of at least 256 bits, base64url.
    ///
    /// In production a missing, short, undecodable or placeholder value is a
    /// problem; in development only a missing one is (the others are logged).
    pub fn secret(&mut self, key: &str) -> Option<Secret> {
        let Some(value) = self.optional(key).filter(|v| !v.trim().is_empty()) else {
            self.problem(format!(
                "{key}: required secret is missing (run `connectauth secrets generate`)"
            ));
            return None;
        };
        let secret = Secret::new(value.trim());
        if let Some(issue) = secret_weakness(&secret) {
            if self.mode().is_production() {
                self.problem(format!("{key}: {issue}"));
                return None;
            }
            tracing::warn!(
                variable = key,
                "weak secret accepted in development: {issue}"
            );
        }
        Some(secret)
    }

    /// A list of `id:secret` pairs separated by commas; the first is current.
    pub fn keyring(&mut self, key: &str) -> Vec<(String, Secret)> {
        let Some(value) = self.optional(key).filter(|v| !v.trim().is_empty()) else {
            self.problem(format!(
                "{key}: required secret is missing (run `connectauth secrets generate`)"
            ));
            return Vec::new();
        };
        let mut ring: Vec<(String, Secret)> = Vec::new();
        for (i, entry) in value.split(',').enumerate() {
            let Some((id, text)) = entry.trim().split_once(':') else {
                self.problem(format!(
                    "{key}: entry {} is not `id:base64url-secret`",
                    i + 1
                ));
                continue;
            };
            let id = id.trim();
            if id.is_empty()
                || id.len() > 32
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                self.problem(format!(
                    "{key}: entry {}: key id must be 1-32 letters, digits, `-` or `_`",
                    i + 1
                ));
                continue;
            }
            if ring.iter().any(|(existing, _)| existing == id) {
                self.problem(format!("{key}: key id `{id}` appears twice"));
                continue;
            }
            let secret = Secret::new(text.trim());
            if let Some(issue) = secret_weakness(&secret) {
                if self.mode().is_production() {
                    self.problem(format!("{key}: key `{id}`: {issue}"));
                    continue;
                }
                tracing::warn!(
                    variable = key,
                    key_id = id,
                    "weak secret accepted in development: {issue}"
                );
            }
            ring.push((id.to_owned(), secret));
        }
        ring
    }
}

/// Why a secret is unfit for production, if it is.
pub fn secret_weakness(secret: &Secret) -> Option<String> {
    if is_placeholder(secret.expose()) {
        return Some("is a placeholder (from .env.example or containing `change-me`)".into());
    }
    match secret.decoded() {
        None => Some("is not base64url text".into()),
        Some(bytes) if bytes.len() < MIN_SECRET_BYTES => Some(format!(
            "decodes to {} bytes, fewer than the {MIN_SECRET_BYTES} required",
            bytes.len()
        )),
        Some(_) => None,
    }
}

/// True for values copied from `.env.example` or marked as placeholders.
pub fn is_placeholder(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    if lower.contains("change-me") || lower.contains("changeme") || lower.contains("change_me") {
        return true;
    }
    env_example_values().any(|example| !example.is_empty() && example == value)
}

fn env_example_values() -> impl Iterator<Item = &'static str> {
    ENV_EXAMPLE.lines().filter_map(|line| {
        let line = line.trim();
        if line.starts_with('#') {
            return None;
        }
        line.split_once('=')
            .map(|(_, v)| v.trim().trim_matches('"'))
    })
}

#[cfg(test)]
mod tests {
    use crate::config::tests::{env, GOOD};
    use crate::config::Loader;

    #[test]
    fn production_reports_every_bad_secret_at_once() {
        let e = env(&[
            ("CONNECTAUTH_ENV", "production"),
            ("A", "change-me-please-change-me-please-change-me"),
            ("B", "c2hvcnQ"),
            ("C", "!!not-base64!!"),
        ]);
        let mut l = Loader::new(&e);
        l.secret("A");
        l.secret("B");
        l.secret("C");
        l.secret("D");
        let err = l.finish().expect_err("must refuse");
        assert_eq!(err.problems.len(), 4, "{err}");
        for key in ["A:", "B:", "C:", "D:"] {
            assert!(
                err.problems.iter().any(|p| p.starts_with(key)),
                "{key} missing in {err}"
            );
        }
        assert!(err.problems.iter().any(|p| p.contains("fewer than the 32")));
    }

    #[test]
    fn development_tolerates_weak_but_not_missing_secrets() {
        let e = env(&[("A", "c2hvcnQ")]);
        let mut l = Loader::new(&e);
        assert!(l.secret("A").is_some());
        assert!(l.secret("B").is_none());
        assert_eq!(l.finish().expect_err("missing").problems.len(), 1);
    }

    #[test]
    fn strong_secret_passes_production() {
        let e = env(&[("CONNECTAUTH_ENV", "production"), ("A", GOOD)]);
        let mut l = Loader::new(&e);
        assert!(l.secret("A").is_some());
        assert!(l.finish().is_ok());
    }

    #[test]
    fn keyring_parses_ids_and_refuses_duplicates() {
        let value = format!("k2:{GOOD},k1:{GOOD},k1:{GOOD},bad");
        let e = env(&[("CONNECTAUTH_ENV", "production"), ("R", &value)]);
        let mut l = Loader::new(&e);
        let ring = l.keyring("R");
        assert_eq!(
            ring.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
            ["k2", "k1"]
        );
        assert_eq!(l.finish().expect_err("two bad entries").problems.len(), 2);
    }
}
