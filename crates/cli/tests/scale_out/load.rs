//! The load of the scale-out test: tasks that each send one request at a
//! time through nginx until a deadline, recording when each was sent, when
//! it ended and how.
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{PASSWORD, SLUG};
use crate::common::browser::{token, Browser};

/// A client sending from `source` (a loopback address), redirects unfollowed.
pub fn http_from(source: Option<Ipv4Addr>) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .local_address(source.map(IpAddr::V4))
        .build()
        .expect("client")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Login,
    ClientCredentials,
    Refresh,
    CreateUser,
    Jwks,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Login,
        Kind::ClientCredentials,
        Kind::Refresh,
        Kind::CreateUser,
        Kind::Jwks,
    ];

    /// The status of a success.
    pub fn ok(self) -> u16 {
        match self {
            Kind::Login => 303,
            Kind::ClientCredentials | Kind::Refresh | Kind::CreateUser | Kind::Jwks => 200,
        }
    }
}

/// One request of the load: when it was sent, when it ended, and how
/// (`None`: no HTTP answer at all).
#[derive(Debug)]
pub struct Outcome {
    pub kind: Kind,
    pub started: Instant,
    pub ended: Instant,
    pub status: Option<u16>,
}

impl Outcome {
    pub fn failed(&self) -> bool {
        self.status != Some(self.kind.ok())
    }
}

/// What every load task shares.
pub struct Load {
    pub base: String,
    pub tenant_id: String,
    pub admin_token: String,
    pub cc: (String, String),
    pub web: (String, String),
    pub until: Instant,
}

pub fn record(kind: Kind, started: Instant, status: Option<u16>) -> Outcome {
    Outcome {
        kind,
        started,
        ended: Instant::now(),
        status,
    }
}

/// Logs in as `email` again and again, each time as a new browser from the
/// next address of 127.0.`net`.x (so no address spends its form budget).
pub async fn logins(load: Arc<Load>, net: u8, email: String) -> Vec<Outcome> {
    let mut out = Vec::new();
    let mut host = 0u8;
    while Instant::now() < load.until {
        host = host % 250 + 1;
        let browser = Browser::new(
            http_from(Some(Ipv4Addr::new(127, 0, net, host))),
            &load.base,
        );
        let started = Instant::now();
        let status = browser
            .log_in(SLUG, &email, PASSWORD)
            .await
            .ok()
            .map(|a| a.status);
        out.push(record(Kind::Login, started, status));
    }
    out
}

pub async fn client_credentials(load: Arc<Load>) -> Vec<Outcome> {
    let http = http_from(None);
    let mut out = Vec::new();
    while Instant::now() < load.until {
        let started = Instant::now();
        let status = token(
            &http,
            &load.base,
            SLUG,
            (&load.cc.0, &load.cc.1),
            &[("grant_type", "client_credentials"), ("scope", "api:read")],
        )
        .await
        .ok()
        .map(|(s, _)| s);
        out.push(record(Kind::ClientCredentials, started, status));
    }
    out
}

/// Rotates one refresh token family; a failed rotation is retried with the
/// same token (the client's reuse interval gives the first answer again if
/// the rotation was made but its answer lost). Returns the newest token
/// received.
pub async fn refreshes(load: Arc<Load>, mut newest: String) -> (Vec<Outcome>, String) {
    let http = http_from(None);
    let mut out = Vec::new();
    while Instant::now() < load.until {
        let started = Instant::now();
        let answer = token(
            &http,
            &load.base,
            SLUG,
            (&load.web.0, &load.web.1),
            &[("grant_type", "refresh_token"), ("refresh_token", &newest)],
        )
        .await;
        let status = match answer {
            Ok((200, body)) => {
                newest = body["refresh_token"]
                    .as_str()
                    .expect("a new refresh token")
                    .to_owned();
                Some(200)
            }
            Ok((status, _)) => Some(status),
            Err(_) => None,
        };
        out.push(record(Kind::Refresh, started, status));
    }
    (out, newest)
}

/// Imports one new user per request; returns the addresses acknowledged.
pub async fn user_creations(load: Arc<Load>) -> (Vec<Outcome>, Vec<String>) {
    let http = http_from(None);
    let mut out = Vec::new();
    let mut acknowledged = Vec::new();
    let mut n = 0;
    while Instant::now() < load.until {
        n += 1;
        let email = format!("new-{n}@scale.test");
        let started = Instant::now();
        let (status, body) = match http
            .post(format!(
                "{}/manage/v1/tenants/{}/users/import",
                load.base, load.tenant_id
            ))
            .bearer_auth(&load.admin_token)
            .json(&json!({ "users": [{ "email": email, "email_verified": true }] }))
            .send()
            .await
        {
            Ok(resp) => {
                let status = resp.status().as_u16();
                (
                    Some(status),
                    resp.json::<Value>().await.unwrap_or(Value::Null),
                )
            }
            Err(_) => (None, Value::Null),
        };
        if status == Some(200) {
            assert_eq!(body["created"], 1, "{body}");
            acknowledged.push(email);
        }
        out.push(record(Kind::CreateUser, started, status));
    }
    (out, acknowledged)
}

pub async fn jwks_reads(load: Arc<Load>) -> Vec<Outcome> {
    let http = http_from(None);
    let mut out = Vec::new();
    while Instant::now() < load.until {
        let started = Instant::now();
        let status = http
            .get(format!("{}/t/{SLUG}/jwks.json", load.base))
            .send()
            .await
            .ok()
            .map(|r| r.status().as_u16());
        out.push(record(Kind::Jwks, started, status));
    }
    out
}

/// Per kind: (successes, failures).
pub fn summary(outcomes: &[Outcome]) -> String {
    Kind::ALL
        .iter()
        .map(|k| {
            let of_kind = outcomes.iter().filter(|o| o.kind == *k);
            let (ok, failed): (Vec<_>, Vec<_>) = of_kind.partition(|o| !o.failed());
            format!("{k:?} {}/{}", ok.len(), failed.len())
        })
        .collect::<Vec<_>>()
        .join(", ")
}
