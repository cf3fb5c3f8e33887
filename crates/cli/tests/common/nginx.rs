//! A test's own nginx in front of auth instances: its own configuration,
//! pid file and logs in a temporary directory, on a free loopback port, in
//! the foreground (`-p DIR -c CONF -g 'daemon off;'`). The machine's nginx
//! service is never involved.
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The nginx binary, installed by `scripts/install-nginx` when missing;
/// `None` when it cannot be had (the caller skips, saying so).
pub fn binary() -> Option<PathBuf> {
    let find = || {
        ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
    };
    if let Some(found) = find() {
        return Some(found);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/install-nginx");
    let installed = Command::new(script).status().is_ok_and(|s| s.success());
    if installed {
        find()
    } else {
        None
    }
}

pub struct Nginx {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

/// The upstream block's settings, as `deploy/nginx/connectauth.conf` advises
/// for several instances: round robin; an instance that fails a connection
/// is left alone for `fail_timeout`; a request goes to the next instance
/// only on a connection error or timeout, and a non-idempotent one (POST)
/// only if it was not sent yet (nginx's default without `non_idempotent`).
const UPSTREAM_SETTINGS: &str = "max_fails=1 fail_timeout=10s";

impl Nginx {
    /// Starts nginx on a free loopback port, proxying to `upstreams` (ports
    /// on 127.0.0.1), and waits until it answers.
    pub async fn start(binary: &Path, upstreams: &[u16]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = super::free_port();
        let servers: String = upstreams
            .iter()
            .map(|p| format!("        server 127.0.0.1:{p} {UPSTREAM_SETTINGS};\n"))
            .collect();
        let d = dir.path().display();
        let conf = format!(
            r#"worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 512; }}
http {{
    # msec, status, which instance(s) answered and how: the evidence of
    # the scale-out test.
    log_format scale '$msec $request_method $uri $status "$upstream_addr" "$upstream_status" $request_time';
    access_log {d}/access.log scale;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    upstream connectauth_auth {{
{servers}        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 1m;
        location / {{
            proxy_pass http://connectauth_auth;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header X-Request-Id $request_id;
            proxy_set_header Forwarded "";
            proxy_set_header X-Real-IP "";
            proxy_next_upstream error timeout;
            proxy_connect_timeout 2s;
        }}
    }}
}}
"#
        );
        let conf_path = dir.path().join("nginx.conf");
        std::fs::write(&conf_path, conf).expect("nginx.conf");
        let child = Command::new(binary)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&conf_path)
            .args(["-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("nginx starts");
        let nginx = Self {
            port,
            dir,
            child: Some(child),
        };
        super::wait_for(&nginx.url("/healthz"), 200).await;
        nginx
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The access log so far, one request a line (see `log_format scale`).
    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("access.log")).unwrap_or_default()
    }

    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        if let Some(child) = self.child.take() {
            // SIGTERM: nginx's fast shutdown.
            super::stop(child);
        }
    }
}
