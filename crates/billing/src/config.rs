//! `BillingConfig`: everything the service reads from its environment.
use service_kit::bearer::{BearerSettings, DefaultIssuer};
use service_kit::config::{is_placeholder, ConfigError, Env, HttpSettings, Loader};
use service_kit::db::PoolSettings;
use service_kit::http::client_address::TrustedProxies;
use service_kit::mail::MailSettings;
use service_kit::secret::Secret;

use crate::domain::webhook_senders::SenderRule;

pub const DEFAULT_PORT: u16 = 8081;
/// A usage report of 1,000 events is about 100 KB; Stripe events can be
/// tens of KB. Still far under the baseline's 1 MiB cap.
pub const DEFAULT_BODY_LIMIT: usize = 512 * 1024;
pub const DEV_DATABASE_URL: &str = "sqlite://data/billing.db";
/// The auth server's tenant whose service tokens billing accepts.
pub const PLATFORM_TENANT: &str = "platform";
/// The `platform` tenant of the auth server in development.
pub const DEFAULT_PLATFORM_ISSUER: &str = "http://127.0.0.1:8080/t/platform";
/// The audience of every token the billing API accepts.
pub const BILLING_AUDIENCE: &str = "connectauth-billing";
/// How far a webhook's signed timestamp may be from now, by default (as
/// Stripe's libraries).
pub const DEFAULT_WEBHOOK_TOLERANCE_SECS: i64 = 300;
/// The largest tolerance production accepts: a captured delivery can be
/// replayed for that long.
pub const MAX_WEBHOOK_TOLERANCE_SECS: i64 = 600;

#[derive(Debug, Clone)]
pub struct BillingConfig {
    pub http: HttpSettings,
    pub database_url: String,
    pub pool: PoolSettings,
    /// Tokens of the `platform` tenant (services and tenant owners):
    /// `BILLING_ISSUER`, `BILLING_AUDIENCE`, ….
    pub platform: BearerSettings,
    /// `None`: offline mode (no `BILLING_STRIPE_SECRET_KEY`).
    pub stripe: Option<StripeSettings>,
    pub mail: MailSettings,
    pub mail_from: String,
    pub quotas: QuotaSettings,
    /// `BILLING_METRICS_ADDR`: Prometheus metrics apart from the public
    /// listener. Unset: none.
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// `BILLING_TRUSTED_PROXIES`: the reverse proxies whose
    /// `X-Forwarded-For` names the client (as `AUTH_TRUSTED_PROXIES`).
    pub trusted_proxies: TrustedProxies,
    /// When a Stripe webhook sender that keeps failing its signature is
    /// refused (`BILLING_WEBHOOK_PROBE_*`).
    pub webhook_senders: SenderRule,
}

/// Stripe, when a secret key is configured.
#[derive(Debug, Clone)]
pub struct StripeSettings {
    /// `BILLING_STRIPE_SECRET_KEY` (`sk_live_…`, `sk_test_…` or `rk_…`).
    pub secret_key: Secret,
    /// `BILLING_STRIPE_API_BASE`: another API base URL (tests, stand-ins);
    /// https in production.
    pub api_base: Option<String>,
    /// `BILLING_STRIPE_WEBHOOK_SECRETS`: one or more `whsec_…`, comma
    /// separated; several during a rotation. Any one of them may sign.
    pub webhook_secrets: Vec<Secret>,
    /// `BILLING_STRIPE_WEBHOOK_TOLERANCE_SECS` (default 300; 1 to 600 in
    /// production).
    pub webhook_tolerance_secs: i64,
    /// Price ids of the paid plans (`BILLING_STRIPE_PRICE_STARTER`,
    /// `BILLING_STRIPE_PRICE_PRO`); unset → looked up by lookup key.
    pub prices: PriceIds,
}

#[derive(Debug, Clone, Default)]
pub struct PriceIds {
    pub starter: Option<String>,
    pub pro: Option<String>,
}

