//! Typed configuration from the environment.
//!
//! Each service builds its own config struct with a [`Loader`], which reads
//! variables (or `NAME_FILE` files holding them), and collects *every* problem
//! before failing, so an operator fixes a bad deployment in one go.
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use url::Url;

use crate::db::PoolSettings;
use crate::secret::{Secret, MIN_SECRET_BYTES};

/// Values shipped in `.env.example`; a production secret equal to one of them
/// is a placeholder someone forgot to replace.
const ENV_EXAMPLE: &str = include_str!("../../../.env.example");

/// Largest request body any service accepts, whatever is configured.
pub const MAX_BODY_LIMIT: usize = 1024 * 1024;
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunMode {
    Development,
    Production,
}

impl RunMode {
    pub fn is_production(self) -> bool {
        self == RunMode::Production
    }
}

/// A snapshot of environment variables. Tests build one from pairs instead of
/// touching the process environment.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    pub fn from_process() -> Self {
        Self::from_pairs(std::env::vars())
    }

    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// Layers `other` over `self`: its values win.
    pub fn overlay(mut self, other: Env) -> Self {
        self.vars.extend(other.vars);
        self
    }

    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.vars.insert(key.into(), value.into());
    }

    pub fn raw(&self, key: &str) -> Option<&str> {
        self.vars.get(key).map(String::as_str)
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.vars.keys().map(String::as_str)
    }

    /// The run mode named by `CONNECTAUTH_ENV` (default: development).
    pub fn run_mode(&self) -> Result<RunMode, String> {
        match self.raw("CONNECTAUTH_ENV").map(str::trim) {
            None | Some("") | Some("development") | Some("dev") => Ok(RunMode::Development),
            Some("production") | Some("prod") => Ok(RunMode::Production),
            Some(other) => Err(format!(
                "CONNECTAUTH_ENV: `{other}` is neither `development` nor `production`"
            )),
        }
    }
}

/// Every problem found in a configuration, reported together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub problems: Vec<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "invalid configuration ({} problem(s)):",
            self.problems.len()
        )?;
        for p in &self.problems {
            writeln!(f, "  - {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// Settings every HTTP service has.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub bind: SocketAddr,
    /// The externally visible base URL (behind the reverse proxy).
    pub public_url: Url,
    pub body_limit: usize,
    pub mode: RunMode,
}

impl HttpSettings {
    /// HSTS is only meaningful (and only sent) when clients reach us over https.
    pub fn served_over_https(&self) -> bool {
        self.public_url.scheme() == "https"
    }
}

/// Reads typed values and gathers problems.
pub struct Loader<'a> {
    env: &'a Env,
    mode: RunMode,
    problems: Vec<String>,
    read: BTreeSet<String>,
}

impl<'a> Loader<'a> {
    pub fn new(env: &'a Env) -> Self {
        let mut problems = Vec::new();
        let mode = env.run_mode().unwrap_or_else(|p| {
            problems.push(p);
            RunMode::Production
        });
        let mut read = BTreeSet::new();
        read.insert("CONNECTAUTH_ENV".to_owned());
        Self {
            env,
            mode,
            problems,
            read,
        }
    }

    pub fn mode(&self) -> RunMode {
        self.mode
    }

    pub fn problem(&mut self, text: impl Into<String>) {
        self.problems.push(text.into());
    }

    /// The value of `key`, or of the file named by `key_FILE`.
    pub fn optional(&mut self, key: &str) -> Option<String> {
        self.read.insert(key.to_owned());
        let file_key = format!("{key}_FILE");
        self.read.insert(file_key.clone());
        // An empty variable counts as unset, so it cannot hide its `_FILE` twin.
        if let Some(v) = self.env.raw(key).filter(|v| !v.trim().is_empty()) {
            return Some(v.to_owned());
        }
        let path = self.env.raw(&file_key).filter(|p| !p.trim().is_empty())?;
        match std::fs::read_to_string(path) {
            Ok(text) => Some(text.trim_end_matches(['\n', '\r']).to_owned()),
            Err(e) => {
                self.problems
                    .push(format!("{file_key}: cannot read `{path}`: {e}"));
                None
            }
        }
    }

