//! What every call the server makes to an address a tenant or an operator
//! chose shares (upstream providers, webhook endpoints, the AI analyst):
//! names resolved to public
//! addresses only, so a DNS answer cannot point the server at its own
//! network (an address written in a URL is checked by the caller with
//! [`crate::domain::address::is_private`]).
use std::net::SocketAddr;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::domain::address::is_private;
use crate::domain::webhook::endpoint::PrivateEndpoints;

/// Resolves names to their public addresses only.
pub struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| !is_private(a.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!("{host} has no public address").into());
            }
            Ok(Box::new(found.into_iter()) as Addrs)
        })
    }
}

/// How long a connection may take to open, at most.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The HTTP client of calls to addresses a tenant or an operator chose
/// (webhook endpoints, the AI analyst): `timeout` for the whole request,
/// connection included, redirects never followed, and unless `private` is
/// allowed, names resolved to public addresses only ([`PublicOnly`]).
pub fn client(
    user_agent: &str,
    timeout: std::time::Duration,
    private: PrivateEndpoints,
) -> Result<reqwest::Client, reqwest::Error> {
    let mut builder = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(CONNECT_TIMEOUT.min(timeout))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(user_agent);
    if private == PrivateEndpoints::Refused {
        builder = builder.dns_resolver(std::sync::Arc::new(PublicOnly));
    }
    builder.build()
}
