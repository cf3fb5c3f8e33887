//! `return_to`: the pending request a hosted page continues (a path back to
//! the tenant's authorize endpoint, or the dashboard), as pages pass it on.
//! `PageCtx::resume` checks it; this only carries it.
use serde::Deserialize;

/// `?return_to=` of a page that may continue a pending request.
#[derive(Deserialize)]
pub struct ReturnQuery {
    pub return_to: Option<String>,
}

/// `path`, with `return_to=back` (when there is one) and `extra` pairs as
/// its query; `path` alone when there is nothing to add.
pub fn with_return_to(path: &str, back: Option<&str>, extra: &[(&str, &str)]) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    if let Some(back) = back {
        q.append_pair("return_to", back);
    }
    for (k, v) in extra {
        q.append_pair(k, v);
    }
    let query = q.finish();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pending_request_and_extras_are_encoded_into_the_query() {
        assert_eq!(with_return_to("/mfa", None, &[]), "/mfa");
        assert_eq!(with_return_to("", None, &[]), "");
        assert_eq!(
            with_return_to(
                "/login",
                Some("/t/a/authorize?x=1&y=2"),
                &[("login_hint", "a@b.c")]
            ),
            "/login?return_to=%2Ft%2Fa%2Fauthorize%3Fx%3D1%26y%3D2&login_hint=a%40b.c"
        );
        assert_eq!(
            with_return_to("", Some("/dashboard"), &[]),
            "?return_to=%2Fdashboard"
        );
    }
}
