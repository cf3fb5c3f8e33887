//! `AuthConfig`: everything the auth server reads from its environment.
use std::time::Duration;

use service_kit::config::{ConfigError, Env, HttpSettings, Loader};
use service_kit::db::PoolSettings;
use service_kit::secret::Secret;

pub const DEFAULT_PORT: u16 = 8080;
pub const DEV_DATABASE_URL: &str = "sqlite://data/auth.db";

/// Secrets the auth server needs, for `connectauth secrets generate`.
pub const SECRET_VARIABLES: &[&str] = &["AUTH_ADMIN_TOKEN"];
/// Keyrings (`id:secret,…`) the auth server needs.
pub const KEYRING_VARIABLES: &[&str] = &["AUTH_MASTER_KEYS"];

pub use service_kit::http::client_address::TrustedProxies;
pub use service_kit::mail::MailSettings;

mod sentinel;
use sentinel::read_sentinel;
pub use sentinel::{read_never_block, SentinelSettings};

/// Argon2id parameters and the size of the hashing pool.
#[derive(Debug, Clone, Copy)]
pub struct PasswordSettings {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    /// Worker threads (default: the machine's cores).
    pub workers: Option<usize>,
    /// Hash requests that may wait; more are answered 503.
    pub queue: usize,
}

#[derive(Debug, Clone)]
pub struct IdentitySettings {
    pub session_idle: Duration,
    pub session_absolute: Duration,
    pub max_sessions_per_user: i64,
    pub account_lockout_threshold: i64,
    pub ip_lockout_threshold: i64,
    /// Auth form submissions per IP per minute.
    pub form_rate_per_minute: u32,
    /// Signups per tenant per minute.
    pub signup_rate_per_minute: u32,
    /// `REDIS_URL`: the form and signup budgets are shared by every
    /// instance through this Redis. Unset: each instance counts its own.
    pub shared_limits: Option<crate::http::rate_limit::SharedLimitSettings>,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: TrustedProxies,
    /// Whether upstream identity providers may live on private or loopback
    /// addresses (and plain http on loopback): `AUTH_UPSTREAM_ALLOW_PRIVATE`.
    pub upstream_private: crate::domain::upstream::PrivateUpstreams,
    pub mail: MailSettings,
    pub mail_from: String,
    pub password: PasswordSettings,
}

#[derive(Debug, Clone)]
pub struct AuthConfig {
    pub http: HttpSettings,
    pub database_url: String,
    pub pool: PoolSettings,
    /// Bearer token of platform operators on `/manage/v1`.
    pub admin_token: Secret,
    /// Master keys sealing secrets at rest; the first one seals.
    pub master_keys: Vec<(String, Secret)>,
    pub identity: IdentitySettings,
    /// Metering and quotas through the billing service.
    pub billing: BillingSettings,
    /// `AUTH_METRICS_ADDR` (e.g. `127.0.0.1:9100`): where Prometheus
    /// metrics are served, apart from the public listener. Unset: none.
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// The security agent (docs/sentinel.md). Boxed: the CLI holds one
    /// service's config in an enum, whose variants stay close in size.
    pub sentinel: Box<SentinelSettings>,
    /// The scheduled deletion of expired rows (`crate::maintenance`).
    pub cleanup: crate::maintenance::CleanupSettings,
    /// Event webhooks' delivery (docs/webhooks.md).
    pub webhooks: crate::webhooks::WebhookSettings,
}

/// How the auth server talks to the billing service.
#[derive(Debug, Clone)]
pub struct BillingSettings {
    /// `AUTH_BILLING_URL`, e.g. `http://127.0.0.1:8081`; unset, billing's
    /// `BILLING_PUBLIC_URL`. `None` (set empty, or neither set): nothing is
    /// metered and no quota is checked (every signup is allowed).
    pub url: Option<url::Url>,
    /// `AUTH_BILLING_REPORT_INTERVAL_SECS` (default 60): how often usage is sent.
    pub report_interval: Duration,
    /// `AUTH_ENTITLEMENTS_TTL_SECS` (default 60): how long a tenant's
    /// entitlements are trusted before they are fetched again.
    pub entitlements_ttl: Duration,
    /// `AUTH_PAYMENT_ORIGINS` (default Stripe's Checkout and Customer Portal
    /// origins): where the dashboard may send an owner to pay. The billing
    /// page's CSP names exactly these, and any other URL is refused.
    pub payment_origins: Vec<url::Url>,
}

