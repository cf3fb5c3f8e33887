//! The hosted pages' templates (minijinja, embedded at build time; HTML is
//! auto-escaped because every template name ends in `.html`).
use minijinja::Environment;

use crate::domain::time_text::minute_utc;

/// `2026-11-26 15:26 UTC`, short enough for a table cell; empty for none.
pub fn short_time(unix: Option<i64>) -> String {
    unix.map(minute_utc).unwrap_or_default()
}

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../../templates/base.html")),
    ("login.html", include_str!("../../../templates/login.html")),
    (
        "passkey_offer.html",
        include_str!("../../../templates/passkey_offer.html"),
    ),
    (
        "upstream_buttons.html",
        include_str!("../../../templates/upstream_buttons.html"),
    ),
    (
        "app_fields.html",
        include_str!("../../../templates/app_fields.html"),
    ),
    (
        "upstream_continue.html",
        include_str!("../../../templates/upstream_continue.html"),
    ),
    (
        "signup.html",
        include_str!("../../../templates/signup.html"),
    ),
    (
        "check_email.html",
        include_str!("../../../templates/check_email.html"),
    ),
    (
        "logout_confirm.html",
        include_str!("../../../templates/logout_confirm.html"),
    ),
    (
        "message.html",
        include_str!("../../../templates/message.html"),
    ),
    (
        "confirm_link.html",
        include_str!("../../../templates/confirm_link.html"),
    ),
    (
        "forgot_password.html",
        include_str!("../../../templates/forgot_password.html"),
    ),
    (
        "reset_password.html",
        include_str!("../../../templates/reset_password.html"),
    ),
    (
        "mfa_challenge.html",
        include_str!("../../../templates/mfa_challenge.html"),
    ),
    (
        "step_up.html",
        include_str!("../../../templates/step_up.html"),
    ),
    (
        "mfa_enroll.html",
        include_str!("../../../templates/mfa_enroll.html"),
    ),
    (
        "recovery_codes.html",
        include_str!("../../../templates/recovery_codes.html"),
    ),
    (
        "account.html",
        include_str!("../../../templates/account.html"),
    ),
    (
        "consent.html",
        include_str!("../../../templates/consent.html"),
    ),
    (
        "dashboard.html",
        include_str!("../../../templates/dashboard.html"),
    ),
    (
        "onboarding.html",
        include_str!("../../../templates/onboarding.html"),
    ),
    (
        "quickstart.html",
        include_str!("../../../templates/quickstart.html"),
    ),
    ("apps.html", include_str!("../../../templates/apps.html")),
    (
        "app_new.html",
        include_str!("../../../templates/app_new.html"),
    ),
    (
        "app_edit.html",
        include_str!("../../../templates/app_edit.html"),
    ),
    (
        "app_secret.html",
        include_str!("../../../templates/app_secret.html"),
    ),
    ("users.html", include_str!("../../../templates/users.html")),
    (
        "users_import.html",
        include_str!("../../../templates/users_import.html"),
    ),
    ("user.html", include_str!("../../../templates/user.html")),
    (
        "branding.html",
        include_str!("../../../templates/branding.html"),
    ),
    (
        "blocks.html",
        include_str!("../../../templates/blocks.html"),
    ),
    ("keys.html", include_str!("../../../templates/keys.html")),
    (
        "settings.html",
        include_str!("../../../templates/settings.html"),
    ),
    ("team.html", include_str!("../../../templates/team.html")),
    (
        "credentials.html",
        include_str!("../../../templates/credentials.html"),
    ),
    (
        "credential_secret.html",
        include_str!("../../../templates/credential_secret.html"),
    ),
    (
        "sign_in_methods.html",
        include_str!("../../../templates/sign_in_methods.html"),
    ),
    (
        "invite.html",
        include_str!("../../../templates/invite.html"),
    ),
    (
        "events.html",
        include_str!("../../../templates/events.html"),
    ),
    (
        "security_report.html",
        include_str!("../../../templates/security_report.html"),
    ),
    (
        "dashboard_billing.html",
        include_str!("../../../templates/dashboard_billing.html"),
    ),
    (
        "webhooks.html",
        include_str!("../../../templates/webhooks.html"),
    ),
    (
        "webhook.html",
        include_str!("../../../templates/webhook.html"),
    ),
    (
        "webhook_secret.html",
        include_str!("../../../templates/webhook_secret.html"),
    ),
];

pub const STYLESHEET: &str = include_str!("../../../static/connectauth.css");
pub const PASSKEYS_SCRIPT: &str = include_str!("../../../static/passkeys.js");

pub struct Pages {
    env: Environment<'static>,
}

impl Pages {
    pub fn load() -> Result<Self, minijinja::Error> {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)?;
        }
        Ok(Self { env })
    }

    pub fn render(&self, name: &str, ctx: minijinja::Value) -> Result<String, minijinja::Error> {
        self.env.get_template(name)?.render(ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use minijinja::context;

    #[test]
    fn every_template_parses_and_escapes_html() {
        let pages = Pages::load().expect("templates parse");
        let html = pages
            .render(
                "message.html",
                context! { lang => "en", base => "/t/acme", t => context!{}, tenant => context!{ name => "<b>Acme</b>" },
                           heading => "Hi", message => "<script>x</script>" },
            )
            .expect("renders");
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("&lt;b&gt;Acme"));
        assert!(!html.contains("<script>"));
    }
}
