//! A tenant's branding on its hosted pages: a logo (a web URL the pages load
//! as an image) and a brand colour (a CSS hex colour), kept in the tenant's
//! settings as `logo_url` and `brand_color`.
use serde_json::Value;

use super::client::{web_url, UriError};
use super::tenant_settings::{SettingsError, TenantSettings};

const LOGO_KEY: &str = "logo_url";
const COLOUR_KEY: &str = "brand_color";

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BrandingError {
    #[error("logo URL {0}")]
    Logo(UriError),
    #[error("the colour must be a hex colour such as #2f5bea or #25e")]
    Colour,
    #[error(transparent)]
    Settings(#[from] SettingsError),
}

/// `text` if it is a CSS hex colour (`#rgb` or `#rrggbb`): the only form
/// that can go into a stylesheet as it is.
pub fn brand_colour(text: &str) -> Option<&str> {
    (text.starts_with('#')
        && matches!(text.len(), 4 | 7)
        && text[1..].bytes().all(|b| b.is_ascii_hexdigit()))
    .then_some(text)
}

/// A branding as typed: each empty field removes that part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branding {
    logo_url: Option<String>,
    brand_color: Option<String>,
}

impl Branding {
    pub fn parse(logo_url: &str, brand_color: &str) -> Result<Self, BrandingError> {
        let logo_url = match logo_url.trim() {
            "" => None,
            text => Some(web_url(text).map_err(BrandingError::Logo)?.to_string()),
        };
        let brand_color = match brand_color.trim() {
            "" => None,
            text => Some(
                brand_colour(text)
                    .ok_or(BrandingError::Colour)?
                    .to_ascii_lowercase(),
            ),
        };
        Ok(Self {
            logo_url,
            brand_color,
        })
    }

    /// The branding of `settings` (what the pages would show).
    pub fn of(settings: &TenantSettings) -> Self {
        let map = settings.as_map();
        Self {
            logo_url: settings.logo_url().map(|u| u.to_string()),
            brand_color: map
                .get(COLOUR_KEY)
                .and_then(Value::as_str)
                .and_then(brand_colour)
                .map(str::to_owned),
        }
    }

    pub fn logo_url(&self) -> Option<&str> {
        self.logo_url.as_deref()
    }

    pub fn brand_color(&self) -> Option<&str> {
        self.brand_color.as_deref()
    }

    /// `settings` with this branding: its two keys set or removed, every
    /// other setting kept.
    pub fn applied_to(&self, settings: &TenantSettings) -> Result<TenantSettings, BrandingError> {
        let patch = serde_json::json!({
            LOGO_KEY: self.logo_url,
            COLOUR_KEY: self.brand_color,
        });
        Ok(settings.merged(patch)?)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn only_hex_colours_pass() {
        assert_eq!(brand_colour("#12abEF"), Some("#12abEF"));
        assert_eq!(brand_colour("#fff"), Some("#fff"));
        for bad in ["red", "#12345", "#ggg", "#fff;} body{display:none", "", "#"] {
            assert_eq!(brand_colour(bad), None, "{bad}");
        }
    }

    #[test]
    fn logos_are_web_urls_pages_may_load() {
        let ok = Branding::parse(" https://cdn.example.com/logo.png ", "#0B6E4F").expect("valid");
        assert_eq!(ok.logo_url(), Some("https://cdn.example.com/logo.png"));
        assert_eq!(ok.brand_color(), Some("#0b6e4f"));
        for (bad, error) in [
            ("http://cdn.example.com/logo.png", UriError::Scheme),
            ("javascript:alert(1)", UriError::NotAbsolute),
            ("https://cdn.example.com/logo.png#x", UriError::Fragment),
        ] {
            assert_eq!(
                Branding::parse(bad, ""),
                Err(BrandingError::Logo(error)),
                "{bad}"
            );
        }
        assert_eq!(Branding::parse("", "blue"), Err(BrandingError::Colour));
    }

    #[test]
    fn applying_keeps_the_other_settings_and_empty_fields_remove_theirs() {
        let settings = TenantSettings::parse(json!({
            "default_audience": "acme-api",
            "logo_url": "https://old.example/logo.png",
            "brand_color": "#000000",
        }))
        .expect("settings");
        let branded = Branding::parse("", "#25e")
            .expect("valid")
            .applied_to(&settings)
            .expect("applied");
        assert_eq!(
            Value::Object(branded.as_map().clone()),
            json!({ "default_audience": "acme-api", "brand_color": "#25e" })
        );
        assert_eq!(
            Branding::of(&branded),
            Branding::parse("", "#25e").expect("valid")
        );
    }
}
