use std::fmt;
use std::path::PathBuf;

use lettre::message::Mailbox;
use url::Url;

use super::error::MailError;
use crate::config::Loader;
use crate::secret::Secret;

/// Used when `MAIL_FROM` is unset.
pub const DEFAULT_FROM: &str = "ConnectAuth <no-reply@localhost>";

/// Where mail goes, as read from the environment.
#[derive(Debug, Clone)]
pub enum MailSettings {
    /// `SMTP_URL`: smtp://host:port, smtps://…, with credentials if needed.
    Smtp { url: Secret },
    /// Development: each message is a file under this directory.
    Files { dir: PathBuf },
}

impl MailSettings {
    /// `SMTP_URL` (required in production), else files under `dir_variable`
    /// (default `data/mail`). In production, credentials in `SMTP_URL` need
    /// a connection that is always encrypted (`smtps://` or
    /// `?tls=starttls`), unless the relay is on a loopback address.
    pub fn read(loader: &mut Loader<'_>, dir_variable: &str) -> Self {
        match loader.optional("SMTP_URL") {
            Some(url) => {
                if loader.mode().is_production()
                    && SmtpUrl::parse(&url).is_ok_and(|u| u.sends_credentials_in_clear())
                {
                    loader.problem(
                        "SMTP_URL: credentials over an unencrypted connection are refused in \
                         production (use smtps://… or ?tls=starttls)",
                    );
                }
                Self::Smtp {
                    url: Secret::new(url),
                }
            }
            None if loader.mode().is_production() => {
                loader.problem("SMTP_URL: required in production (smtp://… or smtps://…)");
                Self::Files {
                    dir: PathBuf::from("data/mail"),
                }
            }
            None => Self::Files {
                dir: PathBuf::from(loader.string(dir_variable, "data/mail")),
            },
        }
    }
}

/// Where mail goes and who it is from, read from the environment.
#[derive(Debug, Clone)]
pub struct MailConfig {
    pub transport: TransportConfig,
    pub from: Mailbox,
}

/// Which transport to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportConfig {
    /// Production: deliver over SMTP.
    Smtp(SmtpUrl),
    /// Development: write each message as an `.eml` file into `dir`.
    Files { dir: PathBuf },
}

impl MailConfig {
    /// From the auth server's typed settings (`SMTP_URL` or the development
    /// mail directory, and `MAIL_FROM`).
    pub fn from_settings(settings: &MailSettings, from: &str) -> Result<Self, MailError> {
        let transport = match settings {
            MailSettings::Smtp { url } => TransportConfig::Smtp(SmtpUrl::parse(url.expose())?),
            MailSettings::Files { dir } => TransportConfig::Files { dir: dir.clone() },
        };
        let from = from
            .parse::<Mailbox>()
            .map_err(|e| MailError::Config(format!("MAIL_FROM is not a valid mailbox: {e}")))?;
        Ok(Self { transport, from })
    }
}

/// A validated SMTP connection URL.
///
/// * `smtp://host[:port]` — plain (port 25 by default);
/// * `smtp://host[:port]?tls=starttls` (alias `tls=required`) — STARTTLS, must
///   succeed (port 587 by default); `tls=opportunistic` — STARTTLS if offered;
/// * `smtps://host[:port]` — implicit TLS (port 465 by default);
/// * optional `user:password@` (percent-encoded) for AUTH.
///
/// `Debug` and `Display` hide the password.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl {
    /// Normalised to lettre's `from_url` dialect (`tls=starttls` → `tls=required`).
    url: Url,
}

impl SmtpUrl {
    pub fn parse(raw: &str) -> Result<Self, MailError> {
        let mut url = Url::parse(raw.trim())
            .map_err(|e| MailError::Config(format!("SMTP_URL does not parse: {e}")))?;
        if url.host_str().is_none_or(str::is_empty) {
            return Err(MailError::Config("SMTP_URL has no host".into()));
        }
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (key, value) in url.query_pairs() {
            let value = match (key.as_ref(), value.as_ref()) {
                ("tls", "starttls" | "required") => "required".to_owned(),
                ("tls", "opportunistic") => value.into_owned(),
                ("tls", other) => {
                    return Err(MailError::Config(format!(
                        "SMTP_URL: unknown tls={other} (use starttls or opportunistic, or smtps://)"
                    )))
                }
                _ => value.into_owned(),
            };
            pairs.push((key.into_owned(), value));
        }
        if pairs.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(pairs);
        }
        match url.scheme() {
            "smtp" | "smtps" => {}
            other => {
                return Err(MailError::Config(format!(
                    "SMTP_URL scheme must be smtp or smtps, got {other}"
                )))
            }
        }
        Ok(Self { url })
    }

    /// The URL in lettre's dialect, credentials included. Do not log it.
    pub(crate) fn expose(&self) -> &str {
        self.url.as_str()
    }

    /// True for plain `smtp://` without any `tls=` parameter.
    pub fn is_plaintext(&self) -> bool {
        self.url.scheme() == "smtp" && !self.url.query_pairs().any(|(k, _)| k == "tls")
    }

    pub fn has_credentials(&self) -> bool {
        self.url.password().is_some()
    }

    /// True when a user name or password would go to a relay off this host
    /// over a connection that is not always encrypted: plain `smtp://`, or
    /// `tls=opportunistic`, which anyone on the path can strip.
    pub fn sends_credentials_in_clear(&self) -> bool {
        let credentials = !self.url.username().is_empty() || self.url.password().is_some();
        let always_encrypted = self.url.scheme() == "smtps"
            || self
                .url
                .query_pairs()
                .any(|(k, v)| k == "tls" && v == "required");
        // `smtp` is not a special scheme to the URL parser: an IPv4 address
        // comes back as a domain.
        let loopback = match self.url.host() {
            Some(url::Host::Domain(name)) => {
                name.eq_ignore_ascii_case("localhost")
                    || name
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback())
            }
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        credentials && !always_encrypted && !loopback
    }

    /// The URL with any password replaced by `***`, safe for logs.
    pub fn redacted(&self) -> String {
        let mut url = self.url.clone();
        if url.password().is_some() && url.set_password(Some("***")).is_err() {
            return format!("{}://<redacted>", url.scheme());
        }
        url.to_string()
    }
}

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SmtpUrl").field(&self.redacted()).finish()
    }
}

