//! `connectauth secrets generate`: a complete production environment block,
//! every secret fresh from the OS CSPRNG (256 bits, base64url), with the host
//! names of the deployment it is for (`--target`).
use anyhow::Context;
use service_kit::secret;
use time::format_description::well_known::Rfc3339;

use crate::args::{DeployTarget, GenerateArgs, SecretsArgs, SecretsCommand};

pub fn run(args: SecretsArgs) -> anyhow::Result<()> {
    match args.command {
        SecretsCommand::Generate(g) => {
            print!("{}", generate(&g)?);
            Ok(())
        }
    }
}

/// How the services of one deployment reach PostgreSQL, billing, mail and
/// Redis.
struct Hosts {
    db: &'static str,
    /// `AUTH_BILLING_URL` line and its comment; `None` when the deployment
    /// files set it themselves.
    billing: Option<(&'static str, &'static str)>,
    smtp: (&'static str, &'static str),
    /// The `REDIS_URL` lines (comments, or a setting), or the note saying
    /// where the deployment files set it.
    redis: &'static str,
    /// `kubectl create secret --from-env-file` keeps quotes in the value;
    /// compose and systemd remove them.
    quote: bool,
}

impl Hosts {
    fn of(target: DeployTarget) -> Self {
        match target {
            DeployTarget::Compose => Self {
                db: "postgres",
                billing: Some((
                    "http://billing:8081",
                    "# The auth server reports usage to billing and asks it for quotas (compose service name).",
                )),
                smtp: (
                    "smtp://mail:1025",
                    "# Outgoing mail; smtp://mail:1025 is the compose SMTP catcher: point it at your relay.",
                ),
                redis: "# Form and signup rate limits shared by the auth replicas (compose service name).\n\
                        REDIS_URL=redis://redis:6379",
                quote: true,
            },
            DeployTarget::Systemd => Self {
                db: "127.0.0.1",
                billing: Some((
                    "http://127.0.0.1:8081",
                    "# The auth server reports usage to billing and asks it for quotas (its loopback bind).",
                ),),
                smtp: (
                    "smtp://127.0.0.1:25",
                    "# Outgoing mail through this host's MTA (Postfix, nullmailer…), or your relay:\n\
                     # smtps://user:password@relay.example.com:465 or smtp://…:587?tls=starttls.",
                ),
                redis: "# One auth instance needs no Redis. Several (on this host or more) share the form\n\
                        # and signup rate limits through one: install it (apt install redis-server), then\n\
                        # REDIS_URL=redis://127.0.0.1:6379",
                quote: true,
            },
            DeployTarget::Kubernetes => Self {
                db: "postgres",
                billing: None,
                smtp: (
                    "smtp://relay.example.com:587?tls=starttls",
                    "# Outgoing mail: no relay runs in the cluster, so name yours\n\
                     # (smtps://user:password@host:465 or smtp://user:password@host:587?tls=starttls).",
                ),
                redis: "# REDIS_URL is set in auth.yaml (redis://redis:6379, the Service of redis.yaml).",
                quote: false,
            },
        }
    }
}

fn fresh() -> anyhow::Result<String> {
    secret::generate().context("the operating system's random source failed")
}

