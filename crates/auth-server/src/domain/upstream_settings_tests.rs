//! Tests of `upstream_settings.rs`.
use super::*;

const ALLOWED: PrivateUpstreams = PrivateUpstreams::Allowed;
const REFUSED: PrivateUpstreams = PrivateUpstreams::Refused;

fn oauth2(auth: &str, token: &str, userinfo: &str) -> SettingsInput {
    SettingsInput {
        kind: Some("oauth2".into()),
        authorization_url: Some(auth.into()),
        token_url: Some(token.into()),
        userinfo_url: Some(userinfo.into()),
        ..SettingsInput::default()
    }
}

fn oauth2_of(s: &ProviderSettings) -> &OAuth2Settings {
    match &s.protocol {
        Protocol::OAuth2(o) => o,
        Protocol::Oidc { .. } => panic!("not oauth2: {s:?}"),
    }
}

#[test]
fn an_oauth2_provider_needs_three_https_endpoints() {
    let s = parse_settings(
        &oauth2(
            "https://idp.example/authorize",
            "https://idp.example/token",
            "https://api.idp.example/me?fields=id,email",
        ),
        REFUSED,
    )
    .expect("settings");
    assert_eq!(s.preset, None);
    assert_eq!(s.token_auth, TokenAuth::ClientSecretPost);
    assert_eq!(s.scopes, "", "no scope is needed");
    let o = oauth2_of(&s);
    assert_eq!(o.userinfo_url.query(), Some("fields=id,email"));
    assert_eq!(o.mapping, ClaimMapping::default());
    assert!(!o.trust_email);

    let good = "https://idp.example/x";
    for (input, error) in [
        (
            oauth2("http://idp.example/a", good, good),
            UpstreamRuleError::InsecureEndpoint("authorization_url"),
        ),
        (
            oauth2(good, "ftp://idp.example/t", good),
            UpstreamRuleError::Endpoint("token_url"),
        ),
        (
            oauth2(good, good, "https://u:p@idp.example/me"),
            UpstreamRuleError::Endpoint("userinfo_url"),
        ),
        (
            oauth2(good, good, "https://idp.example/me#x"),
            UpstreamRuleError::Endpoint("userinfo_url"),
        ),
        (
            oauth2(good, good, "not a url"),
            UpstreamRuleError::Endpoint("userinfo_url"),
        ),
        (
            SettingsInput {
                userinfo_url: None,
                ..oauth2(good, good, good)
            },
            UpstreamRuleError::Missing("userinfo_url"),
        ),
        (
            SettingsInput {
                issuer: Some("https://idp.example".into()),
                ..oauth2(good, good, good)
            },
            UpstreamRuleError::NotForKind("issuer"),
        ),
        (
            SettingsInput {
                token_auth: Some("private_key_jwt".into()),
                ..oauth2(good, good, good)
            },
            UpstreamRuleError::TokenAuth,
        ),
        (
            SettingsInput {
                kind: Some("saml".into()),
                ..oauth2(good, good, good)
            },
            UpstreamRuleError::Kind,
        ),
    ] {
        assert_eq!(
            parse_settings(&input, REFUSED),
            Err(error.clone()),
            "{error}"
        );
    }
}

#[test]
fn loopback_http_endpoints_only_when_private_upstreams_are_allowed() {
    let local = oauth2(
        "http://127.0.0.1:9000/authorize",
        "http://localhost:9000/token",
        "http://127.0.0.1:9000/user",
    );
    assert!(parse_settings(&local, ALLOWED).is_ok());
    assert_eq!(
        parse_settings(&local, REFUSED),
        Err(UpstreamRuleError::InsecureEndpoint("authorization_url"))
    );
    let lan = oauth2(
        "http://10.0.0.5/authorize",
        "https://idp.example/t",
        "https://idp.example/u",
    );
    assert_eq!(
        parse_settings(&lan, ALLOWED),
        Err(UpstreamRuleError::InsecureEndpoint("authorization_url"))
    );
}

#[test]
fn claim_fields_are_plain_names() {
    let mut input = oauth2(
        "https://idp.example/a",
        "https://idp.example/t",
        "https://idp.example/u",
    );
    input.mapping = MappingInput {
        subject: Some("user_id".into()),
        email: Some("mail".into()),
        ..MappingInput::default()
    };
    let s = parse_settings(&input, REFUSED).expect("settings");
    let m = &oauth2_of(&s).mapping;
    assert_eq!(m.subject.as_deref(), Some("user_id"));
    assert_eq!(m.email, "mail");
    assert_eq!(m.email_verified, "email_verified");
    for bad in ["", "a b", "a.b", &"x".repeat(65)] {
        input.mapping.subject = Some(bad.to_owned());
        assert_eq!(
            parse_settings(&input, REFUSED),
            Err(UpstreamRuleError::ClaimField("subject")),
            "{bad}"
        );
    }
}