/// Stripe Checkout and the Customer Portal.
pub const DEFAULT_PAYMENT_ORIGINS: &str = "https://checkout.stripe.com,https://billing.stripe.com";

impl AuthConfig {
    /// Reads the config, recording problems in `loader` (which may be shared
    /// with the other services so all problems are reported together).
    pub fn read(loader: &mut Loader<'_>) -> Self {
        let http = loader.http("AUTH", DEFAULT_PORT);
        let database_url = loader.database_url("AUTH_DATABASE_URL", DEV_DATABASE_URL);
        let pool = loader.pool("AUTH");
        let admin_token = loader
            .secret("AUTH_ADMIN_TOKEN")
            .unwrap_or_else(|| Secret::new(""));
        let master_keys = loader.keyring("AUTH_MASTER_KEYS");
        let identity = read_identity(loader);
        let billing = read_billing(loader);
        let metrics_addr = loader.metrics_addr("AUTH");
        let sentinel = Box::new(read_sentinel(loader));
        let cleanup = crate::maintenance::CleanupSettings::read(loader);
        let webhooks = crate::webhooks::WebhookSettings::read(loader);
        Self {
            http,
            database_url,
            pool,
            admin_token,
            master_keys,
            identity,
            billing,
            metrics_addr,
            sentinel,
            cleanup,
            webhooks,
        }
    }

    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let mut loader = Loader::new(env);
        let config = Self::read(&mut loader);
        loader.finish().map(|_| config)
    }
}

fn read_billing(loader: &mut Loader<'_>) -> BillingSettings {
    // Unset: billing's public URL when known (every deployment file sets
    // the internal address, which skips the proxy); empty: metering off.
    let url = if loader.is_set_empty("AUTH_BILLING_URL") {
        None
    } else {
        let given = loader
            .optional("AUTH_BILLING_URL")
            .map(|v| ("AUTH_BILLING_URL", v));
        given
            .or_else(|| {
                loader
                    .optional("BILLING_PUBLIC_URL")
                    .map(|v| ("AUTH_BILLING_URL (unset, so BILLING_PUBLIC_URL)", v))
            })
            .map(|(origin, v)| (origin, v.trim().to_owned()))
            .filter(|(_, v)| !v.is_empty())
            .and_then(|(origin, v)| match url::Url::parse(&v) {
                Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => Some(url),
                _ => {
                    loader.problem(format!("{origin}: `{v}` is not an absolute http(s) URL"));
                    None
                }
            })
    };
    if url.is_none() && loader.mode().is_production() {
        tracing::warn!(
            "no AUTH_BILLING_URL nor BILLING_PUBLIC_URL: usage is not metered and no quota is \
             checked"
        );
    }
    let report_secs: u64 = loader.parse("AUTH_BILLING_REPORT_INTERVAL_SECS", 60);
    let ttl_secs: u64 = loader.parse("AUTH_ENTITLEMENTS_TTL_SECS", 60);
    if report_secs == 0 || ttl_secs == 0 {
        loader.problem(
            "AUTH_BILLING_REPORT_INTERVAL_SECS and AUTH_ENTITLEMENTS_TTL_SECS must be at least 1",
        );
    }
    let payment_origins = loader
        .string("AUTH_PAYMENT_ORIGINS", DEFAULT_PAYMENT_ORIGINS)
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .filter_map(|s| match url::Url::parse(s) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() && u.path() == "/" => {
                Some(u)
            }
            _ => {
                loader.problem(format!(
                    "AUTH_PAYMENT_ORIGINS: `{s}` is not an origin (scheme://host[:port])"
                ));
                None
            }
        })
        .collect();
    BillingSettings {
        url,
        report_interval: Duration::from_secs(report_secs.max(1)),
        entitlements_ttl: Duration::from_secs(ttl_secs.max(1)),
        payment_origins,
    }
}