impl fmt::Display for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_pick_the_transport_and_sender() {
        let smtp = MailSettings::Smtp {
            url: Secret::new("smtp://mail.local:2525"),
        };
        let c = MailConfig::from_settings(&smtp, DEFAULT_FROM).expect("valid");
        assert!(matches!(c.transport, TransportConfig::Smtp(ref u) if u.is_plaintext()));
        let files = MailSettings::Files {
            dir: "./mail-out".into(),
        };
        let c = MailConfig::from_settings(&files, "Auth <a@b.example>").expect("valid");
        assert_eq!(
            c.transport,
            TransportConfig::Files {
                dir: "./mail-out".into()
            }
        );
        assert_eq!(c.from.email.to_string(), "a@b.example");
        assert!(MailConfig::from_settings(&files, "nope").is_err());
    }

    #[test]
    fn starttls_is_normalised_and_password_redacted() {
        let u = SmtpUrl::parse("smtp://user:s3cret@mx.example:587?tls=starttls").unwrap();
        assert_eq!(u.expose(), "smtp://user:s3cret@mx.example:587?tls=required");
        assert!(!u.is_plaintext());
        assert!(u.has_credentials());
        for shown in [u.to_string(), format!("{u:?}"), u.redacted()] {
            assert!(!shown.contains("s3cret"), "{shown}");
        }
    }

    fn read_smtp(mode: &str, url: &str) -> Result<MailSettings, crate::config::ConfigError> {
        let env = crate::config::Env::from_pairs([("CONNECTAUTH_ENV", mode), ("SMTP_URL", url)]);
        let mut loader = Loader::new(&env);
        let settings = MailSettings::read(&mut loader, "MAIL_DIR");
        loader.finish().map(|_| settings)
    }

    #[test]
    fn production_refuses_smtp_credentials_over_a_plaintext_connection() {
        for bad in [
            "smtp://user:s3cret@relay.example.com:587",
            "smtp://user:s3cret@relay.example.com:587?tls=opportunistic",
            "smtp://user@relay.example.com:25",
            "smtp://:s3cret@10.0.0.5:25",
        ] {
            let e = read_smtp("production", bad).expect_err(bad);
            assert_eq!(e.problems.len(), 1, "{e}");
            assert!(e.problems[0].starts_with("SMTP_URL: credentials"), "{e}");
            assert!(
                !e.to_string().contains("s3cret"),
                "the password is not shown: {e}"
            );
            // Development only warns when the transport is built.
            assert!(read_smtp("development", bad).is_ok(), "{bad}");
        }
    }

    #[test]
    fn production_accepts_encrypted_or_credential_free_smtp() {
        for good in [
            "smtps://user:s3cret@relay.example.com:465",
            "smtp://user:s3cret@relay.example.com:587?tls=starttls",
            "smtp://user:s3cret@relay.example.com:587?tls=required",
            // No credentials: the compose mail catcher, an open internal relay.
            "smtp://mail:1025",
            "smtp://relay.example.com:25?tls=opportunistic",
            // Credentials that never leave the host.
            "smtp://user:s3cret@127.0.0.1:25",
            "smtp://user:s3cret@localhost:25",
            "smtp://user:s3cret@[::1]:25",
        ] {
            assert!(
                matches!(read_smtp("production", good), Ok(MailSettings::Smtp { .. })),
                "{good}"
            );
        }
    }

    #[test]
    fn rejects_bad_urls() {
        for bad in [
            "http://x",
            "smtp://x?tls=bogus",
            "not a url",
            "smtp:///nohost",
        ] {
            assert!(SmtpUrl::parse(bad).is_err(), "{bad}");
        }
        assert!(SmtpUrl::parse("smtps://mx.example").is_ok());
    }
}
