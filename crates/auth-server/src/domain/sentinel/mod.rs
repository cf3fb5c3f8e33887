//! The sentinel's rules: what counts as an attack in a tenant's recent
//! login and signup attempts, and which addresses an attack gets blocked;
//! which reused refresh tokens and replayed codes make a stolen-token
//! incident; which successful logins are unfamiliar to their account, and
//! when a tenant's failure ratio surges above its own baseline. Pure
//! functions over a window of attempts (`detectors`, `surge`), of token
//! events (`tokens`), of an account's logins (`unfamiliar`, with
//! `user_agent`) and lists of addresses (`networks`), and the in-memory
//! window of attempts the runner keeps (`window`); the clock, the SQL and
//! the actions live in `crate::sentinel`.
pub mod block_order;
pub mod compromise;
pub mod detectors;
pub mod manage_probe;
pub mod networks;
pub mod reason;
pub mod step_up;
pub mod surge;
pub mod tokens;
pub mod unfamiliar;
pub mod user_agent;
pub mod window;

use std::net::IpAddr;

use ipnet::IpNet;

use super::tenant_settings::TenantSettings;

/// What one attempt in the audit trail was, as the detectors see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A login refused: wrong password, unknown or disabled account, or an
    /// attempt refused because the account or address was locked.
    Failure,
    /// A login whose password (or other first factor) was right.
    Success,
    /// A signup attempt, whatever came of it.
    Signup,
}

/// One login or signup attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub outcome: Outcome,
    /// Which account it was for (the audit trail's account digest), when
    /// the attempt named one.
    pub account: Option<String>,
    /// The client's address, when known.
    pub ip: Option<IpAddr>,
    /// Unix seconds.
    pub at: i64,
}

pub use compromise::{CLIENT_SECRET_COMPROMISED, SIGNING_KEY_COMPROMISED};

/// The detectors: five on login and signup attempts, one on each new
/// successful login, two on token events, one on the management API's
/// refused bearer tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Detector {
    BruteForce,
    PasswordSpray,
    CredentialStuffing,
    SignupFlood,
    /// The tenant's failure ratio far above its own baseline.
    FailureSurge,
    /// A password login from a range and a browser the account never used.
    UnfamiliarLogin,
    /// A spent refresh token presented again after its reuse interval.
    RefreshReuse,
    /// An authorization code redeemed a second time.
    CodeReplay,
    /// Bursts of 401s on the management API from one address.
    ManageProbe,
}

impl Detector {
    pub const ALL: [Detector; 9] = [
        Detector::BruteForce,
        Detector::PasswordSpray,
        Detector::CredentialStuffing,
        Detector::SignupFlood,
        Detector::FailureSurge,
        Detector::UnfamiliarLogin,
        Detector::RefreshReuse,
        Detector::CodeReplay,
        Detector::ManageProbe,
    ];

    /// The detector named `text` ([`Detector::as_str`]).
    pub fn parse(text: &str) -> Option<Detector> {
        Detector::ALL.into_iter().find(|d| d.as_str() == text)
    }

    /// The stable name in audit events, incidents and docs/sentinel.md.
    pub fn as_str(self) -> &'static str {
        match self {
            Detector::BruteForce => "brute_force",
            Detector::PasswordSpray => "password_spray",
            Detector::CredentialStuffing => "credential_stuffing",
            Detector::SignupFlood => "signup_flood",
            Detector::FailureSurge => "failure_surge",
            Detector::UnfamiliarLogin => "unfamiliar_login",
            Detector::RefreshReuse => "refresh_reuse",
            Detector::CodeReplay => "code_replay",
            Detector::ManageProbe => "manage_probe",
        }
    }
}

