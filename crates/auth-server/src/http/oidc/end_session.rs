//! `/t/{slug}/end_session` (OIDC RP-Initiated Logout). With a valid
//! `id_token_hint` the session ends at once; without one the user confirms
//! first, so no third party can log users out at will (ASVS 10.6.2). A
//! `post_logout_redirect_uri` must be registered for the hinted client.
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use minijinja::context;
use serde::Deserialize;
use serde_json::Value;

use crate::domain::client::ClientId;
use crate::http::pages::context::PageCtx;
use crate::http::pages::error::PageError;
use crate::oauth::own_jwt::Expiry;

#[derive(Deserialize, Default)]
pub struct EndSessionParams {
    id_token_hint: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
    client_id: Option<String>,
    csrf: Option<String>,
    confirm: Option<String>,
}

fn internal(e: impl std::fmt::Display) -> PageError {
    PageError::Internal(e.to_string())
}

pub async fn end_session_get(
    ctx: PageCtx,
    q: web::Query<EndSessionParams>,
) -> Result<HttpResponse, PageError> {
    handle(ctx, q.into_inner(), false).await
}

pub async fn end_session_post(
    ctx: PageCtx,
    f: web::Form<EndSessionParams>,
) -> Result<HttpResponse, PageError> {
    handle(ctx, f.into_inner(), true).await
}

async fn handle(
    mut ctx: PageCtx,
    p: EndSessionParams,
    posted: bool,
) -> Result<HttpResponse, PageError> {
    let hint = match &p.id_token_hint {
        Some(token) => match ctx
            .state
            .oauth
            .verify_own(&ctx.tenant, token, "JWT", Expiry::Ignore)
            .await
        {
            Ok(claims) => Some(claims),
            Err(_) => {
                return ctx.message(
                    StatusCode::BAD_REQUEST,
                    "authorize_error_heading",
                    "The id_token_hint is not valid.",
                    None,
                )
            }
        },
        None => None,
    };
    let hinted_client = hint
        .as_ref()
        .and_then(|c| c.get("aud"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let client_id = hinted_client.clone().or(p.client_id.clone());
    // Where to go afterwards: only a URI registered for the client.
    let redirect = match (&p.post_logout_redirect_uri, client_id) {
        (Some(uri), Some(id)) => {
            let id = ClientId::parse(&id).map_err(|_| internal("client_id"))?;
            match ctx.state.oauth.clients.get(ctx.tenant.id, &id).await {
                Ok(c) if c.allows_post_logout_redirect_uri(uri) => Some(uri.clone()),
                _ => {
                    return ctx.message(
                        StatusCode::BAD_REQUEST,
                        "authorize_error_heading",
                        "The post_logout_redirect_uri is not registered.",
                        None,
                    )
                }
            }
        }
        (Some(_), None) => {
            return ctx.message(
                StatusCode::BAD_REQUEST,
                "authorize_error_heading",
                "post_logout_redirect_uri needs id_token_hint or client_id.",
                None,
            )
        }
        (None, _) => None,
    };
    let confirmed = posted
        && p.confirm.as_deref() == Some("yes")
        && ctx
            .verify_csrf(p.csrf.as_deref().unwrap_or_default())
            .is_ok();
    if hint.is_none() && !confirmed {
        let mut hidden = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("post_logout_redirect_uri", &p.post_logout_redirect_uri),
            ("state", &p.state),
            ("client_id", &p.client_id),
        ] {
            if let Some(v) = v {
                hidden.append_pair(k, v);
            }
        }
        return ctx.render(
            StatusCode::OK,
            "confirm_link.html",
            context! {
                heading => ctx.text("logout_button"), message => ctx.text("logout_confirm"), button => ctx.text("logout_button"),
                action => format!("{}/end_session?{}", ctx.base(), hidden.finish()), token => "", confirm => "yes",
            },
        );
    }
    if let Some(secret) = ctx.session_secret.clone() {
        ctx.state
            .identity
            .logout(&ctx.tenant, &secret, &ctx.client)
            .await
            .map_err(internal)?;
    }
    let slug = ctx.tenant.slug.to_string();
    ctx.set_cookie(ctx.cookies.clear_session(&slug));
    match redirect {
        Some(uri) => {
            let mut q = url::form_urlencoded::Serializer::new(String::new());
            if let Some(state) = &p.state {
                q.append_pair("state", state);
            }
            let query = q.finish();
            let sep = if uri.contains('?') { '&' } else { '?' };
            Ok(if query.is_empty() {
                ctx.redirect_to(&uri)
            } else {
                ctx.redirect_to(&format!("{uri}{sep}{query}"))
            })
        }
        None => {
            let message = ctx.text("logged_out");
            ctx.message(StatusCode::OK, "login_title", &message, None)
        }
    }
}
