//! The variables a configuration is read from, and the ones nobody read.
use std::collections::{BTreeMap, BTreeSet};

use super::RunMode;

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
    use crate::config::tests::env;

    #[test]
    fn unknown_prefixed_variables_are_reported() {
        let e = env(&[("AUTH_BIND", "x"), ("AUTH_BNID", "y"), ("HOME", "/root")]);
        let known: BTreeSet<String> = ["AUTH_BIND".to_owned()].into();
        assert_eq!(unknown_variables(&e, &["AUTH_"], &known), ["AUTH_BNID"]);
    }
}
