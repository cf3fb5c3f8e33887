//! The first app a tenant gets when its owner creates it: one of three
//! starting points, each a client with the settings that kind of app needs.
//! The owner changes any of them afterwards like any other client's.
use super::client::{
    parse_origins, parse_uris, ClientDraft, ClientKind, ClientRuleError, ClientSettings, GrantType,
};
use super::display_name::DisplayName;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StarterApp {
    /// A web app with a backend: a confidential client, code flow with PKCE
    /// and refresh tokens (openid-client and the like).
    WebApp,
    /// A single-page app: a public client, code flow with PKCE and refresh
    /// tokens, its origin allowed to call the token endpoint (CORS).
    SinglePage,
    /// A backend calling APIs on its own behalf: client_credentials.
    MachineToMachine,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum StarterAppError {
    #[error("choose a kind of app: web, spa or m2m")]
    Kind,
    #[error("a web or single-page app needs the URL its login comes back to")]
    CallbackMissing,
    #[error(transparent)]
    Client(#[from] ClientRuleError),
}

impl StarterApp {
    pub const ALL: [StarterApp; 3] = [
        StarterApp::WebApp,
        StarterApp::SinglePage,
        StarterApp::MachineToMachine,
    ];

    pub fn parse(text: &str) -> Result<Self, StarterAppError> {
        Self::ALL
            .into_iter()
            .find(|app| app.as_str() == text)
            .ok_or(StarterAppError::Kind)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StarterApp::WebApp => "web",
            StarterApp::SinglePage => "spa",
            StarterApp::MachineToMachine => "m2m",
        }
    }

    /// Whether the app signs people in (and so needs a callback URL).
    pub fn signs_people_in(self) -> bool {
        self != StarterApp::MachineToMachine
    }

    /// The client this app is, named `name` (else after its kind).
    /// `callback` is the URL the login comes back to with its code (needed by
    /// the apps that sign people in, ignored by the other); its origin is
    /// where logging out comes back to and, for a single-page app, the
    /// origin allowed to call the token endpoint.
    pub fn client(
        self,
        name: Option<DisplayName>,
        callback: Option<&str>,
    ) -> Result<(ClientKind, ClientSettings), StarterAppError> {
        let (default_name, kind) = match self {
            StarterApp::WebApp => ("Web app", ClientKind::Confidential),
            StarterApp::SinglePage => ("Single-page app", ClientKind::Public),
            StarterApp::MachineToMachine => ("Backend service", ClientKind::Confidential),
        };
        let name = match name {
            Some(name) => name,
            None => DisplayName::parse(default_name).map_err(ClientRuleError::Name)?,
        };
        if !self.signs_people_in() {
            let draft = ClientDraft::new(name, vec![GrantType::ClientCredentials]);
            return Ok((kind, ClientSettings::new(kind, draft)?));
        }
        let callback = callback
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .ok_or(StarterAppError::CallbackMissing)?;
        let mut draft = ClientDraft::new(
            name,
            vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        );
        draft.redirect_uris = parse_uris("callback_url", &[callback.to_owned()])?;
        let origin = origin_of(callback);
        draft.post_logout_redirect_uris = parse_uris("callback_url", &[format!("{origin}/")])?;
        if self == StarterApp::SinglePage {
            draft.cors_origins = parse_origins("callback_url", &[origin])?;
        }
        Ok((kind, ClientSettings::new(kind, draft)?))
    }
}

/// `scheme://host[:port]` of a URL already checked as a redirect URI.
fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    format!("{scheme}://{authority}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::client::UriError;

    #[test]
    fn kinds_parse_from_their_names_only() {
        for app in StarterApp::ALL {
            assert_eq!(StarterApp::parse(app.as_str()), Ok(app));
        }
        for bad in ["", "Web", "native", "web "] {
            assert_eq!(StarterApp::parse(bad), Err(StarterAppError::Kind));
        }
    }

    #[test]
    fn a_web_app_is_a_confidential_code_client_coming_back_to_its_callback() {
        let (kind, s) = StarterApp::WebApp
            .client(None, Some("https://app.example.com/auth/callback"))
            .expect("valid");
        assert_eq!(kind, ClientKind::Confidential);
        assert_eq!(
            s.grant_types(),
            &[GrantType::AuthorizationCode, GrantType::RefreshToken]
        );
        assert_eq!(
            s.redirect_uris()[0].as_ref(),
            "https://app.example.com/auth/callback"
        );
        assert_eq!(
            s.post_logout_redirect_uris()[0].as_ref(),
            "https://app.example.com/"
        );
        assert!(s.cors_origins().is_empty());
        assert!(s.require_pkce());
        assert!(s.scopes().has_openid() && s.scopes().contains("offline_access"));
    }

    #[test]
    fn a_single_page_app_is_public_and_its_origin_may_call_the_token_endpoint() {
        let (kind, s) = StarterApp::SinglePage
            .client(None, Some("http://localhost:5173/callback?x=1"))
            .expect("valid");
        assert_eq!(kind, ClientKind::Public);
        assert_eq!(s.cors_origins()[0].as_ref(), "http://localhost:5173");
        assert_eq!(
            s.post_logout_redirect_uris()[0].as_ref(),
            "http://localhost:5173/"
        );
    }

    #[test]
    fn a_backend_service_uses_client_credentials_and_needs_no_callback() {
        let (kind, s) = StarterApp::MachineToMachine
            .client(None, Some("not even a url"))
            .expect("the callback is ignored");
        assert_eq!(kind, ClientKind::Confidential);
        assert_eq!(s.grant_types(), &[GrantType::ClientCredentials]);
        assert!(s.redirect_uris().is_empty());
    }

    #[test]
    fn apps_that_sign_people_in_need_a_valid_callback() {
        for app in [StarterApp::WebApp, StarterApp::SinglePage] {
            assert_eq!(
                app.client(None, None),
                Err(StarterAppError::CallbackMissing)
            );
            assert_eq!(
                app.client(None, Some("  ")),
                Err(StarterAppError::CallbackMissing)
            );
            for (bad, error) in [
                ("http://app.example.com/cb", UriError::Scheme),
                ("https://app.example.com/cb#x", UriError::Fragment),
                ("https://*.example.com/cb", UriError::Wildcard),
            ] {
                match app.client(None, Some(bad)) {
                    Err(StarterAppError::Client(ClientRuleError::Uri { error: e, .. })) => {
                        assert_eq!(e, error, "{bad}")
                    }
                    other => panic!("{bad}: {other:?}"),
                }
            }
        }
    }
}
