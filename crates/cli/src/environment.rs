//! The environment the commands read: the process's, plus `.env` in development.
use anyhow::Context;
use service_kit::config::{unknown_variables, Env};
use std::collections::BTreeSet;

/// Variables read outside the typed loaders.
const READ_ELSEWHERE: &[&str] = &[
    "CONNECTAUTH_LOG_FORMAT",
    "CONNECTAUTH_DATA_DIR",
    "CONNECTAUTH_ENV",
];

/// The process environment, with `.env` (if any) below it when not in production.
pub fn load() -> anyhow::Result<Env> {
    let process = Env::from_process();
    let mode = process.run_mode().map_err(anyhow::Error::msg)?;
    if mode.is_production() {
        return Ok(process);
    }
    match dotenvy::dotenv_iter() {
        Ok(iter) => {
            let mut pairs = Vec::new();
            for item in iter {
                pairs.push(item.context("cannot parse .env")?);
            }
            Ok(Env::from_pairs(pairs).overlay(process))
        }
        Err(e) if e.not_found() => Ok(process),
        Err(e) => Err(e).context("cannot read .env"),
    }
}

/// Logs variables with our prefixes that nothing read (typos, stale names).
pub fn warn_unknown(env: &Env, prefixes: &[&str], known: &BTreeSet<String>) {
    let mut known = known.clone();
    known.extend(READ_ELSEWHERE.iter().map(|k| (*k).to_owned()));
    for key in unknown_variables(env, prefixes, &known) {
        tracing::warn!(variable = key, "unknown configuration variable (typo?)");
    }
}