pub fn generate(args: &GenerateArgs) -> anyhow::Result<String> {
    let hosts = Hosts::of(args.target);
    let db_host = args.db_host.as_deref().unwrap_or(hosts.db);
    let pg_password = fresh()?;
    let now = time::OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default();
    let db = |name: &str| {
        format!("postgres://connectauth:{pg_password}@{db_host}:5432/connectauth_{name}")
    };
    let mail_from = "ConnectAuth <no-reply@example.com>";
    let mut lines = vec![
        format!(
            "# ConnectAuth production environment for {}, generated {now}.",
            target_name(args.target)
        ),
        "# Keep it in your secret manager; never commit it. Secrets are 256 random bits, base64url.".to_owned(),
        "# Change a host name in the *_PUBLIC_URL lines only: the issuers and the billing URL follow.".to_owned(),
        "CONNECTAUTH_ENV=production".to_owned(),
        "CONNECTAUTH_LOG_FORMAT=json".to_owned(),
        format!("POSTGRES_PASSWORD={pg_password}"),
        String::new(),
        format!("AUTH_PUBLIC_URL={}", args.auth_url),
        format!("AUTH_DATABASE_URL={}", db("auth")),
    ];
    for key in auth_server::config::SECRET_VARIABLES {
        lines.push(format!("{key}={}", fresh()?));
    }
    // Keyrings start with one key; its id names the day it was made, so a
    // later rotation can put a new key in front and keep this one readable.
    let key_id = time::OffsetDateTime::now_utc()
        .date()
        .to_string()
        .replace('-', "");
    for key in auth_server::config::KEYRING_VARIABLES {
        lines.push(format!("{key}=k{key_id}:{}", fresh()?));
    }
    let (smtp_url, smtp_comment) = hosts.smtp;
    lines.extend([
        smtp_comment.to_owned(),
        format!("SMTP_URL={smtp_url}"),
        if hosts.quote {
            format!("MAIL_FROM=\"{mail_from}\"")
        } else {
            format!("MAIL_FROM={mail_from}")
        },
        String::new(),
    ]);
    match hosts.billing {
        Some((url, comment)) => {
            lines.extend([comment.to_owned(), format!("AUTH_BILLING_URL={url}")]);
        }
        None => lines.push(
            "# AUTH_BILLING_URL is set in auth.yaml (http://billing:8081, the Service).".to_owned(),
        ),
    }
    lines.push(hosts.redis.to_owned());
    lines.extend([
        String::new(),
        format!("BILLING_PUBLIC_URL={}", args.billing_url),
        format!("BILLING_DATABASE_URL={}", db("billing")),
        "# Billing trusts the service tokens of the auth server's platform tenant:".to_owned(),
        "# BILLING_ISSUER defaults to {AUTH_PUBLIC_URL}/t/platform.".to_owned(),
        "# Without a Stripe key billing runs offline: `connectauth billing set-plan` sets plans."
            .to_owned(),
        "# BILLING_STRIPE_SECRET_KEY=sk_live_…".to_owned(),
        "# BILLING_STRIPE_WEBHOOK_SECRETS=whsec_…".to_owned(),
        "# Then `connectauth billing sync-plans` prints BILLING_STRIPE_PRICE_STARTER and _PRO."
            .to_owned(),
        String::new(),
        format!("PEOPLE_PUBLIC_URL={}", args.people_url),
        format!("PEOPLE_DATABASE_URL={}", db("people")),
        "# PEOPLE_ISSUER defaults to {AUTH_PUBLIC_URL}/t/connect-people.".to_owned(),
    ]);
    Ok(lines.join("\n") + "\n")
}

