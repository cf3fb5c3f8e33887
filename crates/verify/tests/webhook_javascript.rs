//! The JavaScript verification function of docs/webhooks.md, run by
//! Node.js against signatures this crate makes (the same code that signs
//! ConnectAuth's deliveries): it accepts a good one, one of two after a
//! rotation, and refuses a changed body, another secret, an old timestamp
//! and a malformed header. `scripts/test` installs Node.js when missing.
use std::process::Command;

use connectauth_verify::webhook::{sign, sign_with};

/// The fenced `javascript` block of docs/webhooks.md.
fn snippet() -> String {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/webhooks.md"
    ))
    .expect("docs/webhooks.md");
    let start = doc.find("```javascript\n").expect("a javascript block") + "```javascript\n".len();
    let end = start + doc[start..].find("```").expect("its end");
    doc[start..end].to_owned()
}

#[test]
fn the_documented_javascript_verifies_what_connectauth_signs() {
    let secret = "whsec_7hSVpQdjmr0YmNbnBo0tK5xv2q0pcb8F0pZ9QeY3f0k";
    let body = r#"{"id":"4b1e8f0a","type":"user.created","data":{"name":"Zoë \"Z\" ✓"}}"#;
    let now = 1_765_029_800_i64;
    let good = sign(secret, now - 10, body.as_bytes());
    let rotated = sign_with(&["whsec_old", secret], now, body.as_bytes());
    let old = sign(secret, now - 301, body.as_bytes());
    let cases = serde_json::json!([
        [secret, good, body, true],
        [secret, rotated, body, true],
        ["whsec_old", rotated, body, true],
        [secret, good, body.replace("Zoë", "Zoe"), false],
        ["whsec_other", good, body, false],
        [secret, old, body, false],
        [secret, good.replace("t=", "x="), body, false],
        [secret, "", body, false],
    ]);
    let program = format!(
        "{}\nconst cases = {cases};\nfor (const [secret, header, body, expected] of cases) {{\n  \
         const got = verifyConnectAuthSignature(secret, header, Buffer.from(body, 'utf8'), {now});\n  \
         if (got !== expected) {{ console.error('case', JSON.stringify([header, expected]), 'got', got); process.exit(1); }}\n}}\n\
         console.log('ok', cases.length);\n",
        snippet()
    );
    let dir = tempfile_dir();
    let file = dir.join("verify.js");
    std::fs::write(&file, program).expect("write the program");
    let out = Command::new("node")
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("cannot run node ({e}): run scripts/test, which installs it"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.trim(), "ok 8");
    let _ = std::fs::remove_dir_all(dir);
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("webhook-js-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
