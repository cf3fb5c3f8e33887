//! `AUTH_AI_*`: the optional AI analyst's endpoint, model, key, timeout
//! and monthly budget. Unset `AUTH_AI_BASE_URL`: no analyst.
use std::time::Duration;

use service_kit::config::Loader;
use service_kit::secret::Secret;
use url::Url;

use crate::domain::webhook::endpoint::{parse_url, PrivateEndpoints};

pub const DEFAULT_TIMEOUT_SECS: u64 = 20;
pub const MAX_TIMEOUT_SECS: u64 = 120;
pub const DEFAULT_MONTHLY_TOKENS: u64 = 1_000_000;

/// The analyst's configuration. `Debug` shows no key: [`Secret`] redacts.
#[derive(Debug, Clone)]
pub struct AnalystSettings {
    /// `AUTH_AI_BASE_URL`: an OpenAI-compatible API, e.g.
    /// `https://api.openai.com/v1`; requests go to `{base}/chat/completions`.
    pub base_url: Url,
    /// `AUTH_AI_MODEL`.
    pub model: String,
    /// `AUTH_AI_API_KEY` (or `AUTH_AI_API_KEY_FILE`): sent as a bearer
    /// token; none for a local server that takes none.
    pub api_key: Option<Secret>,
    /// `AUTH_AI_TIMEOUT_SECS` (default 20, 1 to 120): one call, connection
    /// included.
    pub timeout: Duration,
    /// `AUTH_AI_MONTHLY_TOKEN_BUDGET` (default 1,000,000): tokens a
    /// calendar month (UTC) may spend, by the answers' `usage.total_tokens`.
    pub monthly_tokens: u64,
    /// `AUTH_AI_ALLOW_PRIVATE` (default `false`): a base URL on a private
    /// or loopback address, or plain http (a model served on the
    /// operator's own network).
    pub private: PrivateEndpoints,
}

impl AnalystSettings {
    /// `None` when `AUTH_AI_BASE_URL` is unset or empty; problems named in
    /// `loader`.
    pub fn read(loader: &mut Loader<'_>) -> Option<Self> {
        let private = if loader.parse("AUTH_AI_ALLOW_PRIVATE", false) {
            PrivateEndpoints::Allowed
        } else {
            PrivateEndpoints::Refused
        };
        let timeout: u64 = loader.parse("AUTH_AI_TIMEOUT_SECS", DEFAULT_TIMEOUT_SECS);
        if !(1..=MAX_TIMEOUT_SECS).contains(&timeout) {
            loader.problem(format!(
                "AUTH_AI_TIMEOUT_SECS must be between 1 and {MAX_TIMEOUT_SECS}"
            ));
        }
        let monthly_tokens: u64 =
            loader.parse("AUTH_AI_MONTHLY_TOKEN_BUDGET", DEFAULT_MONTHLY_TOKENS);
        if monthly_tokens == 0 {
            loader.problem(
                "AUTH_AI_MONTHLY_TOKEN_BUDGET must be at least 1 (unset AUTH_AI_BASE_URL to turn the analyst off)",
            );
        }
        let model = loader
            .optional("AUTH_AI_MODEL")
            .map(|m| m.trim().to_owned());
        let api_key = loader
            .optional("AUTH_AI_API_KEY")
            .map(|k| Secret::new(k.trim()))
            .filter(|k| !k.expose().is_empty());
        let base = loader.optional("AUTH_AI_BASE_URL")?;
        let base_url = match parse_url(base.trim().trim_end_matches('/'), private) {
            Ok(url) => url,
            Err(e) => {
                loader.problem(format!(
                    "AUTH_AI_BASE_URL: {e} (AUTH_AI_ALLOW_PRIVATE=true allows private addresses and http)"
                ));
                return None;
            }
        };
        let Some(model) = model.filter(|m| !m.is_empty() && m.len() <= 200) else {
            loader.problem(
                "AUTH_AI_MODEL: required (at most 200 characters) when AUTH_AI_BASE_URL is set",
            );
            return None;
        };
        Some(Self {
            base_url,
            model,
            api_key,
            timeout: Duration::from_secs(timeout.clamp(1, MAX_TIMEOUT_SECS)),
            monthly_tokens: monthly_tokens.max(1),
            private,
        })
    }

    /// `{base}/chat/completions`.
    pub fn endpoint(&self) -> Url {
        let mut url = self.base_url.clone();
        let path = format!("{}/chat/completions", url.path().trim_end_matches('/'));
        url.set_path(&path);
        url
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use service_kit::config::Env;

    fn read(pairs: &[(&str, &str)]) -> (Option<AnalystSettings>, Vec<String>) {
        let env = Env::from_pairs(pairs.iter().copied());
        let mut loader = Loader::new(&env);
        let settings = AnalystSettings::read(&mut loader);
        let problems = loader.finish().err().map_or_else(Vec::new, |e| e.problems);
        (settings, problems)
    }

    #[test]
    fn off_unless_a_base_url_is_set() {
        let (settings, problems) = read(&[]);
        assert!(settings.is_none());
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn defaults_and_the_endpoint() {
        let (settings, problems) = read(&[
            ("AUTH_AI_BASE_URL", "https://api.example.com/v1/"),
            ("AUTH_AI_MODEL", "gpt-test"),
            ("AUTH_AI_API_KEY", "sk-not-a-real-key-123456"),
        ]);
        assert!(problems.is_empty(), "{problems:?}");
        let s = settings.expect("on");
        assert_eq!(
            s.endpoint().as_str(),
            "https://api.example.com/v1/chat/completions"
        );
        assert_eq!(s.timeout, Duration::from_secs(20));
        assert_eq!(s.monthly_tokens, 1_000_000);
        assert_eq!(s.private, PrivateEndpoints::Refused);
        let shown = format!("{s:?}");
        assert!(!shown.contains("sk-not-a-real-key"), "{shown}");
        assert!(shown.contains("REDACTED"), "{shown}");
    }

    #[test]
    fn loopback_only_when_allowed() {
        let local = [
            ("AUTH_AI_BASE_URL", "http://127.0.0.1:11434/v1"),
            ("AUTH_AI_MODEL", "llama"),
        ];
        let (settings, problems) = read(&local);
        assert!(settings.is_none());
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("AUTH_AI_BASE_URL"));
        let mut allowed = local.to_vec();
        allowed.push(("AUTH_AI_ALLOW_PRIVATE", "true"));
        let (settings, problems) = read(&allowed);
        assert!(problems.is_empty(), "{problems:?}");
        let s = settings.expect("on");
        assert!(s.api_key.is_none());
        assert_eq!(
            s.endpoint().as_str(),
            "http://127.0.0.1:11434/v1/chat/completions"
        );
    }

    #[test]
    fn bad_values_are_each_named() {
        let (_, problems) = read(&[
            ("AUTH_AI_BASE_URL", "https://api.example.com/v1"),
            ("AUTH_AI_TIMEOUT_SECS", "0"),
            ("AUTH_AI_MONTHLY_TOKEN_BUDGET", "0"),
        ]);
        let text = problems.join(" | ");
        for name in [
            "AUTH_AI_TIMEOUT_SECS",
            "AUTH_AI_MONTHLY_TOKEN_BUDGET",
            "AUTH_AI_MODEL",
        ] {
            assert!(text.contains(name), "{name} in {text}");
        }
        let (_, problems) = read(&[
            ("AUTH_AI_BASE_URL", "ftp://api.example.com"),
            ("AUTH_AI_MODEL", "m"),
        ]);
        assert_eq!(problems.len(), 1, "{problems:?}");
    }
}