fn target_name(target: DeployTarget) -> &'static str {
    match target {
        DeployTarget::Compose => "docker-compose.yml",
        DeployTarget::Systemd => "deploy/systemd",
        DeployTarget::Kubernetes => "deploy/kubernetes",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(target: DeployTarget, db_host: Option<&str>) -> Vec<(String, String)> {
        let args = GenerateArgs {
            target,
            db_host: db_host.map(str::to_owned),
            auth_url: "https://login.example.org".to_owned(),
            billing_url: "https://pay.example.org".to_owned(),
            people_url: "https://people.example.org".to_owned(),
        };
        let text = generate(&args).expect("generated");
        text.lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| {
                let (k, v) = l.split_once('=').expect("KEY=value");
                (k.to_owned(), v.to_owned())
            })
            .collect()
    }

    fn get<'a>(block: &'a [(String, String)], key: &str) -> Option<&'a str> {
        block
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn db_host(url: &str) -> &str {
        let after_at = url.rsplit_once('@').expect("credentials").1;
        after_at.split_once(':').expect("port").0
    }

    #[test]
    fn each_target_names_its_own_hosts() {
        // (target, database host, AUTH_BILLING_URL, SMTP_URL, MAIL_FROM, REDIS_URL)
        let expected = [
            (
                DeployTarget::Compose,
                "postgres",
                Some("http://billing:8081"),
                "smtp://mail:1025",
                "\"ConnectAuth <no-reply@example.com>\"",
                Some("redis://redis:6379"),
            ),
            (
                DeployTarget::Systemd,
                "127.0.0.1",
                Some("http://127.0.0.1:8081"),
                "smtp://127.0.0.1:25",
                "\"ConnectAuth <no-reply@example.com>\"",
                None,
            ),
            (
                DeployTarget::Kubernetes,
                "postgres",
                None,
                "smtp://relay.example.com:587?tls=starttls",
                "ConnectAuth <no-reply@example.com>",
                None,
            ),
        ];
        for (target, db, billing, smtp, from, redis) in expected {
            let b = block(target, None);
            for service in ["AUTH", "BILLING", "PEOPLE"] {
                let url = get(&b, &format!("{service}_DATABASE_URL")).expect("database URL");
                assert_eq!(db_host(url), db, "{target:?} {service}");
            }
            assert_eq!(get(&b, "AUTH_BILLING_URL"), billing, "{target:?}");
            assert_eq!(get(&b, "SMTP_URL"), Some(smtp), "{target:?}");
            assert_eq!(get(&b, "MAIL_FROM"), Some(from), "{target:?}");
            assert_eq!(get(&b, "REDIS_URL"), redis, "{target:?}");
        }
        // A VPS has no compose network: nothing may name its hosts.
        let systemd: String = block(DeployTarget::Systemd, None)
            .iter()
            .map(|(k, v)| format!("{k}={v}\n"))
            .collect();
        for compose_host in ["@postgres:", "billing:8081", "mail:1025", "redis:6379"] {
            assert!(!systemd.contains(compose_host), "{compose_host}");
        }
    }

    #[test]
    fn db_host_overrides_the_targets_default() {
        for target in [
            DeployTarget::Compose,
            DeployTarget::Systemd,
            DeployTarget::Kubernetes,
        ] {
            let b = block(target, Some("db.internal"));
            let url = get(&b, "AUTH_DATABASE_URL").expect("database URL");
            assert_eq!(db_host(url), "db.internal", "{target:?}");
        }
    }

    #[test]
    fn derived_urls_are_left_to_the_public_urls() {
        for target in [
            DeployTarget::Compose,
            DeployTarget::Systemd,
            DeployTarget::Kubernetes,
        ] {
            let b = block(target, None);
            assert_eq!(
                get(&b, "AUTH_PUBLIC_URL"),
                Some("https://login.example.org")
            );
            assert_eq!(
                get(&b, "BILLING_PUBLIC_URL"),
                Some("https://pay.example.org")
            );
            assert_eq!(
                get(&b, "PEOPLE_PUBLIC_URL"),
                Some("https://people.example.org")
            );
            // Unset, so they follow AUTH_PUBLIC_URL: one edit moves them all.
            assert_eq!(get(&b, "BILLING_ISSUER"), None, "{target:?}");
            assert_eq!(get(&b, "PEOPLE_ISSUER"), None, "{target:?}");
            assert!(
                b.iter().all(|(_, v)| !v.contains("example.com/t/")),
                "{target:?}: no issuer under the default host"
            );
        }
    }

    #[test]
    fn the_block_passes_the_production_checks_of_every_service() {
        use service_kit::config::{Env, Loader};
        for target in [
            DeployTarget::Compose,
            DeployTarget::Systemd,
            DeployTarget::Kubernetes,
        ] {
            let b = block(target, None);
            let env = Env::from_pairs(
                b.iter()
                    .map(|(k, v)| (k.clone(), v.trim_matches('"').to_owned())),
            );
            let mut loader = Loader::new(&env);
            let auth = auth_server::AuthConfig::read(&mut loader);
            let billing = billing::BillingConfig::read(&mut loader);
            let people = people_api::PeopleConfig::read(&mut loader);
            if let Err(e) = loader.finish() {
                panic!("{target:?}: {e}");
            }
            assert_eq!(
                billing.platform.issuer,
                "https://login.example.org/t/platform"
            );
            assert_eq!(
                people.tokens.issuer,
                "https://login.example.org/t/connect-people"
            );
            let expected_billing = match target {
                // auth.yaml names the Service; the block alone falls back on
                // the public URL.
                DeployTarget::Kubernetes => "https://pay.example.org/",
                DeployTarget::Compose => "http://billing:8081/",
                DeployTarget::Systemd => "http://127.0.0.1:8081/",
            };
            assert_eq!(
                auth.billing.url.map(|u| u.to_string()).as_deref(),
                Some(expected_billing),
                "{target:?}"
            );
        }
    }
}
