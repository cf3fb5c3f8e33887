//! `connectauth serve auth` as a real process with production settings, and
//! what a test provisions on it through the management API.
use std::path::Path;
use std::process::Child;

use serde_json::{json, Value};

use super::{bin, free_port, MASTER_KEYS};

/// The issuer origin the instances are configured with: https, as production
/// requires; the tests reach them over plain HTTP on loopback.
pub const PUBLIC_URL: &str = "https://auth.scale.test";

/// What every instance of one deployment shares.
pub struct Deployment {
    pub database_url: String,
    pub admin_token: String,
    /// Extra settings, e.g. `REDIS_URL`.
    pub extra: Vec<(String, String)>,
}

impl Deployment {
    pub fn new(database_url: &str) -> Self {
        Self {
            database_url: database_url.to_owned(),
            admin_token: service_kit::secret::generate().expect("csprng"),
            extra: Vec::new(),
        }
    }

    pub fn set(&mut self, key: &str, value: &str) -> &mut Self {
        self.extra.push((key.to_owned(), value.to_owned()));
        self
    }

    /// `connectauth migrate auth` on the database.
    pub fn migrate(&self, dir: &Path) {
        let out = super::run(
            dir,
            &["migrate", "auth"],
            &[
                ("AUTH_DATABASE_URL", self.database_url.as_str()),
                ("AUTH_MASTER_KEYS", MASTER_KEYS),
            ],
        );
        assert!(out.status.success(), "migrate: {}", super::stderr(&out));
    }

    /// Starts one instance on a free loopback port; its log goes to
    /// `dir/auth-PORT.log`.
    pub fn spawn(&self, dir: &Path) -> AuthProcess {
        let port = free_port();
        let log = std::fs::File::create(dir.join(format!("auth-{port}.log"))).expect("log file");
        let mut cmd = bin();
        cmd.current_dir(dir)
            .args(["serve", "auth"])
            .env("CONNECTAUTH_ENV", "production")
            .env("CONNECTAUTH_LOG_FORMAT", "json")
            .env("RUST_LOG", "warn")
            .env("AUTH_BIND", format!("127.0.0.1:{port}"))
            .env("AUTH_PUBLIC_URL", PUBLIC_URL)
            .env("AUTH_DATABASE_URL", &self.database_url)
            .env("AUTH_ADMIN_TOKEN", &self.admin_token)
            .env("AUTH_MASTER_KEYS", MASTER_KEYS)
            // nginx on the same host: its address is the one to believe.
            .env("AUTH_TRUSTED_PROXIES", "127.0.0.1,::1")
            // No mail leaves in these tests; nothing listens on port 9.
            .env("SMTP_URL", "smtp://127.0.0.1:9")
            .env("MAIL_FROM", "ConnectAuth <no-reply@scale.test>")
            .env("AUTH_BILLING_URL", "")
            .stdout(std::process::Stdio::null())
            .stderr(log);
        for (k, v) in &self.extra {
            cmd.env(k, v);
        }
        AuthProcess {
            port,
            child: Some(cmd.spawn().expect("connectauth serve auth starts")),
        }
    }
}

/// One running `connectauth serve auth`.
pub struct AuthProcess {
    pub port: u16,
    child: Option<Child>,
}

impl AuthProcess {
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Waits until `/readyz` answers 200.
    pub async fn ready(&self) {
        super::wait_for(&self.url("/readyz"), 200).await;
    }

    /// `kill -9`, and waits until the process is gone.
    pub fn kill_hard(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL");
            child.wait().expect("reaped");
        }
    }
}

impl Drop for AuthProcess {
    fn drop(&mut self) {
        if let Some(child) = self.child.take() {
            super::stop(child);
        }
    }
}

/// The management API of `base` with `token`.
pub struct Manage<'a> {
    pub http: &'a reqwest::Client,
    pub base: &'a str,
    pub token: &'a str,
}

impl Manage<'_> {
    /// POSTs `body` to `path`; returns the status and the JSON body (Null if none).
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let resp = self
            .http
            .post(format!("{}/manage/v1{path}", self.base))
            .bearer_auth(self.token)
            .json(body)
            .send()
            .await
            .expect("sent");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let resp = self
            .http
            .get(format!("{}/manage/v1{path}", self.base))
            .bearer_auth(self.token)
            .send()
            .await
            .expect("sent");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// A tenant; returns its id.
    pub async fn tenant(&self, slug: &str, settings: Value) -> String {
        let (status, body) = self
            .post(
                "/tenants",
                &json!({ "slug": slug, "display_name": slug, "settings": settings }),
            )
            .await;
        assert_eq!(status, 201, "tenant {slug}: {body}");
        body["id"].as_str().expect("id").to_owned()
    }

    /// A confidential client; returns (client_id, client_secret).
    pub async fn client(&self, tenant_id: &str, body: Value) -> (String, String) {
        let (status, body) = self
            .post(&format!("/tenants/{tenant_id}/clients"), &body)
            .await;
        assert_eq!(status, 201, "client: {body}");
        (
            body["client_id"].as_str().expect("client_id").to_owned(),
            body["client_secret"].as_str().expect("secret").to_owned(),
        )
    }

    /// Imports verified users with `password`; returns the status.
    pub async fn import_users(
        &self,
        tenant_id: &str,
        emails: &[String],
        password_hash: &str,
    ) -> u16 {
        let users: Vec<Value> = emails
            .iter()
            .map(|e| json!({ "email": e, "email_verified": true, "password_hash": password_hash }))
            .collect();
        self.post(
            &format!("/tenants/{tenant_id}/users/import"),
            &json!({ "users": users }),
        )
        .await
        .0
    }
}

/// An argon2id PHC string of `password` (the server's own parameters).
pub fn password_hash(password: &str) -> String {
    use argon2::password_hash::rand_core::OsRng;
    use argon2::password_hash::{PasswordHasher, SaltString};
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &SaltString::generate(&mut OsRng))
        .expect("hash")
        .to_string()
}
