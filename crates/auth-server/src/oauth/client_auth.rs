//! Who is calling the token, revocation and introspection endpoints:
//! `client_secret_basic`, `client_secret_post`, or `none` for public clients.
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::sync::Arc;

use super::OAuth;
use crate::domain::client::{verify_secret, Client, ClientId, ClientKind};
use crate::domain::tenant::Tenant;
use crate::error::{Challenge, OAuthCode, OAuthError};
use crate::store::clients::ClientStoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    Basic,
    Post,
    None,
}

/// What the request claims: a client id, maybe a secret, and how it came.
/// `Debug` shows whether a secret came, not the secret.
#[derive(Clone)]
pub struct PresentedClient {
    pub client_id: String,
    pub secret: Option<String>,
    pub method: AuthMethod,
}

impl std::fmt::Debug for PresentedClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PresentedClient")
            .field("client_id", &self.client_id)
            .field("secret", &service_kit::secret::redacted(&self.secret))
            .field("method", &self.method)
            .finish()
    }
}

fn bad(description: &str) -> OAuthError {
    OAuthError::new(OAuthCode::InvalidRequest, description)
}

fn form_decode(text: &str) -> Option<String> {
    url::form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
}

/// Reads the client from the `Authorization` header or the form; using two
/// methods at once is refused (RFC 6749 §2.3).
pub fn presented(
    authorization: Option<&str>,
    form_id: Option<&str>,
    form_secret: Option<&str>,
) -> Result<PresentedClient, OAuthError> {
    if let Some(header) = authorization {
        let Some(encoded) = header.strip_prefix("Basic ") else {
            return Err(bad("unsupported Authorization scheme; use Basic"));
        };
        if form_secret.is_some() {
            return Err(bad("use one client authentication method, not two"));
        }
        let decoded = STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| {
                OAuthError::new(OAuthCode::InvalidClient, "malformed Basic credentials")
                    .with_challenge(Challenge::Basic)
            })?;
        let (id, secret) = decoded.split_once(':').ok_or_else(|| {
            OAuthError::new(OAuthCode::InvalidClient, "malformed Basic credentials")
                .with_challenge(Challenge::Basic)
        })?;
        // RFC 6749 §2.3.1: both parts are form-urlencoded inside Basic.
        let (id, secret) = (
            form_decode(id).unwrap_or_default(),
            form_decode(secret).unwrap_or_default(),
        );
        if form_id.is_some_and(|f| f != id) {
            return Err(bad("client_id differs between the header and the body"));
        }
        return Ok(PresentedClient {
            client_id: id,
            secret: Some(secret),
            method: AuthMethod::Basic,
        });
    }
    let id = form_id.filter(|v| !v.is_empty()).ok_or_else(|| {
        OAuthError::new(
            OAuthCode::InvalidClient,
            "client authentication is required",
        )
        .with_challenge(Challenge::Basic)
    })?;
    Ok(match form_secret {
        Some(secret) => PresentedClient {
            client_id: id.to_owned(),
            secret: Some(secret.to_owned()),
            method: AuthMethod::Post,
        },
        None => PresentedClient {
            client_id: id.to_owned(),
            secret: None,
            method: AuthMethod::None,
        },
    })
}

impl OAuth {
    /// The client, if the presented credentials prove it. Every failure is
    /// the same `invalid_client` so callers learn nothing about which part failed.
    pub async fn authenticate(
        &self,
        tenant: &Tenant,
        p: &PresentedClient,
    ) -> Result<Arc<Client>, OAuthError> {
        let fail = || {
            let e = OAuthError::new(OAuthCode::InvalidClient, "client authentication failed");
            if p.method == AuthMethod::Basic {
                e.with_challenge(Challenge::Basic)
            } else {
                e
            }
        };
        let id = ClientId::parse(&p.client_id).map_err(|_| fail())?;
        let client = match self.client(tenant.id, &id).await {
            Ok(c) if !c.is_disabled() => c,
            Ok(_) | Err(ClientStoreError::NotFound) | Err(ClientStoreError::TenantNotFound) => {
                return Err(fail())
            }
            Err(e) => return Err(OAuthError::server(e)),
        };
        let ok = match (client.kind, &p.secret) {
            (ClientKind::Confidential, Some(secret)) => verify_secret(&client, secret, self.now()),
            (ClientKind::Public, None) => true,
            _ => false,
        };
        if ok {
            Ok(client)
        } else {
            Err(fail())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded() {
        let header = format!("Basic {}", STANDARD.encode("cli_abc:s%2Fecret"));
        let p = presented(Some(&header), None, None).expect("parsed");
        assert_eq!(
            (p.client_id.as_str(), p.secret.as_deref(), p.method),
            ("cli_abc", Some("s/ecret"), AuthMethod::Basic)
        );
    }

    #[test]
    fn two_methods_at_once_are_refused() {
        let header = format!("Basic {}", STANDARD.encode("a:b"));
        assert!(presented(Some(&header), None, Some("b")).is_err());
        assert!(presented(Some(&header), Some("other"), None).is_err());
        assert!(presented(Some("Bearer x"), None, None).is_err());
    }

    #[test]
    fn form_methods_are_told_apart() {
        assert_eq!(
            presented(None, Some("a"), Some("s")).expect("post").method,
            AuthMethod::Post
        );
        assert_eq!(
            presented(None, Some("a"), None).expect("none").method,
            AuthMethod::None
        );
        assert_eq!(
            presented(None, None, None).expect_err("nothing").code,
            OAuthCode::InvalidClient
        );
    }
    #[test]
    fn debug_shows_no_client_secret() {
        let presented = PresentedClient {
            client_id: "cli_x".into(),
            secret: Some("s3cret-value".into()),
            method: AuthMethod::Basic,
        };
        let shown = format!("{presented:?}");
        assert!(
            !shown.contains("s3cret-value") && shown.contains("cli_x"),
            "{shown}"
        );
    }
}
