//! Calls to upstream identity providers: discovery, JWKS, the token
//! endpoint and (plain OAuth 2.0 providers) the userinfo endpoint. Every call has a timeout, follows no redirect, reads at most
//! [`MAX_BODY`] bytes, and — unless the operator allows private upstreams —
//! reaches only public addresses: names are resolved by a resolver that
//! drops private, loopback and link-local addresses, and an address written
//! in the URL is checked the same way, so a provider's settings cannot make
//! the server call into its own network.
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use connectauth_verify::KeySet;
use serde::Deserialize;
use url::Url;

use crate::domain::address::is_private;
use crate::domain::upstream::PrivateUpstreams;
use crate::domain::upstream_settings::TokenAuth;
use crate::outbound::PublicOnly;

const TIMEOUT: Duration = Duration::from_secs(5);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// The largest discovery document, JWKS or token response read.
pub const MAX_BODY: usize = 256 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{url}: the address is private and private upstreams are not allowed")]
    PrivateAddress { url: String },
    #[error("{url}: only https (or loopback http when private upstreams are allowed)")]
    Scheme { url: String },
    #[error("{url}: {source}")]
    Http {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("{url}: answered {status}")]
    Status { url: String, status: u16 },
    #[error("{url}: the answer is larger than {MAX_BODY} bytes")]
    TooLarge { url: String },
    #[error("{url}: not the JSON expected: {detail}")]
    Format { url: String, detail: String },
    #[error("the discovery document names issuer `{found}`, not `{expected}`")]
    IssuerMismatch { expected: String, found: String },
    #[error("cannot build the HTTP client: {0}")]
    Setup(#[source] reqwest::Error),
}

/// What a provider's discovery document (OIDC Discovery §3) says, checked.
#[derive(Debug, Clone)]
pub struct ProviderMetadata {
    pub authorization_endpoint: Url,
    pub token_endpoint: Url,
    pub jwks_uri: Url,
}

/// A token endpoint's answer (RFC 6749 §5.1, OIDC Core §3.1.3.3), or
/// its error (§5.2: GitHub says it with a 200). `Debug` shows no token.
#[derive(Deserialize)]
pub struct TokenAnswer {
    pub id_token: Option<String>,
    pub access_token: Option<String>,
    pub token_type: Option<String>,
    pub error: Option<String>,
    pub refresh_token: Option<String>,
    /// Seconds; a number, or (some providers) a string of digits.
    pub expires_in: Option<serde_json::Value>,
    pub scope: Option<String>,
}

impl TokenAnswer {
    /// What is kept of the answer when the provider keeps tokens.
    pub fn kept(&self, now: i64) -> super::upstream::UpstreamTokens {
        let expires_in = match &self.expires_in {
            Some(serde_json::Value::Number(n)) => n.as_i64(),
            Some(serde_json::Value::String(s)) => s.parse().ok(),
            _ => None,
        };
        super::upstream::UpstreamTokens {
            access_token: self.access_token.clone(),
            refresh_token: self.refresh_token.clone(),
            id_token: self.id_token.clone(),
            token_type: self.token_type.clone(),
            scope: self.scope.clone(),
            expires_at: expires_in.filter(|s| *s > 0).map(|s| now.saturating_add(s)),
        }
    }
}

impl std::fmt::Debug for TokenAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenAnswer")
            .field("id_token", &self.id_token.as_ref().map(|_| "…"))
            .field("access_token", &self.access_token.as_ref().map(|_| "…"))
            .field("token_type", &self.token_type)
            .field("error", &self.error)
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "…"))
            .field("scope", &self.scope)
            .finish()
    }
}

/// How the client proves itself at a token endpoint. `Debug` shows no
/// secret.
pub struct ClientAuth<'a> {
    pub method: TokenAuth,
    pub client_id: &'a str,
    pub client_secret: &'a str,
}

impl std::fmt::Debug for ClientAuth<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientAuth")
            .field("method", &self.method)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
pub struct UpstreamHttp {
    client: reqwest::Client,
    private: PrivateUpstreams,
}

