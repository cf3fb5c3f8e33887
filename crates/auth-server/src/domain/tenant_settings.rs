//! A tenant's settings: one JSON object of known keys, each with a type and
//! a rule. What an owner or operator sends is checked key by key (an
//! unknown key, a string `"true"` for a boolean or a number out of range is
//! refused, never read as "off"); a change is a JSON merge patch (RFC 7396):
//! the keys it names change, `null` removes one, the others stay.
use serde_json::{Map, Value};

use super::branding::brand_colour;
use super::client::web_url;
use super::json_object::{self, JsonObjectError};
use super::sentinel::networks::{parse_network, AddressList};

pub const SETTINGS_MAX_BYTES: usize = 8 * 1024;

/// Bounds of `key_rotation_days`.
pub const MIN_ROTATION_DAYS: i64 = 1;
pub const MAX_ROTATION_DAYS: i64 = 365;
/// Bounds of `lockout_threshold` (failed logins before an account locks).
pub const LOCKOUT_THRESHOLD_RANGE: (i64, i64) = (1, 100);
/// Bounds of `session_idle_minutes` (5 minutes to 7 days).
pub const SESSION_IDLE_MINUTES_RANGE: (i64, i64) = (5, 7 * 24 * 60);
/// Bounds of `session_lifetime_hours` (1 hour to 90 days).
pub const SESSION_LIFETIME_HOURS_RANGE: (i64, i64) = (1, 90 * 24);
/// At most this many domains in `signup_email_domains`.
pub const SIGNUP_DOMAINS_MAX: usize = 50;
pub const AUDIENCE_MAX: usize = 200;
/// At most this many entries in `sentinel_allowlist`.
pub const ALLOWLIST_MAX: usize = 50;
/// Bounds of the sentinel's per-tenant thresholds (`sentinel_*`).
pub const SENTINEL_THRESHOLD_RANGE: (i64, i64) = (2, 100_000);

/// What a setting holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingKind {
    Flag,
    /// A whole number within these bounds, both included.
    Integer(i64, i64),
    /// 1 to 200 characters, no spaces.
    Audience,
    /// A list of domain names.
    Domains,
    /// A CSS hex colour.
    Colour,
    /// A web URL a page may load.
    WebUrl,
    /// A list of IP addresses and CIDR ranges.
    Networks,
}

/// One setting a tenant may hold.
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    pub key: &'static str,
    pub kind: SettingKind,
    /// What it does, and what absent means.
    pub about: &'static str,
}

