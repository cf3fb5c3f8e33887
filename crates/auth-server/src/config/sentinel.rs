//! `AUTH_SENTINEL*` and `AUTH_OPERATOR_EMAILS`: the security agent's settings.

use service_kit::config::Loader;

/// `AUTH_SENTINEL*`: the security agent and what it acts on.
#[derive(Debug, Clone)]
pub struct SentinelSettings {
    /// `AUTH_SENTINEL` (`on`, the default, or `off`): whether this instance
    /// may run the detectors. Blocks already stored are enforced either way.
    pub enabled: bool,
    /// `AUTH_SENTINEL_NEVER_BLOCK` (default `127.0.0.1,::1`): addresses and
    /// ranges never blocked, for every tenant (operators, monitoring).
    pub never_block: crate::domain::sentinel::networks::AddressList,
    /// `AUTH_SENTINEL_BLOCK_SECS` (default 3600): how long a block lasts.
    pub block_secs: i64,
    /// `AUTH_SENTINEL_ALERT_INTERVAL_SECS` (default 900): at most one alert
    /// mail per tenant in this long.
    pub alert_interval_secs: i64,
    /// `AUTH_SENTINEL_STEP_UP_SECS` (default 86400): how long an account
    /// under attack needs a second step at password login; 0: never.
    pub step_up_secs: i64,
    /// `AUTH_SENTINEL_UNFAMILIAR_DAYS` (default 90): how far back an
    /// account's successful logins make its ranges and browsers familiar.
    pub unfamiliar_days: i64,
    pub thresholds: crate::domain::sentinel::Thresholds,
    /// `AUTH_SENTINEL_MANAGE_PROBE_FAILURES` (default 20) 401s on the
    /// management API from one address within
    /// `AUTH_SENTINEL_MANAGE_PROBE_WINDOW_SECS` (default 300) block it there.
    pub manage_probe: crate::domain::sentinel::manage_probe::ProbeSettings,
    /// The daily security report mailed to each tenant's owners.
    pub daily_report: crate::sentinel::daily_report::DailyReportSettings,
    /// `AUTH_AI_*`: the optional AI analyst; `None`: off.
    pub analyst: Option<crate::analyst::AnalystSettings>,
    /// `AUTH_OPERATOR_EMAILS` (comma-separated, default none): who gets the
    /// platform operators' daily report across tenants; none: not mailed.
    pub operator_emails: Vec<String>,
}

/// `AUTH_SENTINEL_NEVER_BLOCK` (default `127.0.0.1,::1`): what the server
/// never blocks, and the CLI refuses to block by hand.
pub fn read_never_block(loader: &mut Loader<'_>) -> crate::domain::sentinel::networks::AddressList {
    use crate::domain::sentinel::networks::AddressList;
    AddressList::parse(&loader.string("AUTH_SENTINEL_NEVER_BLOCK", "127.0.0.1,::1")).unwrap_or_else(
        |problems| {
            for p in problems {
                loader.problem(format!("AUTH_SENTINEL_NEVER_BLOCK: {p}"));
            }
            AddressList::default()
        },
    )
}

/// `AUTH_OPERATOR_EMAILS`: addresses, comma-separated, each a valid one.
fn read_operator_emails(loader: &mut Loader<'_>) -> Vec<String> {
    let list = loader.optional("AUTH_OPERATOR_EMAILS").unwrap_or_default();
    let mut emails = Vec::new();
    for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        match crate::domain::email::Email::parse(entry) {
            Ok(_) => emails.push(entry.to_owned()),
            Err(_) => loader.problem(format!(
                "AUTH_OPERATOR_EMAILS: `{entry}` is not an email address"
            )),
        }
    }
    emails
}