#[test]
fn presets_fill_what_they_know() {
    let preset = |name: &str| SettingsInput {
        preset: Some(name.into()),
        ..SettingsInput::default()
    };
    let github = parse_settings(&preset("github"), REFUSED).expect("github");
    assert_eq!(github.preset, Some(Preset::GitHub));
    assert_eq!(github.scopes, "read:user user:email");
    assert_eq!(
        oauth2_of(&github).userinfo_url.as_str(),
        "https://api.github.com/user"
    );
    let facebook = parse_settings(&preset("facebook"), REFUSED).expect("facebook");
    assert!(!oauth2_of(&facebook).trust_email, "unverified by default");
    let trusted = SettingsInput {
        trust_email: Some(true),
        ..preset("facebook")
    };
    assert!(oauth2_of(&parse_settings(&trusted, REFUSED).expect("fb")).trust_email);
    let google = parse_settings(&preset("google"), REFUSED).expect("google");
    assert_eq!(
        google.protocol.issuer(),
        Some("https://accounts.google.com")
    );
    assert_eq!(google.token_auth, TokenAuth::ClientSecretBasic);
    // GitHub Enterprise Server: the preset on the tenant's own host.
    let enterprise = SettingsInput {
        authorization_url: Some("https://git.example/login/oauth/authorize".into()),
        token_url: Some("https://git.example/login/oauth/access_token".into()),
        userinfo_url: Some("https://git.example/api/v3/user".into()),
        ..preset("github")
    };
    let s = parse_settings(&enterprise, REFUSED).expect("enterprise");
    assert_eq!(
        oauth2_of(&s).token_url.as_str(),
        "https://git.example/login/oauth/access_token"
    );
    for (input, error) in [
        (preset("myspace"), UpstreamRuleError::Preset),
        (
            SettingsInput {
                issuer: Some("https://idp.example".into()),
                ..preset("google")
            },
            UpstreamRuleError::PresetAndIssuer,
        ),
        (
            SettingsInput {
                userinfo_url: Some("https://idp.example/u".into()),
                ..preset("google")
            },
            UpstreamRuleError::NotForKind("userinfo_url"),
        ),
        (
            SettingsInput {
                kind: Some("oidc".into()),
                ..preset("github")
            },
            UpstreamRuleError::Kind,
        ),
        (preset("microsoft"), UpstreamRuleError::MicrosoftIssuer),
    ] {
        assert_eq!(
            parse_settings(&input, REFUSED),
            Err(error.clone()),
            "{error}"
        );
    }
}

#[test]
fn microsoft_is_configured_by_its_directory() {
    let good = "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0";
    let s = parse_settings(
        &SettingsInput {
            preset: Some("microsoft".into()),
            issuer: Some(good.into()),
            ..SettingsInput::default()
        },
        REFUSED,
    )
    .expect("microsoft");
    assert_eq!(s.protocol.issuer(), Some(good));
}

#[test]
fn a_change_keeps_the_kind_and_what_it_does_not_name() {
    let github = parse_settings(
        &SettingsInput {
            preset: Some("github".into()),
            ..SettingsInput::default()
        },
        REFUSED,
    )
    .expect("github");
    let changed = change_settings(
        &github,
        &SettingsInput {
            scopes: Some("read:user".into()),
            ..SettingsInput::default()
        },
        REFUSED,
    )
    .expect("changed");
    assert_eq!(changed.scopes, "read:user");
    assert_eq!(changed.protocol, github.protocol);
    assert_eq!(
        change_settings(
            &github,
            &SettingsInput {
                kind: Some("oidc".into()),
                ..SettingsInput::default()
            },
            REFUSED
        ),
        Err(UpstreamRuleError::KindFixed)
    );
    assert_eq!(
        change_settings(
            &github,
            &SettingsInput {
                userinfo_url: Some("http://idp.example/u".into()),
                ..SettingsInput::default()
            },
            REFUSED
        ),
        Err(UpstreamRuleError::InsecureEndpoint("userinfo_url"))
    );
    let google = parse_settings(
        &SettingsInput {
            preset: Some("google".into()),
            ..SettingsInput::default()
        },
        REFUSED,
    )
    .expect("google");
    assert_eq!(
        change_settings(&google, &SettingsInput::default(), REFUSED),
        Ok(google.clone())
    );
    assert_eq!(
        change_settings(
            &google,
            &SettingsInput {
                issuer: Some("https://idp.example".into()),
                ..SettingsInput::default()
            },
            REFUSED
        ),
        Err(UpstreamRuleError::PresetAndIssuer)
    );
}

#[test]
fn oidc_scopes_always_hold_openid() {
    use ProviderKind::{OAuth2, Oidc};
    assert_eq!(
        parse_scopes(" openid  email ", Oidc).as_deref(),
        Ok("openid email")
    );
    assert_eq!(
        parse_scopes("email profile", Oidc),
        Err(UpstreamRuleError::Scopes)
    );
    assert_eq!(
        parse_scopes("read:user user:email", OAuth2).as_deref(),
        Ok("read:user user:email")
    );
    assert_eq!(parse_scopes("", OAuth2).as_deref(), Ok(""));
    assert_eq!(
        parse_scopes("openid \"x", Oidc),
        Err(UpstreamRuleError::Scopes)
    );
}
