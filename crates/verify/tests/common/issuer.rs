//! A second, independent issuer for the remote tests: discovery, JWKS and
//! introspection served over loopback HTTP by a small hand-written server
//! (no code shared with the crate under test). It counts requests and can
//! rotate keys, change `Cache-Control`, slow down, or go down.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use jsonwebtoken::Algorithm as JwtAlg;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{jwks, token, TestKey, AUDIENCE};

pub const TENANT_PATH: &str = "/t/acme";
pub const JWKS_PATH: &str = "/t/acme/jwks.json";
pub const DISCOVERY_PATH: &str = "/t/acme/.well-known/openid-configuration";
pub const RFC8414_PATH: &str = "/.well-known/oauth-authorization-server/t/acme";
pub const INTROSPECT_PATH: &str = "/t/acme/introspect";
pub const CLIENT_ID: &str = "orders-api";
pub const CLIENT_SECRET: &str = "s3cret/with:odd chars";

pub struct TestIssuer {
    /// `http://127.0.0.1:PORT/t/acme`.
    pub issuer: String,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    hits: Mutex<HashMap<String, usize>>,
}

#[derive(Default)]
struct State {
    jwks: String,
    cache_control: Option<String>,
    /// `issuer` published in discovery, when not the real one.
    discovery_issuer: Option<String>,
    /// Answer 404 at the OIDC discovery URL (an RFC 8414-only issuer).
    oidc_discovery_missing: bool,
    down: bool,
    jwks_delay: Duration,
    revoked: HashSet<String>,
}

impl TestIssuer {
    /// Starts the issuer on a loopback port, in a thread of its own, with
    /// `keys` published (ES256).
    pub fn start(keys: &[&TestKey]) -> TestIssuer {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let base = format!("http://{}", std_listener.local_addr().unwrap());
        let issuer = format!("{base}{TENANT_PATH}");
        let shared = Arc::new(Shared::default());
        let server = TestIssuer {
            issuer: issuer.clone(),
            base: base.clone(),
            shared: Arc::clone(&shared),
        };
        server.publish(keys);
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = TcpListener::from_std(std_listener).unwrap();
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let (shared, issuer, base) =
                        (Arc::clone(&shared), issuer.clone(), base.clone());
                    tokio::spawn(async move {
                        let _ = serve(stream, &shared, &issuer, &base).await;
                    });
                }
            });
        });
        server
    }

    /// Publishes exactly `keys` (a rotation when they differ).
    pub fn publish(&self, keys: &[&TestKey]) {
        let jwks = jwks(
            &keys
                .iter()
                .map(|k| k.jwk_with(json!({"alg": "ES256"})))
                .collect::<Vec<_>>(),
        );
        self.state().jwks = jwks;
    }

    pub fn set_cache_control(&self, value: Option<&str>) {
        self.state().cache_control = value.map(str::to_owned);
    }

    pub fn set_discovery_issuer(&self, issuer: &str) {
        self.state().discovery_issuer = Some(issuer.to_owned());
    }

    pub fn set_oidc_discovery_missing(&self) {
        self.state().oidc_discovery_missing = true;
    }

    /// Down: every request answers 503.
    pub fn set_down(&self, down: bool) {
        self.state().down = down;
    }

    pub fn set_jwks_delay(&self, delay: Duration) {
        self.state().jwks_delay = delay;
    }

    /// Introspection will answer `active: false` for `token`.
    pub fn revoke(&self, token: &str) {
        self.state().revoked.insert(token.to_owned());
    }

    /// Requests received for `path`.
    pub fn hits(&self, path: &str) -> usize {
        self.shared
            .hits
            .lock()
            .unwrap()
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    pub fn jwks_fetches(&self) -> usize {
        self.hits(JWKS_PATH)
    }

    /// RFC 9068 claims from this issuer, valid now (real clock).
    pub fn claims(&self) -> Value {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        json!({
            "iss": self.issuer, "aud": AUDIENCE, "sub": "user-7", "client_id": "cli-1",
            "iat": now - 10, "nbf": now - 10, "exp": now + 300, "jti": format!("jti-{now}"),
            "scope": "orders:read profile", "tid": "tenant-42"
        })
    }

    /// A valid ES256 access token signed with `key`.
    pub fn token(&self, key: &TestKey) -> String {
        token(key, JwtAlg::ES256, &self.claims())
    }

    /// A valid token with `extra` claims set over the defaults.
    pub fn token_with(&self, key: &TestKey, extra: Value) -> String {
        let mut claims = self.claims();
        for (k, v) in extra.as_object().unwrap() {
            claims[k] = v.clone();
        }
        token(key, JwtAlg::ES256, &claims)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.shared.state.lock().unwrap()
    }
}