fn read_identity(loader: &mut Loader<'_>) -> IdentitySettings {
    let mail = MailSettings::read(loader, "AUTH_MAIL_DIR");
    let trusted_proxies = loader
        .optional("AUTH_TRUSTED_PROXIES")
        .map(|list| {
            TrustedProxies::parse(&list).unwrap_or_else(|problems| {
                for p in problems {
                    loader.problem(format!("AUTH_TRUSTED_PROXIES: {p}"));
                }
                TrustedProxies::default()
            })
        })
        .unwrap_or_default();
    let password = PasswordSettings {
        memory_kib: loader.parse("AUTH_ARGON2_MEMORY_KIB", 19 * 1024),
        iterations: loader.parse("AUTH_ARGON2_ITERATIONS", 2),
        parallelism: loader.parse("AUTH_ARGON2_PARALLELISM", 1),
        workers: loader
            .optional("AUTH_PASSWORD_WORKERS")
            .and_then(|v| v.trim().parse().ok()),
        queue: loader.parse("AUTH_PASSWORD_QUEUE", 64),
    };
    if password.memory_kib < 19 * 1024 || password.iterations < 2 || password.parallelism < 1 {
        loader.problem("AUTH_ARGON2_*: below the OWASP floor (m = 19456 KiB, t = 2, p = 1)");
    }
    let settings = IdentitySettings {
        session_idle: Duration::from_secs(loader.parse("AUTH_SESSION_IDLE_SECS", 30 * 60)),
        session_absolute: Duration::from_secs(
            loader.parse("AUTH_SESSION_ABSOLUTE_SECS", 10 * 3600),
        ),
        max_sessions_per_user: loader.parse("AUTH_MAX_SESSIONS_PER_USER", 50),
        account_lockout_threshold: loader.parse("AUTH_LOCKOUT_THRESHOLD", 5),
        ip_lockout_threshold: loader.parse("AUTH_IP_LOCKOUT_THRESHOLD", 50),
        form_rate_per_minute: loader.parse("AUTH_FORM_RATE_PER_MINUTE", 30),
        signup_rate_per_minute: loader.parse("AUTH_SIGNUP_RATE_PER_MINUTE", 20),
        shared_limits: loader
            .optional("REDIS_URL")
            .filter(|url| !url.trim().is_empty())
            .map(|url| crate::http::rate_limit::SharedLimitSettings {
                url: Secret::new(url.trim()),
                key_prefix: loader
                    .optional("REDIS_KEY_PREFIX")
                    .unwrap_or_else(|| "connectauth:".to_owned()),
            }),
        trusted_proxies,
        upstream_private: if loader.parse("AUTH_UPSTREAM_ALLOW_PRIVATE", false) {
            crate::domain::upstream::PrivateUpstreams::Allowed
        } else {
            crate::domain::upstream::PrivateUpstreams::Refused
        },
        mail,
        mail_from: loader.string("MAIL_FROM", "ConnectAuth <no-reply@localhost>"),
        password,
    };
    if settings.form_rate_per_minute == 0 || settings.signup_rate_per_minute == 0 {
        loader.problem(
            "AUTH_FORM_RATE_PER_MINUTE and AUTH_SIGNUP_RATE_PER_MINUTE must be at least 1",
        );
    }
    if settings.max_sessions_per_user < 1 {
        loader.problem("AUTH_MAX_SESSIONS_PER_USER must be at least 1");
    }
    if settings.account_lockout_threshold < 1 || settings.ip_lockout_threshold < 1 {
        loader.problem("AUTH_LOCKOUT_THRESHOLD and AUTH_IP_LOCKOUT_THRESHOLD must be at least 1");
    }
    if settings.session_idle.is_zero() || settings.session_absolute < settings.session_idle {
        loader.problem("AUTH_SESSION_IDLE_SECS must be > 0 and at most AUTH_SESSION_ABSOLUTE_SECS");
    }
    settings
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn a_bad_trusted_proxy_is_a_config_problem() {
        let env = Env::from_pairs([("AUTH_TRUSTED_PROXIES", "10.0.0.0/8,not-an-ip")]);
        let err = AuthConfig::from_env(&env).expect_err("refused");
        assert!(
            err.problems.iter().any(|p| p
                == "AUTH_TRUSTED_PROXIES: `not-an-ip` is not an IP address or a CIDR range (like 10.0.0.0/8 or fd00::/8)"),
            "{err}"
        );
        let admin = service_kit::secret::generate().expect("csprng");
        let master = format!("k1:{}", service_kit::secret::generate().expect("csprng"));
        let env = Env::from_pairs([
            ("AUTH_TRUSTED_PROXIES", "10.0.0.0/8, 2001:db8::/48"),
            ("AUTH_ADMIN_TOKEN", admin.as_str()),
            ("AUTH_MASTER_KEYS", master.as_str()),
        ]);
        let config = AuthConfig::from_env(&env).expect("valid");
        assert!(config
            .identity
            .trusted_proxies
            .contains(ip("2001:db8:0:ffff::1")));
    }

    #[test]
    fn the_billing_url_defaults_to_billing_public_url_and_empty_turns_it_off() {
        let admin = service_kit::secret::generate().expect("csprng");
        let master = format!("k1:{}", service_kit::secret::generate().expect("csprng"));
        let billing_url = |extra: &[(&str, &str)]| {
            let mut pairs = vec![
                ("AUTH_ADMIN_TOKEN", admin.as_str()),
                ("AUTH_MASTER_KEYS", master.as_str()),
            ];
            pairs.extend_from_slice(extra);
            AuthConfig::from_env(&Env::from_pairs(pairs))
                .map(|c| c.billing.url.map(|u| u.to_string()))
        };
        let public = ("BILLING_PUBLIC_URL", "https://billing.example.org");
        assert_eq!(billing_url(&[]).expect("valid"), None);
        assert_eq!(
            billing_url(&[public]).expect("valid").as_deref(),
            Some("https://billing.example.org/")
        );
        assert_eq!(
            billing_url(&[public, ("AUTH_BILLING_URL", "http://billing:8081")])
                .expect("valid")
                .as_deref(),
            Some("http://billing:8081/")
        );
        assert_eq!(
            billing_url(&[public, ("AUTH_BILLING_URL", "")]).expect("valid"),
            None
        );
        let bad =
            billing_url(&[("BILLING_PUBLIC_URL", "billing.example.org")]).expect_err("not a URL");
        assert!(
            bad.problems[0].starts_with("AUTH_BILLING_URL (unset, so BILLING_PUBLIC_URL): "),
            "{bad}"
        );
    }

    #[test]
    fn sentinel_settings_default_on_and_name_every_bad_value() {
        let admin = service_kit::secret::generate().expect("csprng");
        let master = format!("k1:{}", service_kit::secret::generate().expect("csprng"));
        let base = [
            ("AUTH_ADMIN_TOKEN", admin.as_str()),
            ("AUTH_MASTER_KEYS", master.as_str()),
        ];
        let config = AuthConfig::from_env(&Env::from_pairs(base)).expect("valid");
        let s = &config.sentinel;
        assert!(s.enabled);
        assert!(s.never_block.holds(ip("127.0.0.1")) && s.never_block.holds(ip("::1")));
        assert_eq!(s.thresholds, crate::domain::sentinel::Thresholds::DEFAULT);
        assert_eq!((s.block_secs, s.alert_interval_secs), (3600, 900));
        assert_eq!(s.step_up_secs, 86_400);
        assert_eq!(s.unfamiliar_days, 90);
        assert!(s.analyst.is_none(), "the AI analyst is off by default");
        assert!(s.operator_emails.is_empty());
        assert_eq!(
            s.manage_probe,
            crate::domain::sentinel::manage_probe::ProbeSettings::DEFAULT
        );

        let mut tuned = base.to_vec();
        tuned.extend([
            ("AUTH_SENTINEL", "off"),
            ("AUTH_SENTINEL_NEVER_BLOCK", "192.0.2.0/24"),
            ("AUTH_SENTINEL_WINDOW_SECS", "120"),
            ("AUTH_SENTINEL_SPRAY_ACCOUNTS", "25"),
            ("AUTH_SENTINEL_STEP_UP_SECS", "0"),
            ("AUTH_SENTINEL_UNFAMILIAR_DAYS", "30"),
            ("AUTH_SENTINEL_SURGE_ATTEMPTS", "200"),
            ("AUTH_SENTINEL_SURGE_FACTOR", "4"),
            ("AUTH_SENTINEL_SURGE_MARGIN_PERCENT", "25"),
            ("AUTH_SENTINEL_SURGE_DEFAULT_BASELINE_PERCENT", "5"),
            (
                "AUTH_OPERATOR_EMAILS",
                "ops@platform.example, oncall@platform.example",
            ),
            ("AUTH_SENTINEL_MANAGE_PROBE_FAILURES", "5"),
            ("AUTH_SENTINEL_MANAGE_PROBE_WINDOW_SECS", "60"),
        ]);
        let config = AuthConfig::from_env(&Env::from_pairs(tuned)).expect("valid");
        assert_eq!(
            config.sentinel.operator_emails,
            ["ops@platform.example", "oncall@platform.example"]
        );
        let s = &config.sentinel;
        assert!(!s.enabled);
        assert!(s.never_block.holds(ip("192.0.2.9")) && !s.never_block.holds(ip("127.0.0.1")));
        assert_eq!(
            (s.thresholds.window_secs, s.thresholds.spray_accounts),
            (120, 25)
        );
        assert_eq!(s.step_up_secs, 0, "step-up off");
        assert_eq!(s.unfamiliar_days, 30);
        let t = &s.thresholds;
        assert_eq!(
            (
                t.surge_attempts,
                t.surge_factor,
                t.surge_margin_percent,
                t.surge_default_baseline_percent
            ),
            (200, 4, 25, 5)
        );
        assert_eq!(
            (s.manage_probe.failures, s.manage_probe.window_secs),
            (5, 60)
        );

        let mut bad = base.to_vec();
        bad.extend([
            ("AUTH_SENTINEL", "maybe"),
            ("AUTH_SENTINEL_NEVER_BLOCK", "office"),
            ("AUTH_SENTINEL_BRUTE_FORCE_FAILURES", "0"),
            ("AUTH_SENTINEL_STUFFING_FAILURE_PERCENT", "120"),
            ("AUTH_SENTINEL_STEP_UP_SECS", "-5"),
            ("AUTH_SENTINEL_UNFAMILIAR_DAYS", "0"),
            ("AUTH_SENTINEL_SURGE_FACTOR", "0"),
            ("AUTH_SENTINEL_SURGE_MARGIN_PERCENT", "101"),
            ("AUTH_SENTINEL_SURGE_DEFAULT_BASELINE_PERCENT", "x"),
            (
                "AUTH_OPERATOR_EMAILS",
                "ops@platform.example,not-an-address",
            ),
            ("AUTH_SENTINEL_MANAGE_PROBE_FAILURES", "0"),
            ("AUTH_SENTINEL_MANAGE_PROBE_WINDOW_SECS", "0"),
        ]);
        let err = AuthConfig::from_env(&Env::from_pairs(bad)).expect_err("refused");
        for named in [
            "AUTH_SENTINEL: `maybe`",
            "AUTH_SENTINEL_NEVER_BLOCK: `office`",
            "AUTH_SENTINEL_BRUTE_FORCE_FAILURES must be at least 1",
            "AUTH_SENTINEL_STUFFING_FAILURE_PERCENT must be at most 100",
            "AUTH_SENTINEL_STEP_UP_SECS must be 0 (off) or more",
            "AUTH_SENTINEL_UNFAMILIAR_DAYS must be at least 1",
            "AUTH_SENTINEL_SURGE_FACTOR must be at least 1",
            "AUTH_SENTINEL_SURGE_MARGIN_PERCENT must be at most 100",
            "AUTH_SENTINEL_SURGE_DEFAULT_BASELINE_PERCENT",
            "AUTH_OPERATOR_EMAILS: `not-an-address`",
            "AUTH_SENTINEL_MANAGE_PROBE_FAILURES must be at least 1",
            "AUTH_SENTINEL_MANAGE_PROBE_WINDOW_SECS must be at least 1",
        ] {
            assert!(
                err.problems.iter().any(|p| p.starts_with(named)),
                "{named}: {err}"
            );
        }
    }
}
