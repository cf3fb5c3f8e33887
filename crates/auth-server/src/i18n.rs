//! French and English texts for pages and mails, from `locales/*.json`.
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    En,
    Fr,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::En, Locale::Fr];

    pub fn code(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Fr => "fr",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Locale::En),
            "fr" => Some(Locale::Fr),
            _ => None,
        }
    }

    /// The best of our locales for an `Accept-Language` header (English by default).
    pub fn negotiate(accept_language: &str) -> Self {
        let mut best: Option<(f32, Locale)> = None;
        for part in accept_language.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or_default().trim();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or_default();
            if let Some(locale) = Locale::from_code(primary) {
                if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, locale));
                }
            }
        }
        best.map_or(Locale::En, |(_, l)| l)
    }
}

pub type Texts = BTreeMap<String, String>;

pub struct Catalog {
    en: Texts,
    fr: Texts,
}

#[derive(Debug, thiserror::Error)]
#[error("locale file {locale}.json is invalid: {source}")]
pub struct CatalogError {
    locale: &'static str,
    #[source]
    source: serde_json::Error,
}

impl Catalog {
    pub fn load() -> Result<Self, CatalogError> {
        let parse = |locale: &'static str, text: &str| {
            serde_json::from_str(text).map_err(|source| CatalogError { locale, source })
        };
        Ok(Self {
            en: parse("en", include_str!("../locales/en.json"))?,
            fr: parse("fr", include_str!("../locales/fr.json"))?,
        })
    }

    pub fn texts(&self, locale: Locale) -> &Texts {
        match locale {
            Locale::En => &self.en,
            Locale::Fr => &self.fr,
        }
    }

    /// One text, with `{name}` placeholders filled.
    pub fn format(&self, locale: Locale, key: &str, args: &[(&str, &str)]) -> String {
        let template = self
            .texts(locale)
            .get(key)
            .or_else(|| self.en.get(key))
            .map_or(key, String::as_str);
        args.iter()
            .fold(template.to_owned(), |text, (name, value)| {
                text.replace(&format!("{{{name}}}"), value)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_locales_have_the_same_keys() {
        let c = Catalog::load().expect("locale files parse");
        let en: Vec<_> = c.en.keys().collect();
        let fr: Vec<_> = c.fr.keys().collect();
        assert_eq!(en, fr);
        assert!(en.len() > 30);
    }

    #[test]
    fn accept_language_picks_the_best_supported() {
        assert_eq!(Locale::negotiate("fr-FR,fr;q=0.9,en;q=0.8"), Locale::Fr);
        assert_eq!(Locale::negotiate("de-DE,en;q=0.5,fr;q=0.7"), Locale::Fr);
        assert_eq!(Locale::negotiate("de-DE"), Locale::En);
        assert_eq!(Locale::negotiate(""), Locale::En);
        assert_eq!(Locale::negotiate("fr;q=0"), Locale::En);
    }

    #[test]
    fn placeholders_are_filled() {
        let c = Catalog::load().expect("locale files parse");
        let text = c.format(
            Locale::En,
            "mail_verify_body",
            &[("link", "https://x/y"), ("tenant", "Acme")],
        );
        assert!(text.contains("https://x/y") && text.contains("Acme"));
    }
}
