//! Tests of `tenant_settings.rs`.
use serde_json::json;

use super::*;

fn invalid(key: &'static str) -> impl Fn(Result<TenantSettings, SettingsError>) {
    move |r| match r {
        Err(SettingsError::Invalid { key: k, .. }) => assert_eq!(k, key),
        other => panic!("{key}: expected Invalid, got {other:?}"),
    }
}

#[test]
fn each_known_key_takes_its_type_only() {
    let ok = TenantSettings::parse(json!({
        "require_mfa": true,
        "default_audience": "acme-api",
        "key_rotation_days": 30,
        "lockout_threshold": 10,
        "session_idle_minutes": 60,
        "session_lifetime_hours": 24,
        "signup_open": false,
        "signup_email_domains": ["Example.COM", "@acme.io", "example.com"],
        "brand_color": "#0B6E4F",
        "logo_url": "https://cdn.example.com/logo.png",
    }))
    .expect("valid settings");
    assert!(ok.require_mfa());
    assert!(!ok.signup_open());
    assert_eq!(ok.default_audience(), Some("acme-api"));
    assert_eq!(ok.key_rotation_days(), Some(30));
    assert_eq!(ok.lockout_threshold(), Some(10));
    assert_eq!(ok.session_idle_minutes(), Some(60));
    assert_eq!(ok.session_lifetime_hours(), Some(24));
    assert_eq!(ok.signup_email_domains(), ["acme.io", "example.com"]);
    assert_eq!(ok.as_map()["brand_color"], "#0b6e4f");

    for (key, bad) in [
        ("require_mfa", json!("true")),
        ("require_mfa", json!(1)),
        ("signup_open", json!("false")),
        ("default_audience", json!("")),
        ("default_audience", json!("two words")),
        ("default_audience", json!(7)),
        ("key_rotation_days", json!(0)),
        ("key_rotation_days", json!(366)),
        ("key_rotation_days", json!("30")),
        ("key_rotation_days", json!(1.5)),
        ("lockout_threshold", json!(0)),
        ("lockout_threshold", json!(101)),
        ("session_idle_minutes", json!(4)),
        ("session_idle_minutes", json!(7 * 24 * 60 + 1)),
        ("session_lifetime_hours", json!(0)),
        ("session_lifetime_hours", json!(90 * 24 + 1)),
        ("signup_email_domains", json!("example.com")),
        ("signup_email_domains", json!(["localhost"])),
        ("signup_email_domains", json!(["ex ample.com"])),
        ("signup_email_domains", json!(["-x.com"])),
        ("signup_email_domains", json!([1])),
        ("brand_color", json!("red")),
        ("logo_url", json!("http://cdn.example.com/logo.png")),
        ("logo_url", json!("javascript:alert(1)")),
    ] {
        invalid(key)(TenantSettings::parse(json!({ key: bad })));
    }
    let many: Vec<String> = (0..=SIGNUP_DOMAINS_MAX)
        .map(|i| format!("d{i}.com"))
        .collect();
    invalid("signup_email_domains")(TenantSettings::parse(json!({
        "signup_email_domains": many
    })));
}

#[test]
fn bounds_are_inclusive() {
    for (key, (min, max)) in [
        ("lockout_threshold", LOCKOUT_THRESHOLD_RANGE),
        ("session_idle_minutes", SESSION_IDLE_MINUTES_RANGE),
        ("session_lifetime_hours", SESSION_LIFETIME_HOURS_RANGE),
        ("key_rotation_days", (MIN_ROTATION_DAYS, MAX_ROTATION_DAYS)),
    ] {
        for n in [min, max] {
            let s = TenantSettings::parse(json!({ key: n })).expect("in bounds");
            assert_eq!(s.integer(key), Some(n), "{key}={n}");
        }
        for n in [min - 1, max + 1] {
            invalid(key)(TenantSettings::parse(json!({ key: n })));
        }
    }
}

#[test]
fn unknown_keys_and_other_shapes_are_refused() {
    assert_eq!(
        TenantSettings::parse(json!({ "require_mfaa": true })),
        Err(SettingsError::Unknown("require_mfaa".into()))
    );
    assert_eq!(
        TenantSettings::parse(json!([1, 2])),
        Err(SettingsError::NotObject)
    );
    assert_eq!(
        TenantSettings::default().merged(json!("x")),
        Err(SettingsError::NotObject)
    );
    // Valid keys, but more than 8 KiB of them.
    let label = "a".repeat(60);
    let long: Vec<String> = (0..SIGNUP_DOMAINS_MAX)
        .map(|i| format!("{label}.{label}.{label}.d{i}.com"))
        .collect();
    let big = json!({ "signup_email_domains": long });
    assert_eq!(
        TenantSettings::parse(big.clone()),
        Err(SettingsError::TooLarge)
    );
    assert_eq!(
        TenantSettings::default().merged(big),
        Err(SettingsError::TooLarge)
    );
}

