//! `connectauth tenant add-upstream|upstreams|enable-upstream|remove-upstream`
//! against real databases: the secret comes on standard input and is never
//! printed; a bad issuer is refused and nothing is stored.
mod common;

use common::{run, run_with_input, stderr, stdout};
use service_kit::both_engines;
use service_kit::db::Engine;
use service_kit::testing::TestDb;

const MASTER: &str = "k1:q9Dq0V3bVv6n0mJm0l3cS8jE4o5v0X9aYb3cXk2mL1E";

async fn upstream_lifecycle(engine: Engine) {
    let db = TestDb::new(engine).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let env = [
        ("AUTH_DATABASE_URL", db.url.as_str()),
        ("AUTH_MASTER_KEYS", MASTER),
        ("AUTH_PUBLIC_URL", "https://auth.example.com"),
    ];
    let tenant = |args: &[&str]| {
        let mut all = vec!["tenant"];
        all.extend_from_slice(args);
        run(dir.path(), &all, &env)
    };
    assert!(run(dir.path(), &["migrate", "auth"], &env).status.success());
    assert!(tenant(&["create", "acme"]).status.success());

    let add = |args: &[&str], secret: &str| {
        let mut all = vec!["tenant", "add-upstream", "acme"];
        all.extend_from_slice(args);
        run_with_input(dir.path(), &all, &env, secret)
    };
    let added = add(
        &["--preset", "google", "--client-id", "g.apps"],
        "s3cret-value\n",
    );
    assert!(added.status.success(), "{}", stderr(&added));
    let out = stdout(&added);
    assert!(
        out.contains("https://auth.example.com/t/acme/upstream/callback"),
        "{out}"
    );
    assert!(!out.contains("s3cret-value"), "the secret is never printed");

    // Refused: no secret, an http issuer, a slug taken. Nothing more stored.
    let no_secret = add(
        &[
            "--issuer",
            "https://idp.example",
            "--slug",
            "idp",
            "--name",
            "IdP",
            "--client-id",
            "c",
        ],
        "",
    );
    assert!(!no_secret.status.success());
    assert!(
        stderr(&no_secret).contains("standard input"),
        "{}",
        stderr(&no_secret)
    );
    let http = add(
        &[
            "--issuer",
            "http://idp.example",
            "--slug",
            "idp",
            "--name",
            "IdP",
            "--client-id",
            "c",
        ],
        "s\n",
    );
    assert!(!http.status.success());
    assert!(stderr(&http).contains("issuer"), "{}", stderr(&http));
    let taken = add(&["--preset", "google", "--client-id", "again"], "s\n");
    assert!(!taken.status.success());
    assert!(stderr(&taken).contains("slug"), "{}", stderr(&taken));

    // GitHub, a plain OAuth 2.0 preset; a generic OAuth 2.0 provider with
    // an http endpoint is refused.
    let github = add(&["--preset", "github", "--client-id", "Ov23li"], "s\n");
    assert!(github.status.success(), "{}", stderr(&github));
    assert!(stdout(&github).contains("oauth2"), "{}", stdout(&github));
    let insecure = add(
        &[
            "--kind",
            "oauth2",
            "--slug",
            "gen",
            "--name",
            "Gen",
            "--authorization-url",
            "http://idp.example/authorize",
            "--token-url",
            "https://idp.example/token",
            "--userinfo-url",
            "https://idp.example/me",
            "--client-id",
            "c",
        ],
        "s\n",
    );
    assert!(!insecure.status.success());
    assert!(
        stderr(&insecure).contains("authorization_url"),
        "{}",
        stderr(&insecure)
    );

    let listed = tenant(&["upstreams", "acme"]);
    let out = stdout(&listed);
    assert!(
        out.contains("google") && out.contains("https://accounts.google.com"),
        "{out}"
    );
    assert!(
        out.contains("github") && out.contains("https://github.com/login/oauth/authorize"),
        "{out}"
    );
    assert!(!out.contains("idp.example"), "{out}");
    assert!(!out.contains("s3cret-value"));

    let off = tenant(&["enable-upstream", "acme", "google", "false"]);
    assert!(off.status.success(), "{}", stderr(&off));
    assert!(stdout(&tenant(&["upstreams", "acme"])).contains("false"));
    let unknown = tenant(&["remove-upstream", "acme", "nope"]);
    assert!(!unknown.status.success());
    let removed = tenant(&["remove-upstream", "acme", "google"]);
    assert!(removed.status.success(), "{}", stderr(&removed));
    assert!(!stdout(&tenant(&["upstreams", "acme"])).contains("google"));
}

both_engines!(upstream_providers_from_the_cli, upstream_lifecycle);
