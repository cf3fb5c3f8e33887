//! The mails identity flows send, in the user's language.
use super::{Identity, IdentityError};
use crate::domain::email::Email;
use crate::domain::one_time_token::Purpose;
use crate::domain::operator_report::OperatorReport;
use crate::domain::security_report::SecurityReport;
use crate::domain::sentinel::compromise::{CompromiseAlert, Compromised, ReportedBy};
use crate::domain::team::Role;
use crate::domain::tenant::Tenant;
use crate::domain::user::User;
use crate::i18n::Locale;
use service_kit::mail::OutgoingMail;

/// Link lifetimes: verification 24 h, reset 30 min, unlock 1 h.
pub const VERIFY_TTL_SECS: i64 = 24 * 3600;
/// The six-digit code in a verification mail: 15 minutes, 5 tries.
pub const VERIFY_CODE_TTL_SECS: i64 = 15 * 60;
pub const VERIFY_CODE_TRIES: i64 = 5;
pub const RESET_TTL_SECS: i64 = 30 * 60;
pub const UNLOCK_TTL_SECS: i64 = 3600;
/// Mails anyone can make us send to an account (reset links, "you already
/// have an account"): at most three per address in this window.
pub const STRANGER_MAIL_WINDOW_SECS: i64 = 3600;

impl Identity {
    /// Makes a single-use link for `user` and mails it. `kind` names the
    /// texts (`verify`, `reset`, `unlock`) and the page path.
    pub(crate) async fn send_link(
        &self,
        tenant: &Tenant,
        user: &User,
        purpose: Purpose,
        locale: Locale,
    ) -> Result<(), IdentityError> {
        let (kind, path, ttl) = match purpose {
            Purpose::VerifyEmail => ("verify", "/verify-email", VERIFY_TTL_SECS),
            Purpose::ResetPassword => ("reset", "/reset-password", RESET_TTL_SECS),
            Purpose::Unlock => ("unlock", "/unlock", UNLOCK_TTL_SECS),
            // A code, never a link: `identity::step_up` mails it.
            Purpose::StepUp => {
                return Err(IdentityError::Internal(
                    "a step-up code is not a link".into(),
                ))
            }
        };
        let now = self.now();
        // A new verification or unlock link replaces the older ones. Reset
        // links are asked for by anyone who knows the address: a new one
        // leaves the older ones working until they expire or one is used.
        if purpose != Purpose::ResetPassword {
            self.one_time_tokens
                .void_unused(tenant.id, user.id, purpose, now)
                .await?;
        }
        let (plain, digest) = crate::opaque_secret::new_secret()
            .map_err(|e| IdentityError::Internal(e.to_string()))?;
        self.one_time_tokens
            .insert(&digest, tenant.id, user.id, purpose, now, ttl)
            .await?;
        let link = self.tenant_url(
            tenant.slug.as_ref(),
            &format!("{path}?token={plain}&lang={}", locale.code()),
        );
        // A verification can also be typed as a code on the signup page.
        let code = if purpose == Purpose::VerifyEmail {
            let code = crate::opaque_secret::new_code()
                .map_err(|e| IdentityError::Internal(e.to_string()))?;
            self.one_time_tokens
                .attach_code(
                    &digest,
                    &code_digest(user.id, &code),
                    now.saturating_add(VERIFY_CODE_TTL_SECS),
                )
                .await?;
            code
        } else {
            String::new()
        };
        self.mail_text(tenant, &user.email.to_string(), kind, locale, &link, &code)
    }

    /// Takes one of the address's mails a stranger may trigger (three an
    /// hour, shared by reset links and "already registered" mails, on every
    /// instance); false when none is left.
    pub(crate) async fn take_mail_budget(
        &self,
        tenant: &Tenant,
        email: &Email,
    ) -> Result<bool, IdentityError> {
        Ok(self
            .mail_budget
            .take(
                tenant.id,
                email.normalized(),
                self.now(),
                STRANGER_MAIL_WINDOW_SECS,
            )
            .await?)
    }

    /// Tells the owner of an address that someone tried to sign up with it:
    /// the signup page itself must not reveal that the account exists.
    pub(crate) fn send_already_registered(
        &self,
        tenant: &Tenant,
        to: &str,
        locale: Locale,
    ) -> Result<(), IdentityError> {
        let link = self.tenant_url(
            tenant.slug.as_ref(),
            &format!("/forgot-password?lang={}", locale.code()),
        );
        self.mail_text(tenant, to, "exists", locale, &link, "")
    }