#[test]
fn a_merge_patch_changes_the_keys_it_names_only() {
    let before = TenantSettings::parse(json!({
        "require_mfa": true,
        "default_audience": "acme-api",
        "brand_color": "#123456",
    }))
    .expect("valid");
    let after = before
        .merged(json!({ "require_mfa": false, "brand_color": null, "lockout_threshold": 3 }))
        .expect("valid patch");
    assert_eq!(
        Value::Object(after.as_map().clone()),
        json!({ "require_mfa": false, "default_audience": "acme-api", "lockout_threshold": 3 })
    );
    // A refused patch changes nothing: the caller keeps `before`.
    invalid("require_mfa")(before.merged(json!({ "require_mfa": "true", "lockout_threshold": 3 })));
    assert_eq!(
        before.merged(json!({ "nope": 1 })),
        Err(SettingsError::Unknown("nope".into()))
    );
}

#[test]
fn stored_values_an_older_version_kept_are_ignored_not_fatal() {
    let stored = TenantSettings::from_stored(json!({
        "color": "#123456",
        "require_mfa": "true",
        "lockout_threshold": 1000,
        "logo_url": "javascript:alert(1)",
    }))
    .expect("an object");
    assert!(!stored.require_mfa());
    assert_eq!(stored.lockout_threshold(), None);
    assert_eq!(stored.logo_url(), None);
    // Merging keeps what it does not touch.
    let merged = stored
        .merged(json!({ "require_mfa": true }))
        .expect("valid patch");
    assert_eq!(merged.as_map()["color"], "#123456");
    assert!(merged.require_mfa());
}

#[test]
fn signup_domains_limit_who_may_sign_up() {
    let open = TenantSettings::default();
    assert!(open.signup_open());
    assert!(open.signup_allows_domain("anything.org"));
    let limited =
        TenantSettings::parse(json!({ "signup_email_domains": ["acme.io"] })).expect("valid");
    assert!(limited.signup_allows_domain("acme.io"));
    assert!(limited.signup_allows_domain("ACME.io"));
    assert!(!limited.signup_allows_domain("evil-acme.io"));
    assert!(!limited.signup_allows_domain("acme.io.evil.com"));
}

#[test]
fn a_logo_is_an_https_url_or_a_loopback_one_in_development() {
    let logo = |v: Value| {
        TenantSettings::from_stored(json!({ "logo_url": v }))
            .expect("an object")
            .logo_url()
            .map(|u| u.to_string())
    };
    assert_eq!(
        logo(json!("https://cdn.example.com/logo.png")).as_deref(),
        Some("https://cdn.example.com/logo.png")
    );
    assert!(logo(json!("http://127.0.0.1:9000/logo.png")).is_some());
    for refused in [
        json!("http://cdn.example.com/logo.png"),
        json!("javascript:alert(1)"),
        json!("data:image/png;base64,AAAA"),
        json!("https://user:pw@cdn.example.com/l.png"),
        json!("https://cdn.example.com/*.png"),
        json!(42),
    ] {
        assert_eq!(logo(refused.clone()), None, "{refused}");
        invalid("logo_url")(TenantSettings::parse(json!({ "logo_url": refused })));
    }
}

#[test]
fn email_domains_are_normalised() {
    assert_eq!(
        email_domain(" @Sub.Example.COM ").as_deref(),
        Some("sub.example.com")
    );
    for bad in ["", "com", "a..b", "a.-b.com", "a_b.com", "é.com"] {
        assert_eq!(email_domain(bad), None, "{bad}");
    }
}

#[test]
fn the_sentinel_allowlist_takes_addresses_and_ranges_only() {
    let settings = TenantSettings::parse(json!({
        "sentinel_allowlist": [" 203.0.113.0/24", "2001:db8::1", "203.0.113.0/24"]
    }))
    .expect("valid");
    let list = settings.sentinel_allowlist();
    assert_eq!(list.nets().len(), 2, "deduplicated: {list:?}");
    assert!(list.holds("203.0.113.77".parse().expect("ip")));
    assert!(!list.holds("198.51.100.1".parse().expect("ip")));
    for bad in [
        json!("203.0.113.0/24"),
        json!(["example.com"]),
        json!(["203.0.113.7/24"]),
        json!(["0.0.0.0/0"]),
    ] {
        invalid("sentinel_allowlist")(TenantSettings::parse(json!({ "sentinel_allowlist": bad })));
    }
    assert!(TenantSettings::default()
        .sentinel_allowlist()
        .nets()
        .is_empty());
}

#[test]
fn unfamiliar_logins_are_checked_unless_turned_off_and_step_up_only_when_asked() {
    let absent = TenantSettings::default();
    assert!(absent.sentinel_unfamiliar_login(), "on by default");
    assert!(
        !absent.sentinel_unfamiliar_login_step_up(),
        "off by default"
    );
    let set = TenantSettings::parse(json!({
        "sentinel_unfamiliar_login": false,
        "sentinel_unfamiliar_login_step_up": true,
    }))
    .expect("valid");
    assert!(!set.sentinel_unfamiliar_login());
    assert!(set.sentinel_unfamiliar_login_step_up());
    for key in [
        "sentinel_unfamiliar_login",
        "sentinel_unfamiliar_login_step_up",
    ] {
        for bad in [json!("false"), json!(0), json!([true])] {
            let mut one = Map::new();
            one.insert(key.to_owned(), bad);
            invalid(key)(TenantSettings::parse(Value::Object(one)));
        }
    }
    for bad in [json!(1), json!(100_001), json!("50")] {
        invalid("sentinel_failure_surge_attempts")(TenantSettings::parse(
            json!({ "sentinel_failure_surge_attempts": bad }),
        ));
    }
}