/// Quota and dunning rules.
#[derive(Debug, Clone, Copy)]
pub struct QuotaSettings {
    /// `BILLING_HARD_LIMIT_PERCENT` (default 110): over it, new signups stop.
    pub hard_limit_percent: u32,
    /// `BILLING_GRACE_DAYS` (default 7): days after a failed payment before
    /// the tenant falls back to Free.
    pub grace_days: u32,
}

impl Default for QuotaSettings {
    fn default() -> Self {
        Self {
            hard_limit_percent: 110,
            grace_days: 7,
        }
    }
}

impl BillingConfig {
    /// Reads the config, recording problems in `loader`.
    pub fn read(loader: &mut Loader<'_>) -> Self {
        let http = loader.http_with_body_limit("BILLING", DEFAULT_PORT, DEFAULT_BODY_LIMIT);
        let database_url = loader.database_url("BILLING_DATABASE_URL", DEV_DATABASE_URL);
        let pool = loader.pool("BILLING");
        // Unset `BILLING_ISSUER`: `{AUTH_PUBLIC_URL}/t/platform`.
        let platform = BearerSettings::read(
            loader,
            "BILLING",
            DefaultIssuer {
                tenant: PLATFORM_TENANT,
                development: DEFAULT_PLATFORM_ISSUER,
            },
            BILLING_AUDIENCE,
        );
        let stripe = StripeSettings::read(loader);
        let mail = MailSettings::read(loader, "BILLING_MAIL_DIR");
        let mail_from = loader.string("MAIL_FROM", service_kit::mail::DEFAULT_FROM);
        let quotas = QuotaSettings::read(loader);
        let metrics_addr = loader.metrics_addr("BILLING");
        let trusted_proxies = read_trusted_proxies(loader);
        let webhook_senders = read_sender_rule(loader);
        Self {
            http,
            database_url,
            pool,
            platform,
            stripe,
            mail,
            mail_from,
            quotas,
            metrics_addr,
            trusted_proxies,
            webhook_senders,
        }
    }

    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let mut loader = Loader::new(env);
        let config = Self::read(&mut loader);
        loader.finish().map(|_| config)
    }
}

impl StripeSettings {
    fn read(loader: &mut Loader<'_>) -> Option<Self> {
        let Some(key) = loader
            .optional("BILLING_STRIPE_SECRET_KEY")
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
        else {
            // Offline. The other Stripe variables are known, just unused.
            for unused in [
                "BILLING_STRIPE_WEBHOOK_SECRETS",
                "BILLING_STRIPE_WEBHOOK_TOLERANCE_SECS",
                "BILLING_STRIPE_API_BASE",
                "BILLING_STRIPE_PRICE_STARTER",
                "BILLING_STRIPE_PRICE_PRO",
            ] {
                loader.optional(unused);
            }
            return None;
        };
        if is_placeholder(&key) {
            loader.problem("BILLING_STRIPE_SECRET_KEY: still the example value");
        } else if !(key.starts_with("sk_") || key.starts_with("rk_")) {
            loader.problem("BILLING_STRIPE_SECRET_KEY: a Stripe secret key starts with sk_ or rk_");
        }
        let secret_key = Secret::new(key);
        let webhook_secrets: Vec<Secret> = loader
            .optional("BILLING_STRIPE_WEBHOOK_SECRETS")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(Secret::new)
            .collect();
        if webhook_secrets.iter().any(|w| is_placeholder(w.expose())) {
            loader.problem("BILLING_STRIPE_WEBHOOK_SECRETS: still the example value");
        }
        if webhook_secrets.is_empty() {
            loader.problem(
                "BILLING_STRIPE_WEBHOOK_SECRETS: required with BILLING_STRIPE_SECRET_KEY \
                 (the whsec_… signing secret of the webhook endpoint)",
            );
        }
        let production = loader.mode().is_production();
        let api_base = loader.optional("BILLING_STRIPE_API_BASE");
        if let Some(base) = &api_base {
            match url::Url::parse(base) {
                Err(_) => loader.problem(format!("BILLING_STRIPE_API_BASE: `{base}` is not a URL")),
                Ok(url) if production && url.scheme() != "https" => loader.problem(
                    "BILLING_STRIPE_API_BASE: must be https in production (the secret key \
                     travels over it)",
                ),
                Ok(_) => {}
            }
        }
        let webhook_tolerance_secs = loader.parse(
            "BILLING_STRIPE_WEBHOOK_TOLERANCE_SECS",
            DEFAULT_WEBHOOK_TOLERANCE_SECS,
        );
        if production && !(1..=MAX_WEBHOOK_TOLERANCE_SECS).contains(&webhook_tolerance_secs) {
            loader.problem(format!(
                "BILLING_STRIPE_WEBHOOK_TOLERANCE_SECS: between 1 and \
                 {MAX_WEBHOOK_TOLERANCE_SECS} in production (a captured delivery can be \
                 replayed for that long)"
            ));
        }
        Some(Self {
            secret_key,
            api_base,
            webhook_secrets,
            webhook_tolerance_secs,
            prices: PriceIds {
                starter: price(loader, "BILLING_STRIPE_PRICE_STARTER"),
                pro: price(loader, "BILLING_STRIPE_PRICE_PRO"),
            },
        })
    }
}