struct Request {
    method: String,
    path: String,
    authorization: Option<String>,
    body: String,
}

async fn serve(
    mut stream: TcpStream,
    shared: &Shared,
    issuer: &str,
    base: &str,
) -> std::io::Result<()> {
    let Some(req) = read_request(&mut stream).await? else {
        return Ok(());
    };
    *shared
        .hits
        .lock()
        .unwrap()
        .entry(req.path.clone())
        .or_default() += 1;
    let delay = shared.state.lock().unwrap().jwks_delay;
    if req.path == JWKS_PATH && !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let (status, headers, body) = respond(&req, &shared.state.lock().unwrap(), issuer, base);
    let mut out = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&body);
    stream.write_all(out.as_bytes()).await?;
    stream.shutdown().await
}

fn respond(
    req: &Request,
    state: &State,
    issuer: &str,
    base: &str,
) -> (&'static str, Vec<(&'static str, String)>, String) {
    if state.down {
        return (
            "503 Service Unavailable",
            vec![],
            r#"{"error":"down"}"#.into(),
        );
    }
    let not_found = ("404 Not Found", vec![], "{}".to_owned());
    let metadata = || {
        json!({
            "issuer": state.discovery_issuer.as_deref().unwrap_or(issuer),
            "jwks_uri": format!("{base}{JWKS_PATH}"),
            "introspection_endpoint": format!("{base}{INTROSPECT_PATH}"),
            "token_endpoint": format!("{issuer}/token"),
            "response_types_supported": ["code"],
        })
        .to_string()
    };
    match (req.method.as_str(), req.path.as_str()) {
        ("GET", DISCOVERY_PATH) if state.oidc_discovery_missing => not_found,
        ("GET", DISCOVERY_PATH | RFC8414_PATH) => ("200 OK", vec![], metadata()),
        ("GET", JWKS_PATH) => {
            let headers = state
                .cache_control
                .iter()
                .map(|v| ("cache-control", v.clone()))
                .collect();
            ("200 OK", headers, state.jwks.clone())
        }
        ("POST", INTROSPECT_PATH) => {
            let expected = format!(
                "Basic {}",
                STANDARD.encode("orders-api:s3cret%2Fwith%3Aodd+chars")
            );
            if req.authorization.as_deref() != Some(expected.as_str()) {
                return (
                    "401 Unauthorized",
                    vec![],
                    r#"{"error":"invalid_client"}"#.into(),
                );
            }
            let token = req
                .body
                .split('&')
                .find_map(|pair| pair.strip_prefix("token="))
                .unwrap_or("");
            let active = !token.is_empty() && !state.revoked.contains(token);
            ("200 OK", vec![], json!({ "active": active }).to_string())
        }
        _ => not_found,
    }
}

async fn read_request(stream: &mut TcpStream) -> std::io::Result<Option<Request>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or("").split(' ');
    let method = request_line.next().unwrap_or("").to_owned();
    let path = request_line.next().unwrap_or("").to_owned();
    let mut content_length = 0;
    let mut authorization = None;
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => content_length = value.trim().parse().unwrap_or(0),
                "authorization" => authorization = Some(value.trim().to_owned()),
                _ => {}
            }
        }
    }
    while buf.len() < head_end + content_length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body_end = buf.len().min(head_end + content_length);
    Ok(Some(Request {
        method,
        path,
        authorization,
        body: String::from_utf8_lossy(&buf[head_end..body_end]).into_owned(),
    }))
}