impl std::fmt::Display for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When each detector fires. Defaults in [`Thresholds::DEFAULT`], documented
/// in docs/sentinel.md with the variables that change them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// How far back every detector looks, in seconds.
    pub window_secs: i64,
    /// Failed attempts on one account that make a brute force.
    pub brute_force_failures: usize,
    /// Of those, how many one address must have made to be blocked.
    pub brute_force_per_address: usize,
    /// Distinct accounts one address (IPv6: its /64) failed on that make
    /// a password spray…
    pub spray_accounts: usize,
    /// …when it tried each of them at most this many times on average.
    pub spray_tries_per_account: usize,
    /// Distinct failing addresses in the tenant that make credential
    /// stuffing…
    pub stuffing_addresses: usize,
    /// …on at least this many distinct accounts…
    pub stuffing_accounts: usize,
    /// …with at least this share of the tenant's logins failing (percent).
    pub stuffing_failure_percent: usize,
    /// Failures an address must have made (and no success) to be blocked
    /// for stuffing.
    pub stuffing_per_address: usize,
    /// Signup attempts in the tenant that make a flood.
    pub signup_flood: usize,
    /// Logins in the window a failure surge needs (and its baseline, to
    /// be the tenant's own)…
    pub surge_attempts: usize,
    /// …with a failure ratio at least this many times the baseline's…
    pub surge_factor: usize,
    /// …and at least this many points above it (percent).
    pub surge_margin_percent: usize,
    /// The baseline ratio (percent) of a tenant with too little history.
    pub surge_default_baseline_percent: usize,
}

impl Thresholds {
    pub const DEFAULT: Thresholds = Thresholds {
        window_secs: 600,
        brute_force_failures: 10,
        brute_force_per_address: 3,
        spray_accounts: 10,
        spray_tries_per_account: 3,
        stuffing_addresses: 10,
        stuffing_accounts: 10,
        stuffing_failure_percent: 80,
        stuffing_per_address: 2,
        signup_flood: 50,
        surge_attempts: 50,
        surge_factor: 3,
        surge_margin_percent: 30,
        surge_default_baseline_percent: 10,
    };
}

impl Thresholds {
    /// These thresholds with the tenant's own, where it set them.
    pub fn for_tenant(&self, settings: &TenantSettings) -> Thresholds {
        let own = |key: &str, server: usize| settings.sentinel_threshold(key).unwrap_or(server);
        Thresholds {
            brute_force_failures: own("sentinel_brute_force_failures", self.brute_force_failures),
            spray_accounts: own("sentinel_spray_accounts", self.spray_accounts),
            stuffing_addresses: own("sentinel_stuffing_addresses", self.stuffing_addresses),
            stuffing_accounts: own("sentinel_stuffing_addresses", self.stuffing_accounts),
            signup_flood: own("sentinel_signup_flood", self.signup_flood),
            surge_attempts: own("sentinel_failure_surge_attempts", self.surge_attempts),
            ..*self
        }
    }
}

impl Default for Thresholds {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// What a detector saw, as the audit event and the alert tell it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Evidence {
    pub attempts: usize,
    pub failures: usize,
    pub accounts: usize,
    pub addresses: usize,
    pub window_secs: i64,
    /// A failure surge's ratios (its baseline and the window's).
    #[serde(flatten)]
    pub surge: Option<surge::SurgeEvidence>,
}

/// An attack a detector found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub detector: Detector,
    /// What the attack is on or from (an account digest, an address range,
    /// `tenant`): with the detector, the incident it belongs to.
    pub subject: String,
    pub evidence: Evidence,
    /// The accounts (digests) the attack tried, in order: brute force its
    /// one account, spraying and stuffing every account they failed on.
    /// Those that exist are stepped up (`step_up`).
    pub targets: Vec<String>,
    /// The ranges to block, before allowlists are applied.
    pub block: Vec<IpNet>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_tenant_sets_its_own_sentinel_thresholds_over_the_servers() {
        let server = Thresholds {
            brute_force_failures: 20,
            ..Thresholds::DEFAULT
        };
        assert_eq!(server.for_tenant(&TenantSettings::default()), server);
        let own = TenantSettings::parse(json!({
            "sentinel_brute_force_failures": 4,
            "sentinel_stuffing_addresses": 30,
            "sentinel_signup_flood": 500,
            "sentinel_failure_surge_attempts": 200,
        }))
        .expect("valid");
        let t = server.for_tenant(&own);
        assert_eq!(t.brute_force_failures, 4);
        assert_eq!((t.stuffing_addresses, t.stuffing_accounts), (30, 30));
        assert_eq!(t.signup_flood, 500);
        assert_eq!(t.surge_attempts, 200);
        assert_eq!(t.surge_factor, server.surge_factor, "server-wide only");
        assert_eq!(
            t.spray_accounts, server.spray_accounts,
            "not set: the server's"
        );
        assert_eq!(t.window_secs, server.window_secs);
        for bad in [json!(1), json!(100_001), json!("10")] {
            assert!(TenantSettings::parse(json!({ "sentinel_spray_accounts": bad })).is_err());
        }
    }
}
