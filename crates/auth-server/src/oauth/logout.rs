//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): where the
//! browser goes afterwards, and whether the user must confirm first.
//!
//! The confirmation is skipped only when the request proves it comes from
//! the app the user is logged in to: an `id_token_hint` we signed, for the
//! user of the current session, issued to the `client_id` given. Anything
//! else (no hint, another user's or another client's hint) gets the
//! CSRF-protected confirmation page, so a plain link cannot log anyone out
//! (ASVS 10.6.2).
use serde_json::Value;

use super::own_jwt::Expiry;
use super::OAuth;
use crate::domain::client::ClientId;
use crate::domain::tenant::Tenant;
use crate::store::clients::ClientStoreError;

/// The parameters of an end-session request (query or form). No `Debug`:
/// the hint is a token.
#[derive(Clone, Default, serde::Deserialize)]
pub struct EndSessionRequest {
    pub id_token_hint: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    pub client_id: Option<String>,
}

/// What to do with a valid request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutPlan {
    /// A registered `post_logout_redirect_uri` of the client.
    pub redirect: Option<String>,
    pub state: Option<String>,
    /// The client the request is for (given or from the hint).
    pub client_id: Option<String>,
    /// Whether the user must confirm on our page first.
    pub confirm: bool,
}

impl LogoutPlan {
    /// Where the browser goes after the logout: the redirect URI with
    /// `state`, or `None` for our own "logged out" page.
    pub fn destination(&self) -> Option<String> {
        let uri = self.redirect.as_deref()?;
        let Some(state) = &self.state else {
            return Some(uri.to_owned());
        };
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("state", state)
            .finish();
        let sep = if uri.contains('?') { '&' } else { '?' };
        Some(format!("{uri}{sep}{query}"))
    }
}

/// Why a request is refused (shown on a 400 page, never redirected).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LogoutRefusal {
    #[error("The id_token_hint is not valid.")]
    InvalidHint,
    #[error("The client_id is not valid.")]
    InvalidClient,
    #[error("The id_token_hint was not issued to this client_id.")]
    HintForAnotherClient,
    #[error("The post_logout_redirect_uri is not registered.")]
    UnregisteredRedirect,
    #[error("post_logout_redirect_uri needs id_token_hint or client_id.")]
    RedirectWithoutClient,
    #[error("The state is too long.")]
    StateTooLong,
}

impl OAuth {
    /// Checks an end-session request for the user `session_user` (the
    /// current session's user id, `None` without a session).
    pub async fn plan_logout(
        &self,
        tenant: &Tenant,
        req: &EndSessionRequest,
        session_user: Option<&str>,
    ) -> Result<LogoutPlan, LogoutRefusal> {
        if req.state.as_ref().is_some_and(|s| s.len() > 2048) {
            return Err(LogoutRefusal::StateTooLong);
        }
        // OIDC allows an expired hint: it names who, not that they are in.
        let hint = match &req.id_token_hint {
            Some(token) => Some(
                self.verify_own(tenant, token, "JWT", Expiry::Ignore)
                    .await
                    .map_err(|_| LogoutRefusal::InvalidHint)?,
            ),
            None => None,
        };
        let claim = |name: &str| {
            hint.as_ref()
                .and_then(|c| c.get(name))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let hinted_client = claim("aud");
        let client_id = match (&req.client_id, &hinted_client) {
            (Some(given), Some(hinted)) if given != hinted => {
                return Err(LogoutRefusal::HintForAnotherClient)
            }
            (Some(given), _) => Some(given.clone()),
            (None, hinted) => hinted.clone(),
        };
        let redirect = match (&req.post_logout_redirect_uri, &client_id) {
            (Some(uri), Some(id)) => {
                let id = ClientId::parse(id).map_err(|_| LogoutRefusal::InvalidClient)?;
                match self.clients.get(tenant.id, &id).await {
                    Ok(c) if c.allows_post_logout_redirect_uri(uri) => Some(uri.clone()),
                    Ok(_) | Err(ClientStoreError::NotFound | ClientStoreError::TenantNotFound) => {
                        return Err(LogoutRefusal::UnregisteredRedirect)
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "client lookup at end_session");
                        return Err(LogoutRefusal::UnregisteredRedirect);
                    }
                }
            }
            (Some(_), None) => return Err(LogoutRefusal::RedirectWithoutClient),
            (None, Some(id)) => {
                ClientId::parse(id).map_err(|_| LogoutRefusal::InvalidClient)?;
                None
            }
            (None, None) => None,
        };
        let hint_is_this_user = session_user.is_some() && claim("sub").as_deref() == session_user;
        Ok(LogoutPlan {
            redirect,
            state: req.state.clone(),
            client_id,
            // Without a session there is nothing to end: no confirmation.
            confirm: session_user.is_some() && !hint_is_this_user,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(redirect: Option<&str>, state: Option<&str>) -> LogoutPlan {
        LogoutPlan {
            redirect: redirect.map(str::to_owned),
            state: state.map(str::to_owned),
            client_id: None,
            confirm: false,
        }
    }

    #[test]
    fn the_destination_carries_state_encoded() {
        assert_eq!(
            plan(Some("https://app.example/bye"), Some("a b&c")).destination(),
            Some("https://app.example/bye?state=a+b%26c".to_owned())
        );
        assert_eq!(
            plan(Some("https://app.example/bye?x=1"), Some("s")).destination(),
            Some("https://app.example/bye?x=1&state=s".to_owned())
        );
        assert_eq!(
            plan(Some("https://app.example/bye"), None).destination(),
            Some("https://app.example/bye".to_owned())
        );
        assert_eq!(plan(None, Some("s")).destination(), None);
    }
}