impl UpstreamHttp {
    pub fn new(private: PrivateUpstreams) -> Result<Self, FetchError> {
        let mut builder = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("ConnectAuth");
        if private == PrivateUpstreams::Refused {
            builder = builder.dns_resolver(Arc::new(PublicOnly));
        }
        Ok(Self {
            client: builder.build().map_err(FetchError::Setup)?,
            private,
        })
    }

    pub fn private(&self) -> PrivateUpstreams {
        self.private
    }

    /// `{issuer}/.well-known/openid-configuration`; its `issuer` must be
    /// `issuer` exactly (OIDC Discovery §4.3).
    pub async fn discover(&self, issuer: &str) -> Result<ProviderMetadata, FetchError> {
        #[derive(Deserialize)]
        struct Document {
            issuer: String,
            authorization_endpoint: String,
            token_endpoint: String,
            jwks_uri: String,
        }
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let url = self.checked(&url)?;
        let body = self.read(self.client.get(url.clone()), &url).await?;
        let doc: Document = serde_json::from_slice(&body).map_err(|e| FetchError::Format {
            url: url.to_string(),
            detail: e.to_string(),
        })?;
        if doc.issuer != issuer {
            return Err(FetchError::IssuerMismatch {
                expected: issuer.to_owned(),
                found: doc.issuer,
            });
        }
        Ok(ProviderMetadata {
            authorization_endpoint: self.checked(&doc.authorization_endpoint)?,
            token_endpoint: self.checked(&doc.token_endpoint)?,
            jwks_uri: self.checked(&doc.jwks_uri)?,
        })
    }

    pub async fn jwks(&self, uri: &Url) -> Result<KeySet, FetchError> {
        let body = self.read(self.client.get(uri.clone()), uri).await?;
        let text = String::from_utf8_lossy(&body);
        KeySet::from_jwks_json(&text).map_err(|e| FetchError::Format {
            url: uri.to_string(),
            detail: e.to_string(),
        })
    }

