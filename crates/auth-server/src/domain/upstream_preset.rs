//! The providers ConnectAuth knows by name (presets): their kind, where
//! they live, their scopes, a name for the button. No HTTP, no SQL.
use super::upstream::UpstreamRuleError;
use super::upstream_settings::ProviderKind;

/// A known provider: its kind, where it lives, a name for the button.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    Google,
    /// One Microsoft Entra directory: its issuer names the directory
    /// (`https://login.microsoftonline.com/{tenant id}/v2.0`), because the
    /// multi-tenant `common` endpoint signs with a different issuer per
    /// directory.
    Microsoft,
    GitHub,
    Facebook,
    /// Sign in with Apple: OpenID Connect whose answer comes as a form
    /// post, whose ID tokens carry no `typ`, and whose client secret is a
    /// JWT the tenant signs with its Apple key (at most six months long).
    Apple,
}

/// The three endpoints of a plain OAuth 2.0 preset.
pub struct PresetEndpoints {
    pub authorization: &'static str,
    pub token: &'static str,
    pub userinfo: &'static str,
}

impl Preset {
    pub const ALL: [Preset; 5] = [
        Preset::Google,
        Preset::Microsoft,
        Preset::GitHub,
        Preset::Facebook,
        Preset::Apple,
    ];

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.slug() == text)
    }

    pub fn slug(self) -> &'static str {
        match self {
            Preset::Google => "google",
            Preset::Microsoft => "microsoft",
            Preset::GitHub => "github",
            Preset::Facebook => "facebook",
            Preset::Apple => "apple",
        }
    }

    pub fn display_name(self) -> &'static str {
        match self {
            Preset::Google => "Google",
            Preset::Microsoft => "Microsoft",
            Preset::GitHub => "GitHub",
            Preset::Facebook => "Facebook",
            Preset::Apple => "Apple",
        }
    }

    pub fn kind(self) -> ProviderKind {
        match self {
            Preset::Google | Preset::Microsoft | Preset::Apple => ProviderKind::Oidc,
            Preset::GitHub | Preset::Facebook => ProviderKind::OAuth2,
        }
    }

    /// The issuer, when the preset fixes it (Microsoft's names the
    /// tenant's own directory, so the tenant gives it).
    pub fn issuer(self) -> Option<&'static str> {
        match self {
            Preset::Google => Some("https://accounts.google.com"),
            Preset::Apple => Some("https://appleid.apple.com"),
            Preset::Microsoft | Preset::GitHub | Preset::Facebook => None,
        }
    }

    /// The endpoints of an OAuth 2.0 preset; a tenant may give its own
    /// instead (GitHub Enterprise Server: `https://{host}/login/oauth/…`
    /// and `https://{host}/api/v3/user`).
    pub fn endpoints(self) -> Option<PresetEndpoints> {
        match self {
            Preset::Google | Preset::Microsoft | Preset::Apple => None,
            Preset::GitHub => Some(PresetEndpoints {
                authorization: "https://github.com/login/oauth/authorize",
                token: "https://github.com/login/oauth/access_token",
                userinfo: "https://api.github.com/user",
            }),
            Preset::Facebook => Some(PresetEndpoints {
                authorization: "https://www.facebook.com/v19.0/dialog/oauth",
                token: "https://graph.facebook.com/v19.0/oauth/access_token",
                userinfo: "https://graph.facebook.com/me?fields=id,name,email",
            }),
        }
    }

    pub fn default_scopes(self) -> &'static str {
        match self {
            Preset::Google | Preset::Microsoft => "openid email profile",
            Preset::GitHub => "read:user user:email",
            Preset::Facebook => "email public_profile",
            // Apple shares the name only in the first answer's form.
            Preset::Apple => "openid email name",
        }
    }

    /// How the provider answers: Apple posts a form once email or name is
    /// asked for (the callback relays it).
    pub fn response_mode(self) -> Option<&'static str> {
        match self {
            Preset::Apple => Some("form_post"),
            Preset::Google | Preset::Microsoft | Preset::GitHub | Preset::Facebook => None,
        }
    }
}

/// Microsoft's issuer for one directory:
/// `https://login.microsoftonline.com/{tenant id}/v2.0`, the tenant id a
/// GUID (the one of personal accounts is
/// `9188040d-6c67-4c5b-b112-36a304b66dad`). `common`, `organizations` and
/// `consumers` are refused: the tokens they lead to name each person's
/// own directory as their issuer, never these.
pub fn parse_microsoft_issuer(text: &str) -> Result<String, UpstreamRuleError> {
    let tenant = text
        .strip_prefix("https://login.microsoftonline.com/")
        .and_then(|rest| rest.strip_suffix("/v2.0"))
        .ok_or(UpstreamRuleError::MicrosoftIssuer)?;
    let guid = uuid::Uuid::parse_str(tenant).map_err(|_| UpstreamRuleError::MicrosoftIssuer)?;
    if guid.hyphenated().to_string() != tenant {
        return Err(UpstreamRuleError::MicrosoftIssuer);
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn microsoft_needs_one_directorys_issuer() {
        let tid = "9188040d-6c67-4c5b-b112-36a304b66dad";
        let good = format!("https://login.microsoftonline.com/{tid}/v2.0");
        assert_eq!(parse_microsoft_issuer(&good), Ok(good.clone()));
        for bad in [
            "https://login.microsoftonline.com/common/v2.0",
            "https://login.microsoftonline.com/organizations/v2.0",
            "https://login.microsoftonline.com/{tid}/v2.0",
            "https://login.microsoftonline.com/9188040D-6C67-4C5B-B112-36A304B66DAD/v2.0",
            "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad",
            "https://evil.example/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0",
        ] {
            assert_eq!(
                parse_microsoft_issuer(bad),
                Err(UpstreamRuleError::MicrosoftIssuer),
                "{bad}"
            );
        }
    }

    #[test]
    fn presets_are_found_by_their_slug() {
        for p in Preset::ALL {
            assert_eq!(Preset::parse(p.slug()), Some(p));
            assert_eq!(p.endpoints().is_some(), p.kind() == ProviderKind::OAuth2);
        }
        assert_eq!(Preset::parse("twitter"), None);
        let apple = Preset::parse("apple").expect("apple");
        assert_eq!(apple.issuer(), Some("https://appleid.apple.com"));
        assert_eq!(apple.response_mode(), Some("form_post"));
        assert_eq!(apple.kind(), ProviderKind::Oidc);
        assert!(apple.default_scopes().starts_with("openid "));
        assert_eq!(Preset::Google.response_mode(), None);
    }
}