    /// Whether `key` is set to an empty value (and `key_FILE` is not set):
    /// for settings where "empty" means "off" while unset means a default.
    pub fn is_set_empty(&mut self, key: &str) -> bool {
        self.read.insert(key.to_owned());
        let file_set = self
            .env
            .raw(&format!("{key}_FILE"))
            .is_some_and(|p| !p.trim().is_empty());
        !file_set && self.env.raw(key).is_some_and(|v| v.trim().is_empty())
    }

    pub fn string(&mut self, key: &str, default: &str) -> String {
        self.optional(key)
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| default.to_owned())
    }

    pub fn parse<T: FromStr>(&mut self, key: &str, default: T) -> T
    where
        T::Err: fmt::Display,
    {
        match self.optional(key).filter(|v| !v.trim().is_empty()) {
            None => default,
            Some(v) => v.trim().parse().unwrap_or_else(|e| {
                self.problems.push(format!("{key}: `{v}` is invalid: {e}"));
                default
            }),
        }
    }

    /// A required secret of at least 256 bits, base64url.
    ///
    /// In production a missing, short, undecodable or placeholder value is a
    /// problem; in development only a missing one is (the others are logged).
    pub fn secret(&mut self, key: &str) -> Option<Secret> {
        let Some(value) = self.optional(key).filter(|v| !v.trim().is_empty()) else {
            self.problems.push(format!(
                "{key}: required secret is missing (run `connectauth secrets generate`)"
            ));
            return None;
        };
        let secret = Secret::new(value.trim());
        if let Some(issue) = secret_weakness(&secret) {
            if self.mode.is_production() {
                self.problems.push(format!("{key}: {issue}"));
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
            self.problems.push(format!(
                "{key}: required secret is missing (run `connectauth secrets generate`)"
            ));
            return Vec::new();
        };
        let mut ring: Vec<(String, Secret)> = Vec::new();
        for (i, entry) in value.split(',').enumerate() {
            let Some((id, text)) = entry.trim().split_once(':') else {
                self.problems.push(format!(
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
                self.problems.push(format!(
                    "{key}: entry {}: key id must be 1-32 letters, digits, `-` or `_`",
                    i + 1
                ));
                continue;
            }
            if ring.iter().any(|(existing, _)| existing == id) {
                self.problems
                    .push(format!("{key}: key id `{id}` appears twice"));
                continue;
            }
            let secret = Secret::new(text.trim());
            if let Some(issue) = secret_weakness(&secret) {
                if self.mode.is_production() {
                    self.problems.push(format!("{key}: key `{id}`: {issue}"));
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

    /// A database URL (`postgres://…` or `sqlite:…`). Required in production;
    /// development falls back to `dev_default`.
    /// The database pool of a service: `{prefix}_DATABASE_MAX_CONNECTIONS`
    /// (default 10) and `{prefix}_DATABASE_PING_IDLE_SECS`, how long a
    /// connection sits unused before it is checked with a round trip on its
    /// next use (default [`PING_IF_IDLE_FOR`](crate::db::PING_IF_IDLE_FOR);
    /// 0 checks it at every use); `{prefix}_DATABASE_SQLITE_SYNC`, when a
    /// SQLite commit waits for the disk ([`SqliteSync`](crate::db::SqliteSync):
    /// `normal`, the default, or `full`).
    pub fn pool(&mut self, prefix: &str) -> PoolSettings {
        let defaults = PoolSettings::default();
        let max_connections = self.parse(
            &format!("{prefix}_DATABASE_MAX_CONNECTIONS"),
            defaults.max_connections,
        );
        let ping_secs = self.parse(
            &format!("{prefix}_DATABASE_PING_IDLE_SECS"),
            defaults.ping_if_idle_for.as_secs(),
        );
        let sqlite_sync = self.parse(
            &format!("{prefix}_DATABASE_SQLITE_SYNC"),
            defaults.sqlite_sync,
        );
        PoolSettings {
            max_connections,
            ping_if_idle_for: Duration::from_secs(ping_secs),
            sqlite_sync,
            ..defaults
        }
    }

    /// `{prefix}_METRICS_ADDR` (like `127.0.0.1:9100`): where the service
    /// serves Prometheus metrics, apart from its public listener. Unset: none.
    pub fn metrics_addr(&mut self, prefix: &str) -> Option<std::net::SocketAddr> {
        let key = format!("{prefix}_METRICS_ADDR");
        let value = self.optional(&key).filter(|v| !v.trim().is_empty())?;
        match value.trim().parse() {
            Ok(addr) => Some(addr),
            Err(_) => {
                self.problem(format!(
                    "{key}: `{value}` is not an address and port (like 127.0.0.1:9100)"
                ));
                None
            }
        }
    }

    pub fn database_url(&mut self, key: &str, dev_default: &str) -> String {
        let value = match self.optional(key).filter(|v| !v.trim().is_empty()) {
            Some(v) => v.trim().to_owned(),
            None if self.mode.is_production() => {
                self.problems
                    .push(format!("{key}: required in production (a postgres:// URL)"));
                return String::new();
            }
            None => return dev_default.to_owned(),
        };
        if let Err(e) = crate::db::Engine::from_url(&value) {
            self.problems.push(format!("{key}: {e}"));
        } else if self.mode.is_production() && is_placeholder(&value) {
            self.problems.push(format!(
                "{key}: still holds the placeholder password from .env.example"
            ));
        }
        value
    }

    /// Bind address, public URL and body limit of the service `prefix`.
    pub fn http(&mut self, prefix: &str, default_port: u16) -> HttpSettings {
        self.http_with_body_limit(prefix, default_port, DEFAULT_BODY_LIMIT)
    }

    /// [`http`](Self::http) for a service whose requests are bigger by
    /// nature (billing's usage reports), with another default body limit.
    pub fn http_with_body_limit(
        &mut self,
        prefix: &str,
        default_port: u16,
        default_body_limit: usize,
    ) -> HttpSettings {
        let bind_key = format!("{prefix}_BIND");
        let default_bind: SocketAddr = ([127, 0, 0, 1], default_port).into();
        let bind = self.parse(&bind_key, default_bind);
        let url_key = format!("{prefix}_PUBLIC_URL");
        let default_url = format!("http://{bind}");
        let url_text = self.string(&url_key, &default_url);
        let public_url = match Url::parse(&url_text) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => u,
            _ => {
                self.problems.push(format!(
                    "{url_key}: `{url_text}` is not an absolute http(s) URL"
                ));
                Url::parse(&default_url).unwrap_or_else(|_| unreachable_url())
            }
        };
        if self.mode.is_production() && public_url.scheme() != "https" {
            self.problems.push(format!(
                "{url_key}: must be https in production (tokens and cookies travel over it)"
            ));
        }
        let limit_key = format!("{prefix}_BODY_LIMIT");
        let body_limit = self.parse(&limit_key, default_body_limit);
        if body_limit == 0 || body_limit > MAX_BODY_LIMIT {
            self.problems.push(format!(
                "{limit_key}: {body_limit} is outside 1..={MAX_BODY_LIMIT} bytes"
            ));
        }
        HttpSettings {
            bind,
            public_url,
            body_limit: body_limit.clamp(1, MAX_BODY_LIMIT),
            mode: self.mode,
        }
    }

    /// Every variable this loader looked at (to report unknown ones).
    pub fn read_keys(&self) -> &BTreeSet<String> {
        &self.read
    }

    pub fn finish(self) -> Result<BTreeSet<String>, ConfigError> {
        if self.problems.is_empty() {
            Ok(self.read)
        } else {
            Err(ConfigError {
                problems: self.problems,
            })
        }
    }
}

fn unreachable_url() -> Url {
    // `http://127.0.0.1` always parses; this keeps the loader free of `unwrap`.
    Url::parse("http://127.0.0.1").expect("static URL parses")
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

/// Variables with one of `prefixes` that no loader read: probably typos.
pub fn unknown_variables<'e>(
    env: &'e Env,
    prefixes: &[&str],
    known: &BTreeSet<String>,
) -> Vec<&'e str> {
    env.keys()
        .filter(|k| prefixes.iter().any(|p| k.starts_with(p)) && !known.contains(*k))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "q9Dq0V3bVv6n0mJm0l3cS8jE4o5v0X9aYb3cXk2mL1E";

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

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
    fn secrets_can_come_from_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a");
        std::fs::write(&path, format!("{GOOD}\n")).expect("write");
        let e = env(&[
            ("CONNECTAUTH_ENV", "production"),
            ("A_FILE", path.to_str().expect("utf-8 path")),
            ("B_FILE", "/nonexistent/secret"),
        ]);
        let mut l = Loader::new(&e);
        assert_eq!(
            l.secret("A").map(|s| s.expose().to_owned()),
            Some(GOOD.to_owned())
        );
        l.secret("B");
        let err = l.finish().expect_err("B unreadable");
        assert!(err
            .problems
            .iter()
            .any(|p| p.starts_with("B_FILE: cannot read")));
    }

    #[test]
    fn an_empty_variable_does_not_hide_its_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a");
        std::fs::write(&path, GOOD).expect("write");
        let e = env(&[("A", ""), ("A_FILE", path.to_str().expect("utf-8"))]);
        let mut l = Loader::new(&e);
        assert_eq!(
            l.secret("A").map(|s| s.expose().to_owned()),
            Some(GOOD.to_owned())
        );
    }

    #[test]
    fn an_empty_variable_is_told_apart_from_an_unset_one() {
        let e = env(&[("A", " "), ("B", "x"), ("C", ""), ("C_FILE", "/run/c")]);
        let mut l = Loader::new(&e);
        assert!(l.is_set_empty("A"));
        assert!(!l.is_set_empty("B"));
        assert!(!l.is_set_empty("C"), "its file names the value");
        assert!(!l.is_set_empty("D"), "unset");
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

    #[test]
    fn body_limit_above_one_mebibyte_is_refused() {
        let e = env(&[("S_BODY_LIMIT", "2000000")]);
        let mut l = Loader::new(&e);
        let http = l.http("S", 9000);
        assert_eq!(http.body_limit, MAX_BODY_LIMIT);
        assert!(l.finish().is_err());
    }

    #[test]
    fn production_requires_https_and_database_url() {
        let e = env(&[("CONNECTAUTH_ENV", "production")]);
        let mut l = Loader::new(&e);
        l.http("S", 9000);
        l.database_url("S_DATABASE_URL", "sqlite://x.db");
        let err = l.finish().expect_err("refused");
        assert_eq!(err.problems.len(), 2, "{err}");
    }

    #[test]
    fn placeholder_database_password_is_refused_in_production() {
        let e = env(&[
            ("CONNECTAUTH_ENV", "production"),
            ("S_DATABASE_URL", "postgres://connectauth:change-me@db/auth"),
        ]);
        let mut l = Loader::new(&e);
        l.database_url("S_DATABASE_URL", "");
        assert!(l.finish().is_err());
    }

    #[test]
    fn unknown_run_mode_is_a_problem() {
        let e = env(&[("CONNECTAUTH_ENV", "staging")]);
        assert!(Loader::new(&e).finish().is_err());
    }

    #[test]
    fn unknown_prefixed_variables_are_reported() {
        let e = env(&[("AUTH_BIND", "x"), ("AUTH_BNID", "y"), ("HOME", "/root")]);
        let known: BTreeSet<String> = ["AUTH_BIND".to_owned()].into();
        assert_eq!(unknown_variables(&e, &["AUTH_"], &known), ["AUTH_BNID"]);
    }
}