pub(super) fn read_sentinel(loader: &mut Loader<'_>) -> SentinelSettings {
    use crate::domain::sentinel::Thresholds;
    let enabled = loader.switch("AUTH_SENTINEL", true);
    let never_block = read_never_block(loader);
    let d = Thresholds::DEFAULT;
    let mut count = |key: &str, default: usize| -> usize {
        let n: usize = loader.parse(key, default);
        if n == 0 {
            loader.problem(format!("{key} must be at least 1"));
        }
        n.max(1)
    };
    let thresholds = Thresholds {
        window_secs: 0,
        brute_force_failures: count("AUTH_SENTINEL_BRUTE_FORCE_FAILURES", d.brute_force_failures),
        brute_force_per_address: count(
            "AUTH_SENTINEL_BRUTE_FORCE_PER_ADDRESS",
            d.brute_force_per_address,
        ),
        spray_accounts: count("AUTH_SENTINEL_SPRAY_ACCOUNTS", d.spray_accounts),
        spray_tries_per_account: count(
            "AUTH_SENTINEL_SPRAY_TRIES_PER_ACCOUNT",
            d.spray_tries_per_account,
        ),
        stuffing_addresses: count("AUTH_SENTINEL_STUFFING_ADDRESSES", d.stuffing_addresses),
        stuffing_accounts: count("AUTH_SENTINEL_STUFFING_ACCOUNTS", d.stuffing_accounts),
        stuffing_failure_percent: count(
            "AUTH_SENTINEL_STUFFING_FAILURE_PERCENT",
            d.stuffing_failure_percent,
        ),
        stuffing_per_address: count("AUTH_SENTINEL_STUFFING_PER_ADDRESS", d.stuffing_per_address),
        signup_flood: count("AUTH_SENTINEL_SIGNUP_FLOOD", d.signup_flood),
        surge_attempts: count("AUTH_SENTINEL_SURGE_ATTEMPTS", d.surge_attempts),
        surge_factor: count("AUTH_SENTINEL_SURGE_FACTOR", d.surge_factor),
        surge_margin_percent: count("AUTH_SENTINEL_SURGE_MARGIN_PERCENT", d.surge_margin_percent),
        surge_default_baseline_percent: count(
            "AUTH_SENTINEL_SURGE_DEFAULT_BASELINE_PERCENT",
            d.surge_default_baseline_percent,
        ),
    };
    let probe = crate::domain::sentinel::manage_probe::ProbeSettings::DEFAULT;
    let probe_failures = count(
        "AUTH_SENTINEL_MANAGE_PROBE_FAILURES",
        usize::try_from(probe.failures).unwrap_or(usize::MAX),
    );
    let mut secs = |key: &str, default: i64| -> i64 {
        let n: i64 = loader.parse(key, default);
        if n < 1 {
            loader.problem(format!("{key} must be at least 1"));
        }
        n.max(1)
    };
    let window_secs = secs("AUTH_SENTINEL_WINDOW_SECS", d.window_secs);
    let block_secs = secs("AUTH_SENTINEL_BLOCK_SECS", 3600);
    let alert_interval_secs = secs("AUTH_SENTINEL_ALERT_INTERVAL_SECS", 900);
    let unfamiliar_days = secs("AUTH_SENTINEL_UNFAMILIAR_DAYS", 90);
    let probe_window_secs = secs("AUTH_SENTINEL_MANAGE_PROBE_WINDOW_SECS", probe.window_secs);
    let step_up_secs: i64 = loader.parse("AUTH_SENTINEL_STEP_UP_SECS", 86_400);
    if step_up_secs < 0 {
        loader.problem("AUTH_SENTINEL_STEP_UP_SECS must be 0 (off) or more");
    }
    for (key, percent) in [
        (
            "AUTH_SENTINEL_STUFFING_FAILURE_PERCENT",
            thresholds.stuffing_failure_percent,
        ),
        (
            "AUTH_SENTINEL_SURGE_MARGIN_PERCENT",
            thresholds.surge_margin_percent,
        ),
        (
            "AUTH_SENTINEL_SURGE_DEFAULT_BASELINE_PERCENT",
            thresholds.surge_default_baseline_percent,
        ),
    ] {
        if percent > 100 {
            loader.problem(format!("{key} must be at most 100"));
        }
    }
    if unfamiliar_days > 3650 {
        loader.problem("AUTH_SENTINEL_UNFAMILIAR_DAYS must be at most 3650");
    }
    SentinelSettings {
        enabled,
        never_block,
        block_secs,
        alert_interval_secs,
        step_up_secs: step_up_secs.max(0),
        unfamiliar_days: unfamiliar_days.min(3650),
        thresholds: Thresholds {
            window_secs,
            ..thresholds
        },
        manage_probe: crate::domain::sentinel::manage_probe::ProbeSettings {
            failures: u64::try_from(probe_failures).unwrap_or(u64::MAX),
            window_secs: probe_window_secs,
        },
        daily_report: crate::sentinel::daily_report::DailyReportSettings::read(loader),
        analyst: crate::analyst::AnalystSettings::read(loader),
        operator_emails: read_operator_emails(loader),
    }
}
