//! [`Loader`]: reads typed values, from a variable or the file its `_FILE`
//! twin names, and gathers every problem instead of stopping at the first.
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use super::{ConfigError, Env, RunMode};

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

    /// An `on`/`off` setting (also `true`/`false`, `1`/`0`); anything else
    /// is a problem named after `key`, and the default stands.
    pub fn switch(&mut self, key: &str, default: bool) -> bool {
        let fallback = if default { "on" } else { "off" };
        match self.string(key, fallback).trim() {
            "on" | "true" | "1" => true,
            "off" | "false" | "0" => false,
            other => {
                self.problems
                    .push(format!("{key}: `{other}` is neither on nor off"));
                default
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::{env, GOOD};

    #[test]
    fn switches_read_on_and_off_and_name_anything_else() {
        let e = env(&[("A", "off"), ("B", " true "), ("C", "0"), ("D", "maybe")]);
        let mut loader = Loader::new(&e);
        assert!(!loader.switch("A", true));
        assert!(loader.switch("B", false));
        assert!(!loader.switch("C", true));
        assert!(loader.switch("UNSET", true));
        assert!(loader.switch("D", true), "the default stands");
        let err = loader.finish().expect_err("D is a problem").to_string();
        assert!(err.contains("D: `maybe` is neither on nor off"), "{err}");
    }

    #[test]
    fn unknown_run_mode_is_a_problem() {
        let e = env(&[("CONNECTAUTH_ENV", "staging")]);
        assert!(Loader::new(&e).finish().is_err());
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
}
