//! The settings form of an app's console page: the values as typed, the form
//! showing a client's saved settings, and the [`ClientUpdate`] it asks for.
//! Every value is parsed by the domain's own functions, those of the
//! management API, so the console refuses what the API refuses, in the same
//! words; the fields carry the API's names, which those words quote.
use minijinja::{context, Value};
use serde::Deserialize;

use super::context::{csrf_field, PageCtx};
use crate::domain::client::{
    parse_id_token_alg, parse_origins, parse_resources, parse_uris, Client, ClientRuleError,
    ClientUpdate, TokenLifetimes, ACCESS_TOKEN_DEFAULT_SECS, ACCESS_TOKEN_SECS,
    ID_TOKEN_ALG_DEFAULT, MAX_URIS, REFRESH_ABSOLUTE_DEFAULT_SECS, REFRESH_IDLE_DEFAULT_SECS,
    REFRESH_TOKEN_SECS, RESOURCE_MAX_BYTES,
};
use crate::domain::display_name::DisplayName;
use crate::domain::refresh_reuse::{RefreshReuseInterval, REFRESH_REUSE_INTERVAL_MAX_SECS};
use crate::domain::signing_alg::SigningAlg;

csrf_field!(EditAppForm);

/// The form as typed. The advanced fields are `None` when the form did not
/// send them, which leaves those settings as they are.
#[derive(Deserialize, Clone, Default)]
#[serde(default)]
pub struct EditAppForm {
    pub(super) csrf: String,
    pub(super) name: String,
    pub(super) redirect_uris: String,
    pub(super) post_logout_redirect_uris: String,
    pub(super) cors_origins: String,
    /// A checkbox: present when ticked.
    pub(super) first_party: Option<String>,
    access_token_lifetime_secs: Option<String>,
    refresh_token_lifetime_secs: Option<String>,
    refresh_token_idle_secs: Option<String>,
    refresh_token_reuse_interval_secs: Option<String>,
    id_token_alg: Option<String>,
    allowed_resources: Option<String>,
}

impl From<&Client> for EditAppForm {
    fn from(c: &Client) -> Self {
        let lines = |items: Vec<&str>| items.join("\n");
        let s = &c.settings;
        let lifetimes = s.lifetimes();
        Self {
            csrf: String::new(),
            name: s.name().as_ref().to_owned(),
            redirect_uris: lines(s.redirect_uris().iter().map(AsRef::as_ref).collect()),
            post_logout_redirect_uris: lines(
                s.post_logout_redirect_uris()
                    .iter()
                    .map(AsRef::as_ref)
                    .collect(),
            ),
            cors_origins: lines(s.cors_origins().iter().map(AsRef::as_ref).collect()),
            first_party: s.first_party().then(|| "on".to_owned()),
            access_token_lifetime_secs: Some(lifetimes.access_secs().to_string()),
            refresh_token_lifetime_secs: Some(lifetimes.refresh_absolute_secs().to_string()),
            refresh_token_idle_secs: Some(lifetimes.refresh_idle_secs().to_string()),
            refresh_token_reuse_interval_secs: Some(s.refresh_reuse_interval().secs().to_string()),
            id_token_alg: Some(s.id_token_alg().as_str().to_owned()),
            allowed_resources: Some(lines(
                s.allowed_resources().iter().map(AsRef::as_ref).collect(),
            )),
        }
    }
}

/// The non-empty lines of a textarea, trimmed.
fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A number field sent, as a whole number; anything else is refused by the
/// setting's own rule, which states its bounds.
fn number(text: Option<&str>, refused: ClientRuleError) -> Result<Option<i64>, ClientRuleError> {
    text.map(|t| t.trim().parse::<i64>().map_err(|_| refused))
        .transpose()
}

impl EditAppForm {
    /// The update this form asks for; `kept` are the client's lifetimes, the
    /// bound of an idle lifetime that is not a number when the form sends
    /// no absolute one.
    pub(super) fn update(&self, kept: TokenLifetimes) -> Result<ClientUpdate, ClientRuleError> {
        let refresh_absolute = number(
            self.refresh_token_lifetime_secs.as_deref(),
            ClientRuleError::RefreshLifetime,
        )?;
        let absolute = refresh_absolute.unwrap_or(kept.refresh_absolute_secs());
        Ok(ClientUpdate {
            name: Some(DisplayName::parse(&self.name)?),
            redirect_uris: Some(parse_uris("redirect_uris", &lines(&self.redirect_uris))?),
            post_logout_redirect_uris: Some(parse_uris(
                "post_logout_redirect_uris",
                &lines(&self.post_logout_redirect_uris),
            )?),
            cors_origins: Some(parse_origins("cors_origins", &lines(&self.cors_origins))?),
            first_party: Some(self.first_party.is_some()),
            access_token_lifetime_secs: number(
                self.access_token_lifetime_secs.as_deref(),
                ClientRuleError::AccessLifetime,
            )?,
            refresh_token_lifetime_secs: refresh_absolute,
            refresh_token_idle_secs: number(
                self.refresh_token_idle_secs.as_deref(),
                ClientRuleError::RefreshIdle { absolute },
            )?,
            refresh_reuse_interval: number(
                self.refresh_token_reuse_interval_secs.as_deref(),
                ClientRuleError::RefreshReuseInterval,
            )?
            .map(RefreshReuseInterval::parse)
            .transpose()?,
            id_token_alg: parse_id_token_alg(self.id_token_alg.as_deref())?,
            allowed_resources: self
                .allowed_resources
                .as_deref()
                .map(|text| parse_resources("allowed_resources", &lines(text)))
                .transpose()?,
            ..ClientUpdate::default()
        })
    }