    /// Redeems `code` at the token endpoint (with PKCE), the client
    /// authenticated as `auth` says. An error answer (RFC 6749 §5.2) is a
    /// `TokenAnswer` with `error` when the provider says it with a 200
    /// (GitHub), a `Status` otherwise.
    pub async fn exchange(
        &self,
        endpoint: &Url,
        auth: &ClientAuth<'_>,
        code: &str,
        redirect_uri: &str,
        verifier: &str,
    ) -> Result<TokenAnswer, FetchError> {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
        ];
        let mut request = self
            .client
            .post(endpoint.clone())
            .header(reqwest::header::ACCEPT, "application/json");
        match auth.method {
            TokenAuth::ClientSecretBasic => {
                // RFC 6749 §2.3.1: the credentials are form-encoded before Basic.
                let encode = |s: &str| {
                    url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>()
                };
                request =
                    request.basic_auth(encode(auth.client_id), Some(encode(auth.client_secret)));
            }
            TokenAuth::ClientSecretPost => {
                form.push(("client_id", auth.client_id));
                form.push(("client_secret", auth.client_secret));
            }
        }
        let body = self.read(request.form(&form), endpoint).await?;
        serde_json::from_slice(&body).map_err(|e| FetchError::Format {
            url: endpoint.to_string(),
            detail: e.to_string(),
        })
    }

    /// A JSON document read with the access token as a bearer token (RFC
    /// 6750 §2.1): a plain OAuth 2.0 provider's userinfo, or GitHub's
    /// list of a person's addresses.
    pub async fn get_with_token(
        &self,
        url: &Url,
        access_token: &str,
    ) -> Result<serde_json::Value, FetchError> {
        let request = self
            .client
            .get(url.clone())
            .bearer_auth(access_token)
            .header(reqwest::header::ACCEPT, "application/json");
        let body = self.read(request, url).await?;
        serde_json::from_slice(&body).map_err(|e| FetchError::Format {
            url: url.to_string(),
            detail: e.to_string(),
        })
    }

    /// `text` as a URL this client may call: https, or http to a loopback
    /// host when private upstreams are allowed; an address in the URL must
    /// be public unless they are.
    pub fn checked(&self, text: &str) -> Result<Url, FetchError> {
        let url = Url::parse(text).map_err(|_| FetchError::Scheme {
            url: text.to_owned(),
        })?;
        let allowed = self.private == PrivateUpstreams::Allowed;
        match url.scheme() {
            "https" => {}
            "http" if allowed => {}
            _ => {
                return Err(FetchError::Scheme {
                    url: text.to_owned(),
                })
            }
        }
        let literal = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            Some(url::Host::Domain(_)) => None,
            None => {
                return Err(FetchError::Scheme {
                    url: text.to_owned(),
                })
            }
        };
        if !allowed && literal.is_some_and(is_private) {
            return Err(FetchError::PrivateAddress {
                url: text.to_owned(),
            });
        }
        Ok(url)
    }

    async fn read(
        &self,
        request: reqwest::RequestBuilder,
        url: &Url,
    ) -> Result<Vec<u8>, FetchError> {
        let http = |source| FetchError::Http {
            url: url.to_string(),
            source,
        };
        let mut response = request.send().await.map_err(http)?;
        let status = response.status();
        if !status.is_success() {
            return Err(FetchError::Status {
                url: url.to_string(),
                status: status.as_u16(),
            });
        }
        let too_large = || FetchError::TooLarge {
            url: url.to_string(),
        };
        if response
            .content_length()
            .is_some_and(|n| n > MAX_BODY as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(http)? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn kept_tokens_say_when_the_access_token_expires_and_debug_shows_none() {
        let answer: TokenAnswer = serde_json::from_value(serde_json::json!({
            "access_token": "at-1", "refresh_token": "rt-1", "token_type": "bearer",
            "expires_in": 3600, "scope": "read:user"
        }))
        .expect("answer");
        let kept = answer.kept(1_000);
        assert_eq!(kept.expires_at, Some(4_600));
        assert_eq!(kept.access_token.as_deref(), Some("at-1"));
        assert_eq!(kept.refresh_token.as_deref(), Some("rt-1"));
        let shown = format!("{answer:?} {kept:?}");
        assert!(
            !shown.contains("at-1") && !shown.contains("rt-1"),
            "{shown}"
        );
        // A string of digits (some providers), nothing, zero or junk.
        for (given, expected) in [
            (serde_json::json!("60"), Some(1_060)),
            (serde_json::Value::Null, None),
            (serde_json::json!(0), None),
            (serde_json::json!("soon"), None),
        ] {
            let answer: TokenAnswer =
                serde_json::from_value(serde_json::json!({ "expires_in": given })).expect("answer");
            assert_eq!(answer.kept(1_000).expires_at, expected);
        }
    }
    use super::*;

    #[test]
    fn urls_are_https_and_public_unless_the_operator_allows_private_ones() {
        let strict = UpstreamHttp::new(PrivateUpstreams::Refused).expect("client");
        assert!(strict
            .checked("https://accounts.google.com/o/oauth2/v2/auth")
            .is_ok());
        assert!(matches!(
            strict.checked("http://accounts.google.com/"),
            Err(FetchError::Scheme { .. })
        ));
        assert!(matches!(
            strict.checked("https://169.254.169.254/latest/meta-data"),
            Err(FetchError::PrivateAddress { .. })
        ));
        assert!(matches!(
            strict.checked("https://[::1]:8443/token"),
            Err(FetchError::PrivateAddress { .. })
        ));
        let open = UpstreamHttp::new(PrivateUpstreams::Allowed).expect("client");
        assert!(open.checked("http://127.0.0.1:8080/t/b/token").is_ok());
        assert!(matches!(
            open.checked("file:///etc/passwd"),
            Err(FetchError::Scheme { .. })
        ));
    }

    #[tokio::test]
    async fn a_name_that_resolves_only_to_private_addresses_is_refused() {
        let strict = UpstreamHttp::new(PrivateUpstreams::Refused).expect("client");
        let err = strict
            .discover("https://localhost:1")
            .await
            .expect_err("localhost is private");
        assert!(matches!(err, FetchError::Http { .. }), "{err}");
    }
}
