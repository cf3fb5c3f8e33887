//! Cookie names and attributes. Over https the names carry the `__Host-`
//! prefix (Secure, Path=/, no Domain: the browser refuses them from any other
//! host); plain-http development drops prefix and Secure, which browsers
//! require for `__Host-`.
use actix_web::cookie::{time::Duration, Cookie, SameSite};

#[derive(Debug, Clone, Copy)]
pub struct CookiePolicy {
    pub secure: bool,
}

impl CookiePolicy {
    fn prefix(&self) -> &'static str {
        if self.secure {
            "__Host-"
        } else {
            ""
        }
    }

    /// One session cookie per tenant, so a person can be logged in to two
    /// tenants at once; the server also checks the session's tenant.
    pub fn session_name(&self, slug: &str) -> String {
        format!("{}ca_session_{slug}", self.prefix())
    }

    pub fn csrf_name(&self) -> String {
        format!("{}ca_csrf", self.prefix())
    }

    pub fn lang_name(&self) -> &'static str {
        "ca_lang"
    }

    fn build(
        &self,
        name: String,
        value: String,
        same_site: SameSite,
        http_only: bool,
    ) -> Cookie<'static> {
        Cookie::build(name, value)
            .path("/")
            .secure(self.secure)
            .http_only(http_only)
            .same_site(same_site)
            .finish()
    }

    pub fn session(&self, slug: &str, secret: String) -> Cookie<'static> {
        self.build(self.session_name(slug), secret, SameSite::Lax, true)
    }

    pub fn clear_session(&self, slug: &str) -> Cookie<'static> {
        let mut c = self.build(self.session_name(slug), String::new(), SameSite::Lax, true);
        c.make_removal();
        c
    }

    pub fn csrf(&self, token: String) -> Cookie<'static> {
        self.build(self.csrf_name(), token, SameSite::Lax, true)
    }

    pub fn lang(&self, code: &str) -> Cookie<'static> {
        let mut c = self.build(
            self.lang_name().to_owned(),
            code.to_owned(),
            SameSite::Lax,
            false,
        );
        c.set_max_age(Duration::days(365));
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_cookies_are_host_prefixed_and_secure() {
        let p = CookiePolicy { secure: true };
        let c = p.session("acme", "s".into());
        assert_eq!(c.name(), "__Host-ca_session_acme");
        assert_eq!(c.secure(), Some(true));
        assert_eq!(c.http_only(), Some(true));
        assert_eq!(c.same_site(), Some(SameSite::Lax));
        assert_eq!(c.path(), Some("/"));
        assert!(c.domain().is_none());
    }

    #[test]
    fn plain_http_development_cookies_have_no_prefix() {
        let p = CookiePolicy { secure: false };
        assert_eq!(p.session_name("acme"), "ca_session_acme");
        assert_eq!(p.csrf("t".into()).secure(), Some(false));
    }
}