    /// The advanced section's fields, with their help: as typed, or as saved
    /// on `client` where the form sent none.
    pub(super) fn advanced(&self, ctx: &PageCtx, client: &Client) -> Value {
        let saved = EditAppForm::from(client);
        let shown = |typed: &Option<String>, saved: Option<String>| {
            typed.clone().or(saved).unwrap_or_default()
        };
        let alg = shown(&self.id_token_alg, saved.id_token_alg);
        let algs: Vec<Value> = SigningAlg::ALL
            .iter()
            .map(|a| {
                let label = if *a == ID_TOKEN_ALG_DEFAULT {
                    ctx.text_with("apps_alg_default", &[("alg", a.as_str())])
                } else {
                    a.as_str().to_owned()
                };
                context! { value => a.as_str(), label, selected => alg == a.as_str() }
            })
            .collect();
        let help = |key: &str, args: &[(&str, i64)]| {
            let args: Vec<(&str, String)> = args.iter().map(|(k, v)| (*k, v.to_string())).collect();
            let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            ctx.text_with(key, &args)
        };
        let (access_min, access_max) = ACCESS_TOKEN_SECS;
        let (refresh_min, refresh_max) = REFRESH_TOKEN_SECS;
        context! {
            access_token_lifetime_secs => shown(&self.access_token_lifetime_secs, saved.access_token_lifetime_secs),
            refresh_token_lifetime_secs => shown(&self.refresh_token_lifetime_secs, saved.refresh_token_lifetime_secs),
            refresh_token_idle_secs => shown(&self.refresh_token_idle_secs, saved.refresh_token_idle_secs),
            refresh_token_reuse_interval_secs => shown(&self.refresh_token_reuse_interval_secs, saved.refresh_token_reuse_interval_secs),
            allowed_resources => shown(&self.allowed_resources, saved.allowed_resources),
            id_token_alg => alg,
            algs,
            access_help => help("apps_access_lifetime_help", &[("min", access_min), ("max", access_max), ("default", ACCESS_TOKEN_DEFAULT_SECS)]),
            refresh_help => help("apps_refresh_lifetime_help", &[("min", refresh_min), ("max", refresh_max), ("default", REFRESH_ABSOLUTE_DEFAULT_SECS)]),
            idle_help => help("apps_refresh_idle_help", &[("min", refresh_min), ("default", REFRESH_IDLE_DEFAULT_SECS)]),
            reuse_help => help("apps_reuse_interval_help", &[("max", REFRESH_REUSE_INTERVAL_MAX_SECS)]),
            resources_help => help("apps_allowed_resources_help", &[("count", MAX_URIS as i64), ("bytes", RESOURCE_MAX_BYTES as i64)]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The form a browser would send with `fields` beside a name and a
    /// callback URL.
    fn form(fields: &[(&str, &str)]) -> EditAppForm {
        let mut all = serde_json::json!({
            "name": "App",
            "redirect_uris": "https://app.example/cb",
        });
        for (field, value) in fields {
            all[*field] = (*value).into();
        }
        serde_json::from_value(all).expect("a form")
    }

    #[test]
    fn a_form_without_the_advanced_fields_keeps_those_settings() {
        let update = form(&[]).update(TokenLifetimes::default()).expect("valid");
        assert_eq!(update.access_token_lifetime_secs, None);
        assert_eq!(update.refresh_reuse_interval, None);
        assert!(update.id_token_alg.is_none() && update.allowed_resources.is_none());
    }

    #[test]
    fn the_advanced_fields_are_parsed_by_the_domain_rules() {
        let update = form(&[
            ("access_token_lifetime_secs", " 600 "),
            ("refresh_token_reuse_interval_secs", "30"),
            ("id_token_alg", "RS256"),
            (
                "allowed_resources",
                "https://api.example\r\n\r\n urn:example:api \r\n",
            ),
        ])
        .update(TokenLifetimes::default())
        .expect("valid");
        assert_eq!(update.access_token_lifetime_secs, Some(600));
        assert_eq!(update.refresh_reuse_interval.map(|r| r.secs()), Some(30));
        assert_eq!(update.id_token_alg, Some(SigningAlg::RS256));
        let resources: Vec<&str> = update
            .allowed_resources
            .iter()
            .flatten()
            .map(AsRef::as_ref)
            .collect();
        assert_eq!(resources, ["https://api.example", "urn:example:api"]);
        let emptied = form(&[("allowed_resources", "")])
            .update(TokenLifetimes::default())
            .expect("valid");
        assert_eq!(emptied.allowed_resources.map(|r| r.len()), Some(0));
    }

    #[test]
    fn a_bad_advanced_field_is_refused_by_its_rule() {
        let kept = TokenLifetimes::default();
        for (field, value, refused) in [
            (
                "access_token_lifetime_secs",
                "ten",
                ClientRuleError::AccessLifetime,
            ),
            (
                "refresh_token_lifetime_secs",
                "",
                ClientRuleError::RefreshLifetime,
            ),
            (
                "refresh_token_idle_secs",
                "1.5",
                ClientRuleError::RefreshIdle {
                    absolute: kept.refresh_absolute_secs(),
                },
            ),
            (
                "refresh_token_reuse_interval_secs",
                "61",
                ClientRuleError::RefreshReuseInterval,
            ),
            ("id_token_alg", "HS256", ClientRuleError::IdTokenAlg),
        ] {
            assert_eq!(
                form(&[(field, value)]).update(kept).map(|_| ()),
                Err(refused),
                "{field}={value}"
            );
        }
        let err = form(&[("allowed_resources", "https://api.example/#x")])
            .update(kept)
            .map(|_| ())
            .expect_err("refused");
        assert!(err.to_string().starts_with("allowed_resources:"), "{err}");
    }
}