    /// Invites `to` to the team of `tenant` with `role`, from `inviter`.
    pub(crate) fn send_team_invite(
        &self,
        tenant: &Tenant,
        to: &str,
        inviter: &str,
        role: Role,
        link: &str,
        locale: Locale,
    ) -> Result<(), IdentityError> {
        let role_name = self
            .services
            .catalog
            .format(locale, &format!("team_role_{role}"), &[]);
        let args = [
            ("tenant", tenant.display_name.as_ref()),
            ("inviter", inviter),
            ("role", role_name.as_str()),
            ("link", link),
        ];
        self.send(
            to,
            self.services
                .catalog
                .format(locale, "mail_team_invite_subject", &args),
            self.services
                .catalog
                .format(locale, "mail_team_invite_body", &args),
        )
    }

    /// Tells a tenant owner that the sentinel found an attack
    /// (`detector`, with `summary` of its evidence), in French and English
    /// (owners have no stored language), with a link to the events.
    /// `done` names what the sentinel did (`sentinel_done_{done}`: the
    /// addresses blocked, nothing blocked, the user's sessions ended).
    pub(crate) fn send_sentinel_alert(
        &self,
        tenant: &Tenant,
        to: &str,
        detector: &str,
        done: &str,
        summary: &str,
    ) -> Result<(), IdentityError> {
        let link = self.platform_url(&format!("/dashboard/t/{}/events", tenant.slug));
        let text = |locale: Locale, key: &str| {
            let attack = self
                .services
                .catalog
                .format(locale, &format!("sentinel_{detector}"), &[]);
            let done = self
                .services
                .catalog
                .format(locale, &format!("sentinel_done_{done}"), &[]);
            let args = [
                ("tenant", tenant.display_name.as_ref()),
                ("attack", attack.as_str()),
                ("done", done.as_str()),
                ("summary", summary),
                ("link", link.as_str()),
            ];
            self.services.catalog.format(locale, key, &args)
        };
        self.mail_both(
            to,
            text(Locale::Fr, "mail_sentinel_subject"),
            text(Locale::Fr, "mail_sentinel_body"),
            text(Locale::En, "mail_sentinel_body"),
        )
    }

    /// Tells a tenant owner that someone marked one of the tenant's
    /// credentials compromised (`alert`): what, by whom, why, what was done,
    /// and where the events are. Never a secret: the alert holds none.
    pub(crate) fn send_compromise_alert(
        &self,
        tenant: &Tenant,
        to: &str,
        alert: &CompromiseAlert,
    ) -> Result<(), IdentityError> {
        let link = self.platform_url(&format!("/dashboard/t/{}/events", tenant.slug));
        let (what_key, done_key) = match alert.what {
            Compromised::ClientSecret => {
                ("compromise_client_secret", "compromise_done_client_secret")
            }
            Compromised::SigningKey => ("compromise_signing_key", "compromise_done_signing_key"),
        };
        let (by_key, by_id) = match &alert.by {
            ReportedBy::Operator => ("compromise_by_operator", ""),
            ReportedBy::Owner(id) => ("compromise_by_owner", id.as_str()),
            ReportedBy::Credential(id) => ("compromise_by_credential", id.as_str()),
        };
        let text = |locale: Locale, key: &str| {
            let what = self.services.catalog.format(
                locale,
                what_key,
                &[
                    ("subject", alert.subject.as_str()),
                    ("alg", alert.alg.as_deref().unwrap_or("")),
                ],
            );
            let by = self
                .services
                .catalog
                .format(locale, by_key, &[("id", by_id)]);
            let done = self.services.catalog.format(locale, done_key, &[]);
            let args = [
                ("tenant", tenant.display_name.as_ref()),
                ("what", what.as_str()),
                ("by", by.as_str()),
                ("reason", alert.reason.as_str()),
                ("done", done.as_str()),
                ("link", link.as_str()),
            ];
            self.services.catalog.format(locale, key, &args)
        };
        self.mail_both(
            to,
            text(Locale::Fr, "mail_sentinel_subject"),
            text(Locale::Fr, "mail_compromise_body"),
            text(Locale::En, "mail_compromise_body"),
        )
    }

