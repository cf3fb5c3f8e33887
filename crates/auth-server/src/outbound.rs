//! What every call the server makes to an address a tenant chose shares
//! (upstream providers, webhook endpoints): names resolved to public
//! addresses only, so a DNS answer cannot point the server at its own
//! network (an address written in a URL is checked by the caller with
//! [`crate::domain::address::is_private`]).
use std::net::SocketAddr;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::domain::address::is_private;

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
