//! What the page at the demo client's redirect URI (`crate::demo`) offers
//! for the authorization response it received: the `curl` command that
//! exchanges the code at the issuer's token endpoint, or a warning when the
//! response names another issuer. The command is only offered for a code of
//! the shape the auth server issues, so a crafted link cannot put shell
//! syntax in it.
use url::Url;

use crate::demo::{CALLBACK_PATH, DEMO_CLIENT_ID, DEMO_VERIFIER};

/// Longer than any code the auth server issues (43 characters).
const CODE_MAX_CHARS: usize = 256;

/// The URLs of the demo, which never change between requests.
pub struct DemoCallback {
    issuer: String,
    token_url: String,
    redirect_uri: String,
    me_url: String,
}

/// What the page offers for one authorization response.
#[derive(Debug, PartialEq, Eq)]
pub struct NextStep {
    /// The command that exchanges the code, if it looks like one.
    pub command: Option<String>,
    /// The response's `iss` (RFC 9207) is not the issuer this API trusts:
    /// the code must not be exchanged there.
    pub iss_mismatch: bool,
}

impl DemoCallback {
    /// For the tenant `issuer` this API trusts, served at `public_url`.
    pub fn new(issuer: &str, public_url: &Url) -> Self {
        let base = public_url.as_str().trim_end_matches('/');
        let issuer = issuer.trim_end_matches('/').to_owned();
        Self {
            token_url: format!("{issuer}/token"),
            issuer,
            redirect_uri: format!("{base}{CALLBACK_PATH}"),
            me_url: format!("{base}/v1/me"),
        }
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// This API's `/v1/me`, to call with the access token once exchanged.
    pub fn me_url(&self) -> &str {
        &self.me_url
    }

    /// What to offer for the `code` and `iss` the authorization server sent back.
    pub fn next_step(&self, code: Option<&str>, iss: Option<&str>) -> NextStep {
        NextStep {
            command: code.and_then(|c| self.exchange_command(c)),
            iss_mismatch: iss.is_some_and(|iss| iss != self.issuer),
        }
    }

    /// The `curl` command that exchanges `code`, if it looks like a code.
    fn exchange_command(&self, code: &str) -> Option<String> {
        let plausible = (1..=CODE_MAX_CHARS).contains(&code.chars().count())
            && code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'));
        plausible.then(|| {
            format!(
                "curl -s {} \\\n  -d grant_type=authorization_code -d client_id={DEMO_CLIENT_ID} \\\n  \
                 -d redirect_uri={} \\\n  -d code_verifier={DEMO_VERIFIER} -d code={code}",
                self.token_url, self.redirect_uri
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISSUER: &str = "http://127.0.0.1:8080/t/connect-people";

    fn demo() -> DemoCallback {
        let public = Url::parse("http://127.0.0.1:8082").expect("url");
        DemoCallback::new(ISSUER, &public)
    }

    #[test]
    fn the_command_exchanges_the_code_at_the_issuers_token_endpoint() {
        let step = demo().next_step(Some("abc-DEF_123"), Some(ISSUER));
        assert_eq!(
            step.command.as_deref(),
            Some(
                "curl -s http://127.0.0.1:8080/t/connect-people/token \\\n  \
                 -d grant_type=authorization_code -d client_id=cli_connect-people-dev-app \\\n  \
                 -d redirect_uri=http://127.0.0.1:8082/callback \\\n  \
                 -d code_verifier=connect-people-demo-verifier-0123456789-abcdefghij -d code=abc-DEF_123"
            )
        );
        assert!(!step.iss_mismatch);
    }

    #[test]
    fn no_command_for_what_is_not_a_code() {
        let demo = demo();
        for odd in ["", "a b", "$(id)", "a;b", "a'b", "<b>", &"a".repeat(257)] {
            assert_eq!(demo.next_step(Some(odd), None).command, None, "{odd}");
        }
        assert_eq!(demo.next_step(None, None).command, None);
    }

    #[test]
    fn only_another_issuer_is_a_mismatch() {
        let demo = demo();
        assert!(
            demo.next_step(Some("abc"), Some("https://evil.example/t/x"))
                .iss_mismatch
        );
        assert!(
            !demo.next_step(Some("abc"), None).iss_mismatch,
            "iss is optional"
        );
        let trailing =
            DemoCallback::new(&format!("{ISSUER}/"), &Url::parse("http://h").expect("url"));
        assert_eq!(trailing.issuer(), ISSUER);
        assert!(!trailing.next_step(Some("abc"), Some(ISSUER)).iss_mismatch);
        assert_eq!(trailing.me_url(), "http://h/v1/me");
    }
}