/// Every setting a tenant may hold.
pub const SETTINGS: &[Setting] = &[
    Setting {
        key: "require_mfa",
        kind: SettingKind::Flag,
        about: "Every user must set up and use a second factor. Absent: false.",
    },
    Setting {
        key: "default_audience",
        kind: SettingKind::Audience,
        about: "The audience (`aud`) of access tokens that name no `resource`. Absent: the issuer.",
    },
    Setting {
        key: "key_rotation_days",
        kind: SettingKind::Integer(MIN_ROTATION_DAYS, MAX_ROTATION_DAYS),
        about: "Days between scheduled rotations of the signing keys. Absent: the server's period.",
    },
    Setting {
        key: "lockout_threshold",
        kind: SettingKind::Integer(LOCKOUT_THRESHOLD_RANGE.0, LOCKOUT_THRESHOLD_RANGE.1),
        about: "Failed logins after which an account locks (for a minute, doubling to 15). Absent: the server's threshold (5).",
    },
    Setting {
        key: "session_idle_minutes",
        kind: SettingKind::Integer(SESSION_IDLE_MINUTES_RANGE.0, SESSION_IDLE_MINUTES_RANGE.1),
        about: "Minutes without activity after which a login session ends. Absent: the server's (30).",
    },
    Setting {
        key: "session_lifetime_hours",
        kind: SettingKind::Integer(SESSION_LIFETIME_HOURS_RANGE.0, SESSION_LIFETIME_HOURS_RANGE.1),
        about: "Hours after which a login session ends however active. Absent: the server's (10).",
    },
    Setting {
        key: "signup_open",
        kind: SettingKind::Flag,
        about: "Whether the hosted sign-up page takes new accounts. Absent: true.",
    },
    Setting {
        key: "signup_email_domains",
        kind: SettingKind::Domains,
        about: "Sign-up takes only addresses at these domains. Absent or empty: any address.",
    },
    Setting {
        key: "brand_color",
        kind: SettingKind::Colour,
        about: "The hosted pages' brand colour, `#rgb` or `#rrggbb`.",
    },
    Setting {
        key: "logo_url",
        kind: SettingKind::WebUrl,
        about: "The logo the hosted pages show: an https URL (http only on a loopback host).",
    },
    Setting {
        key: "sentinel_brute_force_failures",
        kind: SettingKind::Integer(SENTINEL_THRESHOLD_RANGE.0, SENTINEL_THRESHOLD_RANGE.1),
        about: "Failed logins on one account within the sentinel's window that make a brute force (docs/sentinel.md). Absent: the server's (default 10).",
    },
    Setting {
        key: "sentinel_spray_accounts",
        kind: SettingKind::Integer(SENTINEL_THRESHOLD_RANGE.0, SENTINEL_THRESHOLD_RANGE.1),
        about: "Distinct accounts one address must fail on within the sentinel's window to be a password spray. Absent: the server's (default 10).",
    },
    Setting {
        key: "sentinel_stuffing_addresses",
        kind: SettingKind::Integer(SENTINEL_THRESHOLD_RANGE.0, SENTINEL_THRESHOLD_RANGE.1),
        about: "Distinct failing addresses (and as many accounts) within the sentinel's window that make credential stuffing. Absent: the server's (default 10).",
    },
    Setting {
        key: "sentinel_signup_flood",
        kind: SettingKind::Integer(SENTINEL_THRESHOLD_RANGE.0, SENTINEL_THRESHOLD_RANGE.1),
        about: "Signup attempts within the sentinel's window that make a flood. Absent: the server's (default 50).",
    },
    Setting {
        key: "sentinel_failure_surge_attempts",
        kind: SettingKind::Integer(SENTINEL_THRESHOLD_RANGE.0, SENTINEL_THRESHOLD_RANGE.1),
        about: "Logins within the sentinel's window (and in the tenant's last 7 days, for its own baseline) a failure surge needs (docs/sentinel.md). Absent: the server's (default 50).",
    },
    Setting {
        key: "sentinel_unfamiliar_login",
        kind: SettingKind::Flag,
        about: "Whether the sentinel tells a user without a second factor of a password login from an address range and a browser their account has not used lately (docs/sentinel.md). Absent: true.",
    },
    Setting {
        key: "sentinel_unfamiliar_login_step_up",
        kind: SettingKind::Flag,
        about: "Whether such an unfamiliar login also marks the account for step-up (a mailed code at its next password logins). Absent: false.",
    },
    Setting {
        key: "sentinel_allowlist",
        kind: SettingKind::Networks,
        about: "Addresses and CIDR ranges the sentinel never blocks for this tenant (docs/sentinel.md). Absent or empty: none.",
    },
];

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SettingsError {
    #[error("settings must be a JSON object")]
    NotObject,
    #[error("settings must be at most {SETTINGS_MAX_BYTES} bytes of JSON")]
    TooLarge,
    #[error("`{0}` is not a setting")]
    Unknown(String),
    #[error("setting `{key}` must be {expected}")]
    Invalid { key: &'static str, expected: String },
}

impl SettingsError {
    /// The key at fault, when one is.
    pub fn key(&self) -> Option<&str> {
        match self {
            SettingsError::Unknown(key) => Some(key),
            SettingsError::Invalid { key, .. } => Some(key),
            _ => None,
        }
    }
}

fn expected(kind: SettingKind) -> String {
    match kind {
        SettingKind::Flag => "true or false".to_owned(),
        SettingKind::Integer(min, max) => format!("a whole number from {min} to {max}"),
        SettingKind::Audience => format!("1 to {AUDIENCE_MAX} characters without spaces"),
        SettingKind::Domains => {
            format!("a list of at most {SIGNUP_DOMAINS_MAX} domain names such as example.com")
        }
        SettingKind::Colour => "a hex colour such as #2f5bea or #25e".to_owned(),
        SettingKind::WebUrl => "an https URL (http only on a loopback host)".to_owned(),
        SettingKind::Networks => format!(
            "a list of at most {ALLOWLIST_MAX} IP addresses or CIDR ranges such as 203.0.113.0/24"
        ),
    }
}

/// `value` in its stored form if it is a valid `kind`, else `None`.
fn checked(kind: SettingKind, value: &Value) -> Option<Value> {
    match kind {
        SettingKind::Flag => value.as_bool().map(Value::Bool),
        SettingKind::Integer(min, max) => value
            .as_i64()
            .filter(|n| (min..=max).contains(n))
            .map(Value::from),
        SettingKind::Audience => value
            .as_str()
            .map(str::trim)
            .filter(|s| {
                !s.is_empty()
                    && s.chars().count() <= AUDIENCE_MAX
                    && !s.chars().any(|c| c.is_whitespace() || c.is_control())
            })
            .map(Value::from),
        SettingKind::Domains => {
            let items = value.as_array()?;
            if items.len() > SIGNUP_DOMAINS_MAX {
                return None;
            }
            let mut domains = items
                .iter()
                .map(|d| d.as_str().and_then(email_domain))
                .collect::<Option<Vec<_>>>()?;
            domains.sort();
            domains.dedup();
            Some(Value::from(domains))
        }
        SettingKind::Colour => value
            .as_str()
            .map(str::trim)
            .and_then(brand_colour)
            .map(|c| Value::from(c.to_ascii_lowercase())),
        SettingKind::WebUrl => value
            .as_str()
            .and_then(|s| web_url(s.trim()).ok())
            .map(|u| Value::from(u.to_string())),
        SettingKind::Networks => {
            let items = value.as_array()?;
            if items.len() > ALLOWLIST_MAX {
                return None;
            }
            let mut nets = items
                .iter()
                .map(|n| n.as_str().and_then(|s| parse_network(s).ok()))
                .collect::<Option<Vec<_>>>()?;
            nets.sort();
            nets.dedup();
            Some(Value::from(
                nets.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ))
        }
    }
}

/// `text` as a lowercase domain name an email address can end with: labels
/// of letters, digits and inner hyphens, at least two of them.
pub fn email_domain(text: &str) -> Option<String> {
    let domain = text.trim().trim_start_matches('@').to_ascii_lowercase();
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        (1..=63).contains(&l.len())
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    (domain.len() <= 253 && labels.len() >= 2 && labels.iter().all(label_ok)).then_some(domain)
}

fn kind_of(key: &str) -> Option<(&'static str, SettingKind)> {
    SETTINGS
        .iter()
        .find(|s| s.key == key)
        .map(|s| (s.key, s.kind))
}

/// A tenant's settings, valid by construction when they come from
/// [`TenantSettings::parse`] or [`TenantSettings::merged`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TenantSettings(Map<String, Value>);

impl TenantSettings {
    /// Settings as sent whole (creating a tenant, replacing its settings):
    /// every key known, every value valid.
    pub fn parse(value: Value) -> Result<Self, SettingsError> {
        let map = bounded(value)?;
        let mut settings = Map::new();
        for (key, value) in map {
            let (key, kind) = kind_of(&key).ok_or(SettingsError::Unknown(key))?;
            if value.is_null() {
                continue;
            }
            settings.insert(key.to_owned(), check(key, kind, &value)?);
        }
        Ok(Self(settings))
    }

    /// Settings read back from our own database: kept as stored (keys an
    /// older version accepted included); each reader below ignores a value
    /// it cannot use.
    pub fn from_stored(value: Value) -> Result<Self, SettingsError> {
        match value {
            Value::Object(map) => Ok(Self(map)),
            _ => Err(SettingsError::NotObject),
        }
    }

    /// These settings changed by a JSON merge patch (RFC 7396): each key the
    /// patch names is set (checked like [`TenantSettings::parse`]) or, when
    /// `null`, removed; every other setting stays.
    pub fn merged(&self, patch: Value) -> Result<Self, SettingsError> {
        let Value::Object(patch) = patch else {
            return Err(SettingsError::NotObject);
        };
        let mut map = self.0.clone();
        for (key, value) in patch {
            let (key, kind) = kind_of(&key).ok_or(SettingsError::Unknown(key))?;
            if value.is_null() {
                map.remove(key);
            } else {
                map.insert(key.to_owned(), check(key, kind, &value)?);
            }
        }
        let map = bounded(Value::Object(map))?;
        Ok(Self(map))
    }

    /// A boolean setting, false when absent or not a boolean.
    pub fn flag(&self, key: &str) -> bool {
        self.0.get(key).and_then(Value::as_bool).unwrap_or(false)
    }

    /// Whether every user must use a second factor.
    pub fn require_mfa(&self) -> bool {
        self.flag("require_mfa")
    }

    /// Whether the hosted sign-up page takes new accounts (open unless the
    /// tenant closed it).
    pub fn signup_open(&self) -> bool {
        self.0
            .get("signup_open")
            .and_then(Value::as_bool)
            .unwrap_or(true)
    }

    /// The domains sign-up is limited to; empty when any address may sign up.
    pub fn signup_email_domains(&self) -> Vec<String> {
        self.0
            .get("signup_email_domains")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|d| d.as_str().and_then(email_domain))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether an address with this domain may sign up.
    pub fn signup_allows_domain(&self, domain: &str) -> bool {
        let allowed = self.signup_email_domains();
        allowed.is_empty() || allowed.iter().any(|d| d.eq_ignore_ascii_case(domain))
    }

    /// The audience of access tokens that name no resource.
    pub fn default_audience(&self) -> Option<&str> {
        self.0
            .get("default_audience")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }

    /// An integer setting within its bounds; `None` when absent or unusable.
    fn integer(&self, key: &str) -> Option<i64> {
        let (_, kind) = kind_of(key)?;
        let value = self.0.get(key)?;
        checked(kind, value).and_then(|v| v.as_i64())
    }

    /// The addresses the sentinel never blocks for this tenant (entries
    /// that no longer parse are left out).
    pub fn sentinel_allowlist(&self) -> AddressList {
        AddressList::new(
            self.0
                .get("sentinel_allowlist")
                .and_then(Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|n| n.as_str().and_then(|s| parse_network(s).ok()))
                        .collect()
                })
                .unwrap_or_default(),
        )
    }

    /// Whether the sentinel checks this tenant's logins for unfamiliar
    /// ones (on unless the tenant turned it off).
    pub fn sentinel_unfamiliar_login(&self) -> bool {
        self.0
            .get("sentinel_unfamiliar_login")
            .and_then(Value::as_bool)
            .unwrap_or(true)
    }

    /// Whether an unfamiliar login marks its account for step-up (off
    /// unless the tenant asks: a new phone is normal).
    pub fn sentinel_unfamiliar_login_step_up(&self) -> bool {
        self.flag("sentinel_unfamiliar_login_step_up")
    }

    /// One of the sentinel's per-tenant thresholds (`sentinel_*`), when set.
    pub fn sentinel_threshold(&self, key: &str) -> Option<usize> {
        key.starts_with("sentinel_")
            .then(|| self.integer(key))
            .flatten()
            .and_then(|n| usize::try_from(n).ok())
    }

    pub fn key_rotation_days(&self) -> Option<i64> {
        self.integer("key_rotation_days")
    }

    pub fn lockout_threshold(&self) -> Option<i64> {
        self.integer("lockout_threshold")
    }

    pub fn session_idle_minutes(&self) -> Option<i64> {
        self.integer("session_idle_minutes")
    }

    pub fn session_lifetime_hours(&self) -> Option<i64> {
        self.integer("session_lifetime_hours")
    }

    /// `logo_url` when it is a web URL a page may load: https, or http on a
    /// loopback host (development); anything else shows no logo.
    pub fn logo_url(&self) -> Option<url::Url> {
        let text = self.0.get("logo_url").and_then(Value::as_str)?;
        web_url(text).ok()
    }

    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    pub fn to_json(&self) -> String {
        Value::Object(self.0.clone()).to_string()
    }
}

fn bounded(value: Value) -> Result<Map<String, Value>, SettingsError> {
    json_object::parse(value, SETTINGS_MAX_BYTES).map_err(|e| match e {
        JsonObjectError::NotObject => SettingsError::NotObject,
        JsonObjectError::TooLarge => SettingsError::TooLarge,
    })
}

fn check(key: &'static str, kind: SettingKind, value: &Value) -> Result<Value, SettingsError> {
    checked(kind, value).ok_or_else(|| SettingsError::Invalid {
        key,
        expected: expected(kind),
    })
}

#[cfg(test)]
#[path = "tenant_settings_tests.rs"]
mod tests;
