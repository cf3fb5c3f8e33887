//! `GET /callback`: the page the demo client of `connectauth dev` lands on
//! shows the code and the command that exchanges it, escaped, under the
//! pages' strict CSP.
use service_kit::db::Engine;

use crate::helpers::{send, spawn_app};

/// The text of HTML-escaped markup, for the entities minijinja writes.
fn unescape(html: &str) -> String {
    html.replace("&#x2f;", "/")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[tokio::test]
async fn the_callback_page_shows_the_code_and_the_exchange_command() {
    let app = spawn_app(Engine::Sqlite).await;
    let resp = send(app.client.get(app.url("/callback")).query(&[
        ("code", "abc"),
        ("state", "demo"),
        ("iss", app.issuer.as_str()),
    ]))
    .await;
    assert_eq!(resp.status().as_u16(), 200);
    let headers = resp.headers().clone();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["cache-control"], "no-store");
    let csp = headers["content-security-policy"].to_str().expect("ascii");
    assert!(csp.starts_with("default-src 'self'") && !csp.contains("unsafe-inline"));
    let html = resp.text().await.expect("body");
    assert!(html.contains("<code id=\"code\">abc</code>"), "{html}");
    assert!(html.contains("<code id=\"state\">demo</code>"), "{html}");
    // The issuer's token endpoint, the demo client, its verifier and the code
    // (as the browser shows it: minijinja escapes `/` too).
    let shown = unescape(&html);
    let start = format!(
        "curl -s {}/token \\\n  -d grant_type=authorization_code \
         -d client_id=cli_connect-people-dev-app \\\n  -d redirect_uri=http://",
        app.issuer
    );
    let end = "/callback \\\n  \
               -d code_verifier=connect-people-demo-verifier-0123456789-abcdefghij -d code=abc</pre>";
    assert!(shown.contains(&start) && shown.contains(end), "{shown}");
    assert!(
        !html.contains("<script") && !html.contains("style="),
        "nothing inline"
    );
    assert!(html.contains("<link rel=\"stylesheet\" href=\"/callback.css\">"));
    let css = send(app.client.get(app.url("/callback.css"))).await;
    assert_eq!(css.status().as_u16(), 200);
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
}

#[tokio::test]
async fn html_in_the_query_is_escaped_and_errors_are_shown() {
    let app = spawn_app(Engine::Sqlite).await;
    let html = send(
        app.client
            .get(app.url("/callback"))
            .query(&[("code", "<b>x</b>\"'&"), ("state", "<i>s</i>")]),
    )
    .await
    .text()
    .await
    .expect("body");
    assert!(
        !html.contains("<b>x</b>") && !html.contains("<i>s</i>"),
        "{html}"
    );
    assert!(
        html.contains("&lt;b&gt;x&lt;&#x2f;b&gt;&quot;&#x27;&amp;"),
        "{html}"
    );
    assert!(!html.contains("curl -s"), "no command for such a code");

    let denied = send(app.client.get(app.url("/callback")).query(&[
        ("error", "access_denied"),
        ("error_description", "<em>no</em>"),
        ("state", "demo"),
    ]))
    .await;
    assert_eq!(denied.status().as_u16(), 200);
    let html = denied.text().await.expect("body");
    assert!(html.contains("access_denied") && html.contains("&lt;em&gt;no&lt;&#x2f;em&gt;"));
    assert!(!html.contains("curl -s"), "{html}");
}
