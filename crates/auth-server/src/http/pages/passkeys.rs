//! Passkeys on the hosted pages: sign in with one from the login page
//! (`/t/{slug}/passkeys/sign-in`), and register, rename and delete them from
//! the account page (`/t/{slug}/account/passkeys`). Each ceremony has two
//! requests: `…/options` answers the options for the browser's WebAuthn call
//! as JSON, then the page's form posts the browser's answer
//! (`static/passkeys.js` does the calls; no inline script).
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use minijinja::context;
use serde::Deserialize;

use super::context::{csrf_field, PageCtx, PageForm};
use super::error::PageError;
use super::login::{upstream_buttons, CsrfOnly};
use super::render::short_time;
use crate::domain::session::SessionStage;
use crate::identity::passkeys::PasskeyError;
use crate::identity::sessions::ActiveSession;
use crate::identity::IdentityError;

csrf_field!(AnswerBody, NameBody, PasswordBody);

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AnswerBody {
    csrf: String,
    ceremony: String,
    /// The browser's `PublicKeyCredential`, as JSON (base64url fields).
    credential: String,
    name: String,
    return_to: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NameBody {
    csrf: String,
    name: String,
}

/// The status and text key a refused passkey step answers with.
fn refusal(e: &PasskeyError) -> Option<(StatusCode, &'static str)> {
    Some(match e {
        PasskeyError::Unavailable => (StatusCode::NOT_FOUND, "passkey_unavailable"),
        PasskeyError::NoCeremony => (StatusCode::BAD_REQUEST, "passkey_no_ceremony"),
        PasskeyError::Malformed => (StatusCode::BAD_REQUEST, "passkey_malformed"),
        PasskeyError::Rejected => (StatusCode::UNAUTHORIZED, "passkey_rejected"),
        PasskeyError::PossibleClone => (StatusCode::UNAUTHORIZED, "passkey_possible_clone"),
        PasskeyError::AlreadyRegistered => (StatusCode::CONFLICT, "passkey_already_registered"),
        PasskeyError::TooMany => (StatusCode::CONFLICT, "passkey_too_many"),
        PasskeyError::Name(_) => (StatusCode::UNPROCESSABLE_ENTITY, "passkey_name_invalid"),
        PasskeyError::NotFound => (StatusCode::NOT_FOUND, "passkey_not_found"),
        PasskeyError::LastWayIn => (StatusCode::CONFLICT, "passkey_last_way_in"),
        PasskeyError::NoPasskey => (StatusCode::CONFLICT, "password_remove_needs_passkey"),
        PasskeyError::Identity(_) => return None,
    })
}

fn page_error(e: PasskeyError) -> PageError {
    match e {
        PasskeyError::Identity(IdentityError::Busy { retry_after }) => {
            PageError::Busy { retry_after }
        }
        other => PageError::internal(other),
    }
}

/// The options as JSON; `no-store`: a challenge is for one use.
fn json_options(body: &impl serde::Serialize) -> Result<HttpResponse, PageError> {
    let bytes = serde_json::to_vec(body).map_err(PageError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(bytes))
}

/// A refusal of the JSON step, as JSON: `{"error": "<text>"}`.
fn json_refusal(ctx: &PageCtx, e: PasskeyError) -> Result<HttpResponse, PageError> {
    let Some((status, key)) = refusal(&e) else {
        return Err(page_error(e));
    };
    Ok(HttpResponse::build(status)
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(serde_json::json!({ "error": ctx.text(key) }).to_string()))
}

/// `POST /t/{slug}/passkeys/sign-in/options`: starts a sign-in.
pub async fn sign_in_options(
    PageForm { ctx, .. }: PageForm<CsrfOnly>,
) -> Result<HttpResponse, PageError> {
    match ctx.state.identity.passkey_sign_in_start(&ctx.tenant).await {
        Ok(started) => json_options(&started),
        Err(e) => json_refusal(&ctx, e),
    }
}

/// `POST /t/{slug}/passkeys/sign-in`: the browser's answer; on success the
/// same next step as a password login (back to the app's request, or the
/// account page).
pub async fn sign_in(
    PageForm { mut ctx, form }: PageForm<AnswerBody>,
) -> Result<HttpResponse, PageError> {
    let return_to = ctx.resume(form.return_to.as_deref()).await;
    let outcome = ctx
        .state
        .identity
        .passkey_sign_in_finish(
            &ctx.tenant,
            &form.ceremony,
            &form.credential,
            &ctx.requester,
            ctx.session_secret.as_deref(),
        )
        .await;
    match outcome {
        Ok(done) => {
            ctx.set_session_cookie(done.session_secret);
            debug_assert_eq!(done.stage, SessionStage::Authenticated);
            Ok(ctx.redirect_back_or_account(return_to.as_deref()))
        }
        Err(e) => {
            let Some((status, key)) = refusal(&e) else {
                return Err(page_error(e));
            };
            let providers = upstream_buttons(&ctx).await?;
            ctx.render(
                status,
                "login.html",
                context! {
                    error => ctx.text(key), email => "", providers,
                    passkeys => ctx.state.identity.passkeys_available(),
                    passkey_refused => true,
                },
            )
        }
    }
}

#[derive(Deserialize)]
pub struct OfferQuery {
    return_to: Option<String>,
}

/// `GET /t/{slug}/passkeys/offer`: after an account's first sign-in, a
/// passkey for next time, or "not now" (on to the app's request, or the
/// account page).
pub async fn offer(mut ctx: PageCtx, q: web::Query<OfferQuery>) -> Result<HttpResponse, PageError> {
    let back = ctx.resume(q.return_to.as_deref()).await;
    let session = ctx.signed_in_or_login().await?;
    let next = back.unwrap_or_else(|| format!("{}/account", ctx.base()));
    let has_one = !ctx
        .state
        .identity
        .passkeys_of(&ctx.tenant, session.user.id)
        .await
        .map_err(page_error)?
        .is_empty();
    if has_one || !ctx.state.identity.passkeys_available() {
        return Ok(ctx.redirect_to(&next));
    }
    ctx.render(StatusCode::OK, "passkey_offer.html", context! { next })
}

/// `POST /t/{slug}/account/passkeys/options`: starts a registration for
/// the signed-in user.
pub async fn register_options(
    PageForm { ctx, .. }: PageForm<CsrfOnly>,
) -> Result<HttpResponse, PageError> {
    let Some(session) = ctx.signed_in().await? else {
        return Ok(HttpResponse::Unauthorized()
            .content_type("application/json")
            .body(serde_json::json!({ "error": ctx.text("err_session_expired") }).to_string()));
    };
    match ctx
        .state
        .identity
        .passkey_registration_start(&ctx.tenant, &session.user)
        .await
    {
        Ok(started) => json_options(&started),
        Err(e) => json_refusal(&ctx, e),
    }
}

/// The account page's answer to a passkey form: back to the account page,
/// or a message saying what was refused.
fn account_answer(
    ctx: &PageCtx,
    done: Result<(), PasskeyError>,
) -> Result<HttpResponse, PageError> {
    match done {
        Ok(()) => Ok(ctx.redirect("/account")),
        Err(e) => {
            let Some((status, key)) = refusal(&e) else {
                return Err(page_error(e));
            };
            let message = ctx.text(key);
            ctx.message(
                status,
                "account_title",
                &message,
                Some(("account_link", format!("{}/account", ctx.base()))),
            )
        }
    }
}

/// `POST /t/{slug}/account/passkeys`: the browser's answer to a
/// registration, from the account page or from the second-factor set-up a
/// tenant that requires MFA asks for (then `return_to` may name the
/// pending authorization request).
pub async fn register(
    PageForm { mut ctx, form }: PageForm<AnswerBody>,
) -> Result<HttpResponse, PageError> {
    let return_to = ctx.resume(form.return_to.as_deref()).await;
    let Some(session) = ctx.signed_in().await? else {
        return Ok(ctx.redirect("/login"));
    };
    let identity = &ctx.state.identity;
    let added = identity
        .passkey_registration_finish(
            &ctx.tenant,
            session.user.id,
            &form.ceremony,
            &form.credential,
            &form.name,
            &ctx.requester,
        )
        .await;
    let added = match added {
        Ok(added) => added,
        Err(e) => return account_answer(&ctx, Err(e)),
    };
    if !session.is_multi_factor() {
        // A second factor set up in this session, as after a TOTP
        // enrolment: a privilege change, so the session gets a new id.
        let new_secret = identity
            .reissue_session(&ctx.tenant, &session, added.amr, &ctx.requester)
            .await
            .map_err(PageError::internal)?;
        ctx.set_session_cookie(new_secret);
    }
    Ok(ctx.redirect_back_or_account(return_to.as_deref()))
}

/// `POST /t/{slug}/account/passkeys/{id}/rename`.
pub async fn rename(
    PageForm { ctx, form }: PageForm<NameBody>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let session = ctx.signed_in_or_login().await?;
    let (_, id) = path.into_inner();
    let done = ctx
        .state
        .identity
        .passkey_rename(
            &ctx.tenant,
            session.user.id,
            &id,
            &form.name,
            &ctx.requester,
        )
        .await;
    account_answer(&ctx, done)
}

/// `POST /t/{slug}/account/passkeys/{id}/delete`.
pub async fn delete(
    PageForm { ctx, .. }: PageForm<CsrfOnly>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let session = ctx.signed_in_or_login().await?;
    let (_, id) = path.into_inner();
    let done = ctx
        .state
        .identity
        .passkey_delete(&ctx.tenant, &session.user, &id, &ctx.requester)
        .await;
    account_answer(&ctx, done)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordBody {
    csrf: String,
    password: String,
}

/// `POST /t/{slug}/account/password/remove`: passkeys only from now on.
pub async fn remove_password(
    PageForm { ctx, form }: PageForm<PasswordBody>,
) -> Result<HttpResponse, PageError> {
    let session = ctx.signed_in_or_login().await?;
    let done = ctx
        .state
        .identity
        .remove_password(
            &ctx.tenant,
            &session.user,
            &form.password,
            &ctx.requester,
            ctx.locale,
        )
        .await;
    let back = Some(("account_link", format!("{}/account", ctx.base())));
    match done {
        Ok(()) => {
            let message = ctx.text("password_removed");
            ctx.message(StatusCode::OK, "account_title", &message, back)
        }
        Err(PasskeyError::Identity(e)) => {
            let failure = super::form_failure(&ctx, e)?;
            let res = ctx.message(failure.status, "account_title", &failure.message, back)?;
            Ok(super::context::with_retry_after(res, failure.retry_after))
        }
        Err(e) => account_answer(&ctx, Err(e)),
    }
}

/// The user's passkeys as the account page lists them.
pub async fn account_rows(
    ctx: &PageCtx,
    session: &ActiveSession,
) -> Result<Vec<minijinja::Value>, PageError> {
    let keys = ctx
        .state
        .identity
        .passkeys_of(&ctx.tenant, session.user.id)
        .await
        .map_err(page_error)?;
    Ok(keys
        .iter()
        .map(|k| {
            context! {
                id => &k.id, name => &k.name, synced => k.synced,
                created => short_time(Some(k.created_at)),
                last_used => short_time(k.last_used_at),
            }
        })
        .collect())
}