    /// Mails a tenant owner the sentinel's daily report: the AI analyst's
    /// `summary` when there is one, the figures, with accounts named by
    /// user id only (a mail may be forwarded), and the way to the console
    /// page that shows the same day.
    pub(crate) fn send_security_report(
        &self,
        tenant: &Tenant,
        to: &str,
        report: &SecurityReport,
        summary: Option<&str>,
    ) -> Result<(), IdentityError> {
        let link = self.platform_url(&format!(
            "/dashboard/t/{}/security-report?day={}",
            tenant.slug, report.day
        ));
        let list = |items: &[(String, u64)]| -> String {
            if items.is_empty() {
                return "-".to_owned();
            }
            items
                .iter()
                .map(|(name, n)| format!("{name} ({n})"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let incidents: Vec<(String, u64)> = report
            .incidents
            .iter()
            .map(|(name, n)| (name.clone(), *n))
            .collect();
        let figures = [
            ("day", report.day.to_string()),
            ("succeeded", report.succeeded.to_string()),
            ("failed", report.failed.to_string()),
            ("locked", report.locked.to_string()),
            ("rate", report.failure_rate().to_string()),
            ("blocks_sentinel", report.blocks_by_sentinel.to_string()),
            ("blocks_hand", report.blocks_by_hand.to_string()),
            ("incidents", list(&incidents)),
            ("addresses", list(&report.top_addresses)),
            ("accounts", list(&report.accounts_at_risk)),
            ("mfa_users", report.mfa.with_second_factor.to_string()),
            ("users", report.mfa.users.to_string()),
            ("mfa", report.mfa.percent().to_string()),
            ("sessions", report.actions.sessions_ended.to_string()),
            ("grants", report.actions.grants_revoked.to_string()),
            ("secrets", report.actions.secrets_replaced.to_string()),
        ];
        let mut args: Vec<(&str, &str)> = figures.iter().map(|(k, v)| (*k, v.as_str())).collect();
        args.push(("tenant", tenant.display_name.as_ref()));
        args.push(("link", link.as_str()));
        self.mail_report(
            to,
            ("mail_report_subject", "mail_report_body"),
            &args,
            summary,
        )
    }

    /// Mails a platform operator the report across tenants: the AI
    /// analyst's `summary` when there is one, the totals, the churn risks
    /// and upgrade candidates, and one line per tenant.
    pub(crate) fn send_operator_report(
        &self,
        to: &str,
        report: &OperatorReport,
        summary: Option<&str>,
    ) -> Result<(), IdentityError> {
        let slugs = |lines: Vec<&str>| -> String {
            if lines.is_empty() {
                "-".to_owned()
            } else {
                lines.join(", ")
            }
        };
        let figures = [
            ("day", report.day.clone()),
            ("tenants", report.tenants.len().to_string()),
            ("succeeded", report.totals.logins_succeeded.to_string()),
            ("failed", report.totals.logins_failed.to_string()),
            ("incidents", report.totals.incidents.to_string()),
            ("blocks", report.totals.blocks.to_string()),
            (
                "churn",
                slugs(report.churn_risks().map(|t| t.slug.as_str()).collect()),
            ),
            (
                "upgrade",
                slugs(
                    report
                        .upgrade_candidates()
                        .map(|t| t.slug.as_str())
                        .collect(),
                ),
            ),
            (
                "lines",
                report
                    .tenants
                    .iter()
                    .map(|t| format!("- {}", t.text()))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
        ];
        let args: Vec<(&str, &str)> = figures.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.mail_report(
            to,
            ("mail_operator_subject", "mail_operator_body"),
            &args,
            summary,
        )
    }

    /// Mails a report: the catalog's `(subject, body)` messages filled with
    /// `args`, the body opened by the AI analyst's `summary` when there is
    /// one (the catalog says it is a model's).
    fn mail_report(
        &self,
        to: &str,
        (subject, body): (&str, &str),
        args: &[(&str, &str)],
        summary: Option<&str>,
    ) -> Result<(), IdentityError> {
        let body = |locale: Locale| {
            let figures = self.services.catalog.format(locale, body, args);
            match summary {
                Some(summary) => format!(
                    "{}\n\n{figures}",
                    self.services.catalog.format(
                        locale,
                        "mail_report_summary",
                        &[("summary", summary)]
                    )
                ),
                None => figures,
            }
        };
        self.mail_both(
            to,
            self.services.catalog.format(Locale::Fr, subject, args),
            body(Locale::Fr),
            body(Locale::En),
        )
    }

    /// Tells a tenant owner that one of the tenant's webhook endpoints was
    /// disabled after every delivery failed for `hours`, with the way to
    /// the console where it is enabled again.
    pub(crate) fn send_webhook_disabled(
        &self,
        tenant_slug: &str,
        to: &str,
        url: &str,
        hours: i64,
    ) -> Result<(), IdentityError> {
        let link = self.platform_url(&format!("/dashboard/t/{tenant_slug}/webhooks"));
        let hours = hours.to_string();
        let text = |locale: Locale, key: &str| {
            let args = [
                ("tenant", tenant_slug),
                ("url", url),
                ("hours", hours.as_str()),
                ("link", link.as_str()),
            ];
            self.services.catalog.format(locale, key, &args)
        };
        self.mail_both(
            to,
            text(Locale::Fr, "mail_webhook_disabled_subject"),
            text(Locale::Fr, "mail_webhook_disabled_body"),
            text(Locale::En, "mail_webhook_disabled_body"),
        )
    }

    /// Tells a user that a refresh token of theirs was used again after it
    /// had been replaced (it may have been stolen): the application's
    /// access is revoked and they are signed out everywhere. In French and
    /// English (users have no stored language), with the application's
    /// name, when and from which address, and the way to a new password.
    pub(crate) fn send_token_reuse_notice(
        &self,
        tenant: &Tenant,
        to: &str,
        notice: &TokenReuseNotice<'_>,
    ) -> Result<(), IdentityError> {
        let args = [
            ("app", notice.app),
            ("when", notice.when),
            ("ip", notice.ip),
        ];
        self.mail_user_with_reset_link(tenant, to, "mail_token_reuse", &args)
    }

    /// Tells a user without a second factor of a password login from an
    /// address range and a browser their account had not used lately: when,
    /// from where, with what, and the way to a new password if it was not
    /// them. In French and English (users have no stored language).
    pub(crate) fn send_unfamiliar_login_notice(
        &self,
        tenant: &Tenant,
        to: &str,
        notice: &UnfamiliarLoginNotice<'_>,
    ) -> Result<(), IdentityError> {
        let args = [
            ("when", notice.when),
            ("ip", notice.ip),
            ("device", notice.device),
        ];
        self.mail_user_with_reset_link(tenant, to, "mail_unfamiliar_login", &args)
    }

    /// Mails a user `{mail}_subject` (French) and `{mail}_body` in French
    /// then English, with `args`, the tenant's name and the link to choose
    /// a new password in each language.
    fn mail_user_with_reset_link(
        &self,
        tenant: &Tenant,
        to: &str,
        mail: &str,
        args: &[(&str, &str)],
    ) -> Result<(), IdentityError> {
        let text = |locale: Locale, key: &str| {
            let link = self.tenant_url(
                tenant.slug.as_ref(),
                &format!("/forgot-password?lang={}", locale.code()),
            );
            let mut all = vec![
                ("tenant", tenant.display_name.as_ref()),
                ("link", link.as_str()),
            ];
            all.extend_from_slice(args);
            self.services
                .catalog
                .format(locale, &format!("{mail}_{key}"), &all)
        };
        self.mail_both(
            to,
            text(Locale::Fr, "subject"),
            text(Locale::Fr, "body"),
            text(Locale::En, "body"),
        )
    }

    /// One mail with the French body, then the English one.
    fn mail_both(
        &self,
        to: &str,
        subject: String,
        fr: String,
        en: String,
    ) -> Result<(), IdentityError> {
        self.send(to, subject, format!("{fr}\n\n---\n\n{en}"))
    }

    /// Queues one mail: an address that is not one is refused, a full queue
    /// answers busy (the failure is logged).
    fn send(&self, to: &str, subject: String, body: String) -> Result<(), IdentityError> {
        let mail = OutgoingMail::new(to, subject, body)
            .map_err(|_| IdentityError::Field("err_email_invalid"))?;
        self.services.mail.enqueue(mail).map_err(|e| {
            tracing::error!(error = %e, "mail not queued");
            IdentityError::Busy { retry_after: 30 }
        })
    }

    pub(super) fn mail_text(
        &self,
        tenant: &Tenant,
        to: &str,
        kind: &str,
        locale: Locale,
        link: &str,
        code: &str,
    ) -> Result<(), IdentityError> {
        let args = [
            ("tenant", tenant.display_name.as_ref()),
            ("link", link),
            ("code", code),
        ];
        self.send(
            to,
            self.services
                .catalog
                .format(locale, &format!("mail_{kind}_subject"), &args),
            self.services
                .catalog
                .format(locale, &format!("mail_{kind}_body"), &args),
        )
    }
}

/// What a user is told of a reused refresh token.
pub struct TokenReuseNotice<'a> {
    /// The application's name.
    pub app: &'a str,
    /// When the token came back, e.g. `2026-12-06 06:10 UTC`.
    pub when: &'a str,
    /// The address it came from.
    pub ip: &'a str,
}

/// What a user is told of an unfamiliar login.
pub struct UnfamiliarLoginNotice<'a> {
    /// When, e.g. `2026-12-06 06:10 UTC`.
    pub when: &'a str,
    /// The address it came from.
    pub ip: &'a str,
    /// The browser and system, e.g. `Chrome on Linux`.
    pub device: &'a str,
}

/// The stored form of a typed code: bound to its user, so one user's code
/// digest says nothing about another's.
pub(crate) fn code_digest(user: crate::domain::user::UserId, code: &str) -> String {
    crate::opaque_secret::digest(&format!("{user}:{code}"))
}
