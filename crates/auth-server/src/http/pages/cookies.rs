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

    /// The authorization request a journey continues after an emailed step
    /// (verification, password reset) opened in the same browser.
    pub fn resume_name(&self, slug: &str) -> String {
        format!("{}ca_resume_{slug}", self.prefix())
    }

    /// A sign-in started at an upstream provider (sealed state, nonce and
    /// PKCE verifier); Lax, so the provider's redirect back brings it.
    pub fn upstream_name(&self, slug: &str) -> String {
        format!("{}ca_upstream_{slug}", self.prefix())
    }

    pub fn upstream(&self, slug: &str, sealed: String) -> Cookie<'static> {
        let mut c = self.build(self.upstream_name(slug), sealed, SameSite::Lax, true);
        c.set_max_age(Duration::seconds(crate::identity::upstream::PENDING_SECS));
        c
    }

    pub fn clear_upstream(&self, slug: &str) -> Cookie<'static> {
        let mut c = self.build(self.upstream_name(slug), String::new(), SameSite::Lax, true);
        c.make_removal();
        c
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

    /// `value` (a checked `return_to`) base64url-encoded, for an hour: long
    /// enough to open the emailed link or type the code.
    pub fn resume(&self, slug: &str, value: &str) -> Cookie<'static> {
        use base64::Engine as _;
        let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value);
        let mut c = self.build(self.resume_name(slug), encoded, SameSite::Lax, true);
        c.set_max_age(Duration::hours(1));
        c
    }

    pub fn clear_resume(&self, slug: &str) -> Cookie<'static> {
        let mut c = self.build(self.resume_name(slug), String::new(), SameSite::Lax, true);
        c.make_removal();
        c
    }

    /// The value [`Self::resume`] stored, if the cookie holds one.
    pub fn decode_resume(value: &str) -> Option<String> {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(value)
            .ok()?;
        String::from_utf8(bytes).ok()
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
    fn the_resume_cookie_round_trips_a_return_path_and_expires() {
        let p = CookiePolicy { secure: true };
        let back = "/t/acme/authorize?client_id=cli_a&state=x%2Cy&scope=openid+profile";
        let c = p.resume("acme", back);
        assert_eq!(c.name(), "__Host-ca_resume_acme");
        assert!(c
            .value()
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(
            CookiePolicy::decode_resume(c.value()).as_deref(),
            Some(back)
        );
        assert_eq!(c.max_age(), Some(Duration::hours(1)));
        assert_eq!(CookiePolicy::decode_resume("%%%"), None);
    }

    #[test]
    fn plain_http_development_cookies_have_no_prefix() {
        let p = CookiePolicy { secure: false };
        assert_eq!(p.session_name("acme"), "ca_session_acme");
        assert_eq!(p.csrf("t".into()).secure(), Some(false));
    }
}
