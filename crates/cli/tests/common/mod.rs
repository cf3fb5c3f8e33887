//! Helpers for tests that run the real `connectauth` binary.
#![allow(dead_code)]
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A master keyring for commands that read or change tenants, clients and
/// keys: they go through the auth server's use cases, which seal signing
/// keys with it.
pub const MASTER_KEYS: &str = "k1:q9Dq0V3bVv6n0mJm0l3cS8jE4o5v0X9aYb3cXk2mL1E";

pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_connectauth"));
    // Only what the test sets: no developer .env, no stray variables.
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    cmd
}

/// Runs `connectauth args…` in `dir` with `env`, to completion.
pub fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = bin();
    cmd.current_dir(dir).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("connectauth runs")
}

/// [`run`] with `input` on standard input.
pub fn run_with_input(dir: &Path, args: &[&str], env: &[(&str, &str)], input: &str) -> Output {
    use std::io::Write;
    let mut cmd = bin();
    cmd.current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("connectauth runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("input written");
    child.wait_with_output().expect("connectauth ends")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The value of the `key:` line of a command's output.
pub fn field(out: &str, key: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}:")))
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|| panic!("no `{key}:` line in {out}"))
}

/// The command failed (exit code 1) saying `message`.
pub fn refused(out: &Output, message: &str) {
    assert_eq!(out.status.code(), Some(1), "{}", stdout(out));
    assert!(stderr(out).contains(message), "{message}: {}", stderr(out));
}

pub use service_kit::testing::free_port;

/// `connectauth dev` on `data` (its parent the working directory) and the
/// auth, billing and people `ports`.
pub fn dev_command(data: &Path, ports: [u16; 3]) -> Command {
    let mut cmd = bin();
    cmd.current_dir(data.parent().expect("parent"))
        .arg("dev")
        .arg("--data-dir")
        .arg(data)
        .args([
            "--auth-port",
            &ports[0].to_string(),
            "--billing-port",
            &ports[1].to_string(),
            "--people-port",
            &ports[2].to_string(),
        ]);
    cmd
}

/// Starts a long-running command with piped output.
pub fn spawn(mut cmd: Command) -> Child {
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawned")
}

/// Polls `url` until it answers `status`, up to 60 s.
pub async fn wait_for(url: &str, status: u16) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(resp) = client.get(url).send().await {
            if resp.status().as_u16() == status {
                return;
            }
        }
        assert!(Instant::now() < deadline, "{url} never answered {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Sends SIGTERM and waits for the exit; returns its output.
pub fn terminate(child: Child) -> Output {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    child.wait_with_output().expect("child exits")
}

/// Sends SIGTERM and waits for the exit, whatever state the process is
/// in: for `Drop`, where a failed assertion would abort a failing test.
pub fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

/// Parses `KEY=value` lines, skipping comments and blanks.
pub fn parse_env(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.trim_matches('"').to_owned()))
        .collect()
}

pub fn repo_file(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Signs up on `tenant`'s hosted page like a browser: the CSRF cookie of the
/// form page, then the form.
pub async fn sign_up(auth: &str, tenant: &str, email: &str, password: &str) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let page = client
        .get(format!("{auth}/t/{tenant}/signup"))
        .send()
        .await
        .expect("signup page");
    assert_eq!(page.status().as_u16(), 200);
    let cookie = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("ca_csrf="))
        .expect("csrf cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    let csrf = cookie.trim_start_matches("ca_csrf=").to_owned();
    let done = client
        .post(format!("{auth}/t/{tenant}/signup"))
        .header("cookie", cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .expect("signup");
    assert_eq!(done.status().as_u16(), 200);
}

pub mod auth_process;
pub mod browser;
pub mod nginx;
pub mod pausable_proxy;