fn price(loader: &mut Loader<'_>, key: &str) -> Option<String> {
    let id = loader
        .optional(key)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())?;
    if is_placeholder(&id) {
        loader.problem(format!("{key}: still the example value"));
    } else if !id.starts_with("price_") {
        loader.problem(format!("{key}: a Stripe price id starts with price_"));
    }
    Some(id)
}

impl QuotaSettings {
    fn read(loader: &mut Loader<'_>) -> Self {
        let hard_limit_percent = loader.parse("BILLING_HARD_LIMIT_PERCENT", 110u32);
        if !(100..=1000).contains(&hard_limit_percent) {
            loader.problem("BILLING_HARD_LIMIT_PERCENT: between 100 and 1000");
        }
        let grace_days = loader.parse("BILLING_GRACE_DAYS", 7u32);
        if grace_days > 90 {
            loader.problem("BILLING_GRACE_DAYS: at most 90");
        }
        Self {
            hard_limit_percent,
            grace_days,
        }
    }
}

fn read_trusted_proxies(loader: &mut Loader<'_>) -> TrustedProxies {
    let Some(list) = loader.optional("BILLING_TRUSTED_PROXIES") else {
        return TrustedProxies::default();
    };
    TrustedProxies::parse(&list).unwrap_or_else(|problems| {
        for p in problems {
            loader.problem(format!("BILLING_TRUSTED_PROXIES: {p}"));
        }
        TrustedProxies::default()
    })
}

