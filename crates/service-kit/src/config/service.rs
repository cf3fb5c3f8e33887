//! The settings every service reads the same way: its HTTP listener, its
//! database and pool, where it serves metrics.
use std::net::SocketAddr;
use std::time::Duration;

use url::Url;

use super::{is_placeholder, Loader, RunMode};
use crate::db::PoolSettings;

/// Largest request body any service accepts, whatever is configured.
pub const MAX_BODY_LIMIT: usize = 1024 * 1024;
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

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

impl Loader<'_> {
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

    /// A database URL (`postgres://…` or `sqlite:…`). Required in production;
    /// development falls back to `dev_default`.
    pub fn database_url(&mut self, key: &str, dev_default: &str) -> String {
        let value = match self.optional(key).filter(|v| !v.trim().is_empty()) {
            Some(v) => v.trim().to_owned(),
            None if self.mode().is_production() => {
                self.problem(format!("{key}: required in production (a postgres:// URL)"));
                return String::new();
            }
            None => return dev_default.to_owned(),
        };
        if let Err(e) = crate::db::Engine::from_url(&value) {
            self.problem(format!("{key}: {e}"));
        } else if self.mode().is_production() && is_placeholder(&value) {
            self.problem(format!(
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
                self.problem(format!(
                    "{url_key}: `{url_text}` is not an absolute http(s) URL"
                ));
                Url::parse(&default_url).unwrap_or_else(|_| unreachable_url())
            }
        };
        if self.mode().is_production() && public_url.scheme() != "https" {
            self.problem(format!(
                "{url_key}: must be https in production (tokens and cookies travel over it)"
            ));
        }
        let limit_key = format!("{prefix}_BODY_LIMIT");
        let body_limit = self.parse(&limit_key, default_body_limit);
        if body_limit == 0 || body_limit > MAX_BODY_LIMIT {
            self.problem(format!(
                "{limit_key}: {body_limit} is outside 1..={MAX_BODY_LIMIT} bytes"
            ));
        }
        HttpSettings {
            bind,
            public_url,
            body_limit: body_limit.clamp(1, MAX_BODY_LIMIT),
            mode: self.mode(),
        }
    }
}

fn unreachable_url() -> Url {
    // `http://127.0.0.1` always parses; this keeps the loader free of `unwrap`.
    Url::parse("http://127.0.0.1").expect("static URL parses")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::env;

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
}
