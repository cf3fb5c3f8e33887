//! Authorization server metadata: OpenID Connect Discovery 1.0, with the
//! RFC 8414 location as a fallback for plain OAuth 2.0 issuers.

use serde_json::Value;
use url::Url;

use super::error::RemoteError;
use super::http::Http;

/// What the verifier needs from the issuer's metadata.
#[derive(Debug, Clone)]
pub(crate) struct ProviderMetadata {
    pub(crate) jwks_uri: Url,
    /// As published; checked against the URL policy only when used.
    pub(crate) introspection_endpoint: Option<String>,
}

/// Fetches the metadata of `issuer` and checks that it is the issuer's.
///
/// First `{issuer}/.well-known/openid-configuration` (OIDC Discovery §4,
/// one terminating `/` of the issuer removed); on 404, the RFC 8414 §3 URL
/// `{origin}/.well-known/oauth-authorization-server{path}`. The document's
/// `issuer` must equal `issuer` exactly (OIDC Discovery §4.3, RFC 8414
/// §3.3), which prevents one issuer impersonating another.
pub(crate) async fn discover(http: &Http, issuer: &str) -> Result<ProviderMetadata, RemoteError> {
    let issuer_url = http.check_url(issuer, "issuer")?;
    if issuer_url.query().is_some() || issuer_url.fragment().is_some() {
        return Err(RemoteError::InvalidUrl {
            what: "issuer",
            url: issuer.to_owned(),
            reason: "an issuer has no query or fragment",
        });
    }
    let oidc = format!(
        "{}/.well-known/openid-configuration",
        issuer.strip_suffix('/').unwrap_or(issuer)
    );
    let oidc = http.check_url(&oidc, "discovery")?;
    let document = match http.get_json(&oidc).await {
        Err(RemoteError::Status { status: 404, .. }) => {
            let mut rfc8414 = issuer_url.clone();
            let path = issuer_url.path().trim_end_matches('/');
            rfc8414.set_path(&format!("/.well-known/oauth-authorization-server{path}"));
            http.get_json(&rfc8414).await?
        }
        other => other?,
    }
    .body;

    let found = document.get("issuer").and_then(Value::as_str).unwrap_or("");
    if found != issuer {
        return Err(RemoteError::IssuerMismatch {
            expected: issuer.to_owned(),
            // Bounded: it goes to logs.
            found: found.chars().take(256).collect(),
        });
    }
    let jwks_uri = document
        .get("jwks_uri")
        .and_then(Value::as_str)
        .ok_or(RemoteError::MissingMetadata("jwks_uri"))?;
    Ok(ProviderMetadata {
        jwks_uri: http.check_url(jwks_uri, "jwks_uri")?,
        introspection_endpoint: document
            .get("introspection_endpoint")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}