/// `BILLING_WEBHOOK_PROBE_FAILURES` (default 10; 0 turns it off) failed
/// signatures within `BILLING_WEBHOOK_PROBE_WINDOW_SECS` (300) get an
/// address refused for `BILLING_WEBHOOK_PROBE_BLOCK_SECS` (900), unless it
/// is in `BILLING_WEBHOOK_NEVER_BLOCK` (addresses and ranges).
fn read_sender_rule(loader: &mut Loader<'_>) -> SenderRule {
    let rule = SenderRule {
        failures: loader.parse(
            "BILLING_WEBHOOK_PROBE_FAILURES",
            SenderRule::DEFAULT_FAILURES,
        ),
        window_secs: loader.parse(
            "BILLING_WEBHOOK_PROBE_WINDOW_SECS",
            SenderRule::DEFAULT_WINDOW_SECS,
        ),
        block_secs: loader.parse(
            "BILLING_WEBHOOK_PROBE_BLOCK_SECS",
            SenderRule::DEFAULT_BLOCK_SECS,
        ),
        never_block: match loader.optional("BILLING_WEBHOOK_NEVER_BLOCK") {
            None => Vec::new(),
            Some(list) => match TrustedProxies::parse(&list) {
                Ok(nets) => nets.ranges().to_vec(),
                Err(problems) => {
                    for p in problems {
                        loader.problem(format!("BILLING_WEBHOOK_NEVER_BLOCK: {p}"));
                    }
                    Vec::new()
                }
            },
        },
    };
    if rule.window_secs < 1 || rule.block_secs < 1 {
        loader.problem("BILLING_WEBHOOK_PROBE_WINDOW_SECS and _BLOCK_SECS: at least 1");
    }
    rule
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<BillingConfig, ConfigError> {
        BillingConfig::from_env(&Env::from_pairs(pairs.iter().copied()))
    }

    /// A complete production configuration with Stripe, plus `extra`
    /// (which wins over the defaults).
    fn production(extra: &[(&str, &str)]) -> Result<BillingConfig, ConfigError> {
        let mut pairs: Vec<(&str, &str)> = vec![
            ("CONNECTAUTH_ENV", "production"),
            ("BILLING_PUBLIC_URL", "https://billing.example.com"),
            ("BILLING_DATABASE_URL", "postgres://billing:pw@db/billing"),
            ("BILLING_ISSUER", "https://auth.example.com/t/platform"),
            ("SMTP_URL", "smtps://mailer:pw@relay.example.com:465"),
            ("BILLING_STRIPE_SECRET_KEY", "sk_live_51abcdefghijklmnop"),
            ("BILLING_STRIPE_WEBHOOK_SECRETS", "whsec_live_1"),
        ];
        pairs.retain(|(k, _)| extra.iter().all(|(e, _)| e != k));
        pairs.extend_from_slice(extra);
        read(&pairs)
    }

    /// The one problem `extra` causes in an otherwise good production config.
    fn production_problem(extra: &[(&str, &str)]) -> String {
        let e = production(extra).expect_err("refused");
        assert_eq!(e.problems.len(), 1, "{e}");
        e.problems[0].clone()
    }

    #[test]
    fn a_good_production_config_passes() {
        let config = production(&[]).expect("valid");
        let stripe = config.stripe.expect("configured");
        assert_eq!(
            stripe.webhook_tolerance_secs,
            DEFAULT_WEBHOOK_TOLERANCE_SECS
        );
        assert_eq!(stripe.api_base, None);
        for good in [
            vec![("BILLING_STRIPE_WEBHOOK_TOLERANCE_SECS", "600")],
            vec![("BILLING_STRIPE_WEBHOOK_TOLERANCE_SECS", "1")],
            vec![(
                "BILLING_STRIPE_API_BASE",
                "https://stripe-proxy.internal.example",
            )],
            vec![(
                "SMTP_URL",
                "smtp://mailer:pw@relay.example.com:587?tls=starttls",
            )],
            vec![("SMTP_URL", "smtp://mail:1025")],
            vec![("SMTP_URL", "smtp://mailer:pw@127.0.0.1:25")],
        ] {
            if let Err(e) = production(&good) {
                panic!("{good:?}: {e}");
            }
        }
    }

    #[test]
    fn an_unset_issuer_is_the_platform_tenant_of_the_auth_public_url() {
        let config = production(&[
            ("BILLING_ISSUER", ""),
            ("AUTH_PUBLIC_URL", "https://login.example.org"),
        ])
        .expect("derived issuer");
        assert_eq!(
            config.platform.issuer,
            "https://login.example.org/t/platform"
        );
        let problem = production_problem(&[("BILLING_ISSUER", "")]);
        assert!(
            problem.starts_with("BILLING_ISSUER: required in production: set AUTH_PUBLIC_URL"),
            "{problem}"
        );
    }

    #[test]
    fn production_bounds_the_webhook_tolerance() {
        for bad in ["601", "86400", "0", "-5"] {
            let problem = production_problem(&[("BILLING_STRIPE_WEBHOOK_TOLERANCE_SECS", bad)]);
            assert!(
                problem.starts_with("BILLING_STRIPE_WEBHOOK_TOLERANCE_SECS: between 1 and 600"),
                "{bad}: {problem}"
            );
        }
        // Development keeps its freedom (replaying old captured events).
        let dev = read(&[
            ("BILLING_STRIPE_SECRET_KEY", "sk_test_51abcdefghijklmnop"),
            ("BILLING_STRIPE_WEBHOOK_SECRETS", "whsec_1"),
            ("BILLING_STRIPE_WEBHOOK_TOLERANCE_SECS", "86400"),
        ]);
        assert!(dev.is_ok());
    }

    #[test]
    fn production_refuses_an_http_stripe_api_base() {
        for bad in [
            "http://stripe-proxy.internal.example",
            "http://127.0.0.1:12111",
        ] {
            let problem = production_problem(&[("BILLING_STRIPE_API_BASE", bad)]);
            assert!(
                problem.starts_with("BILLING_STRIPE_API_BASE: must be https in production"),
                "{bad}: {problem}"
            );
        }
        // Development talks to local stand-ins over http.
        let dev = read(&[
            ("BILLING_STRIPE_SECRET_KEY", "sk_test_51abcdefghijklmnop"),
            ("BILLING_STRIPE_WEBHOOK_SECRETS", "whsec_1"),
            ("BILLING_STRIPE_API_BASE", "http://127.0.0.1:12111"),
        ]);
        assert!(dev.is_ok());
    }

    #[test]
    fn production_refuses_smtp_credentials_over_plaintext() {
        for bad in [
            "smtp://mailer:pw@relay.example.com:587",
            "smtp://mailer:pw@relay.example.com:587?tls=opportunistic",
        ] {
            let problem = production_problem(&[("SMTP_URL", bad)]);
            assert!(
                problem.starts_with("SMTP_URL: credentials"),
                "{bad}: {problem}"
            );
        }
    }

    #[test]
    fn without_a_stripe_key_billing_is_offline() {
        let config = read(&[]).expect("defaults are valid");
        assert!(config.stripe.is_none());
        assert_eq!(config.platform.issuer, DEFAULT_PLATFORM_ISSUER);
        assert_eq!(config.platform.audience, BILLING_AUDIENCE);
        assert_eq!(config.quotas.hard_limit_percent, 110);
        assert_eq!(config.quotas.grace_days, 7);
        assert_eq!(config.http.body_limit, DEFAULT_BODY_LIMIT);
    }

    #[test]
    fn a_stripe_key_needs_webhook_secrets_and_real_values() {
        let key = ("BILLING_STRIPE_SECRET_KEY", "sk_test_51abcdefghijklmnop");
        let e = read(&[key]).expect_err("no webhook secret");
        assert!(
            e.problems[0].starts_with("BILLING_STRIPE_WEBHOOK_SECRETS"),
            "{e}"
        );
        let ok = read(&[
            key,
            ("BILLING_STRIPE_WEBHOOK_SECRETS", "whsec_new, whsec_old"),
        ])
        .expect("valid");
        let stripe = ok.stripe.expect("configured");
        assert_eq!(stripe.webhook_secrets.len(), 2);
        assert_eq!(stripe.webhook_tolerance_secs, 300);
        assert!(
            !format!("{stripe:?}").contains("sk_test_51"),
            "the key is not printed"
        );
        for bad in [
            vec![
                ("BILLING_STRIPE_SECRET_KEY", "pk_test_publishable"),
                ("BILLING_STRIPE_WEBHOOK_SECRETS", "whsec_1"),
            ],
            vec![
                ("BILLING_STRIPE_SECRET_KEY", "sk_test_change-me"),
                ("BILLING_STRIPE_WEBHOOK_SECRETS", "whsec_1"),
            ],
            vec![key, ("BILLING_STRIPE_WEBHOOK_SECRETS", "whsec_change-me")],
            vec![
                key,
                ("BILLING_STRIPE_WEBHOOK_SECRETS", "whsec_1"),
                ("BILLING_STRIPE_PRICE_PRO", "prod_123"),
            ],
            vec![("BILLING_HARD_LIMIT_PERCENT", "99")],
            vec![("BILLING_GRACE_DAYS", "365")],
        ] {
            assert!(read(&bad).is_err(), "{bad:?}");
        }
    }
}
