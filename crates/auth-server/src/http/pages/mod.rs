//! Hosted pages of each tenant under `/t/{slug}/`: sign up, log in, log out,
//! verify email, forgot and reset password, unlock, MFA enrolment and
//! challenge, and the account page with the session list.
pub mod account;
pub mod assets;
mod billing_view;
pub mod client_ip;
mod console;
mod console_app_form;
pub mod console_apps;
pub mod console_billing;
pub mod console_blocks;
pub mod console_branding;
pub mod console_credentials;
pub mod console_events;
pub mod console_keys;
pub mod console_security_report;
pub mod console_settings;
pub mod console_sign_in_methods;
pub mod console_team;
pub mod console_users;
pub mod console_webhook_deliveries;
pub mod console_webhooks;
pub mod context;
pub mod cookies;
pub mod dashboard;
pub mod error;
pub mod links;
pub mod login;
pub mod mfa;
pub mod onboarding;
pub mod passkeys;
pub mod render;
pub mod return_to;
pub mod signup;
pub mod step_up;
pub mod upstream;

use actix_web::http::StatusCode;

use crate::domain::one_time_token::LinkProblem;
use crate::identity::IdentityError;
use crate::password::PasswordRuleError;
use context::PageCtx;
use error::PageError;

/// How a failed form is answered: its status and the text shown on the page.
pub struct FormFailure {
    pub status: StatusCode,
    pub message: String,
    pub retry_after: Option<u64>,
}

/// Maps an identity failure to the message shown on the form, or to a
/// page-ending error for what the user cannot fix.
/// The answer to a second login step's form (a TOTP or recovery code, a
/// mailed code): on success the new session cookie and back to the app's
/// request (or the account); refused, `template` again with why.
pub fn second_step_answer(
    ctx: &mut PageCtx,
    done: Result<String, IdentityError>,
    template: &str,
    return_to: Option<&str>,
) -> Result<actix_web::HttpResponse, PageError> {
    match done {
        Ok(new_secret) => {
            ctx.set_session_cookie(new_secret);
            Ok(ctx.redirect_back_or_account(return_to))
        }
        Err(e) => {
            let failure = form_failure(ctx, e)?;
            let res = ctx.render(
                failure.status,
                template,
                minijinja::context! { error => failure.message },
            )?;
            Ok(context::with_retry_after(res, failure.retry_after))
        }
    }
}

pub fn form_failure(ctx: &PageCtx, e: IdentityError) -> Result<FormFailure, PageError> {
    let plain = |status: StatusCode, key: &str| FormFailure {
        status,
        message: ctx.text(key),
        retry_after: None,
    };
    Ok(match e {
        IdentityError::InvalidCredentials => {
            plain(StatusCode::UNAUTHORIZED, "err_invalid_credentials")
        }
        IdentityError::Locked { retry_after } => FormFailure {
            status: StatusCode::TOO_MANY_REQUESTS,
            message: ctx.text_with(
                "err_locked",
                &[("minutes", &retry_after.div_ceil(60).max(1).to_string())],
            ),
            retry_after: Some(retry_after),
        },
        IdentityError::EmailNotVerified => plain(StatusCode::FORBIDDEN, "err_email_not_verified"),
        IdentityError::Password(p) => plain(StatusCode::UNPROCESSABLE_ENTITY, password_key(&p)),
        IdentityError::Field(key) => plain(StatusCode::UNPROCESSABLE_ENTITY, key),
        IdentityError::InvalidCode => plain(StatusCode::UNAUTHORIZED, "err_invalid_code"),
        IdentityError::Link(problem) => plain(StatusCode::GONE, link_key(problem)),
        IdentityError::NotAuthenticated => plain(StatusCode::UNAUTHORIZED, "err_session_expired"),
        IdentityError::Busy { retry_after } => return Err(PageError::Busy { retry_after }),
        IdentityError::Store(e) => return Err(PageError::internal(e)),
        IdentityError::Seal(e) => return Err(PageError::internal(e)),
        IdentityError::Internal(e) => return Err(PageError::internal(e)),
    })
}

pub fn link_key(problem: LinkProblem) -> &'static str {
    match problem {
        LinkProblem::Unknown => "err_link_unknown",
        LinkProblem::Expired => "err_link_expired",
        LinkProblem::Used => "err_link_used",
    }
}

fn password_key(e: &PasswordRuleError) -> &'static str {
    crate::password::text_key(e)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use service_kit::testing::files_naming;

    /// A handler gets a posted form as [`context::PageForm`], which checks
    /// the CSRF token and spends the form budget before the handler runs.
    /// A raw `web::Form` is left only where that cannot or must not hold:
    /// the upstream provider's cross-site `form_post` callback (its `state`
    /// is the check), signing out and ending sessions from the account page
    /// (the token alone, whatever the budget).
    #[test]
    fn page_forms_are_accepted_before_the_handler() {
        let allowed = ["upstream.rs", "login.rs", "account.rs"];
        // Spelt in halves so this file does not name what it looks for.
        let needles = [concat!("web::", "Form<"), concat!("web::", "Form;")];
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http/pages");
        let raw: Vec<String> = files_naming(&root, &needles, 30)
            .into_iter()
            .filter(|path| !allowed.iter().any(|name| path.ends_with(name)))
            .collect();
        assert!(raw.is_empty(), "a form bypasses PageForm in {raw:?}");
    }
}
