//! Sending one delivery: a POST of the event's JSON, signed, with a
//! timeout, no redirect followed and, unless private endpoints are
//! allowed, to public addresses only (names resolved by
//! [`crate::outbound::PublicOnly`] in [`crate::outbound::client`], an address in the URL checked again at
//! each attempt).
use std::time::{Duration, Instant};

use connectauth_verify::webhook::{sign_with, SIGNATURE_HEADER};
use service_kit::secret::Secret;

use super::WebhookError;
use crate::domain::webhook::delivery::{Attempt, Delivery};
use crate::domain::webhook::endpoint::{parse_url, PrivateEndpoints};

/// The longest error kept in the delivery log.
const MAX_ERROR: usize = 300;

#[derive(Clone)]
pub(super) struct Sender {
    client: reqwest::Client,
    private: PrivateEndpoints,
}

impl Sender {
    pub fn new(private: PrivateEndpoints, timeout: Duration) -> Result<Self, WebhookError> {
        Ok(Self {
            client: crate::outbound::client("ConnectAuth-Webhooks/1", timeout, private)
                .map_err(WebhookError::Client)?,
            private,
        })
    }

    /// One attempt of `delivery` to `url` at `now` (unix seconds, the
    /// signature's timestamp), signed with each of `secrets`.
    pub async fn attempt(
        &self,
        delivery: &Delivery,
        url: &str,
        secrets: &[Secret],
        now: i64,
    ) -> Attempt {
        let started = Instant::now();
        let (status, error) = match self.post(delivery, url, secrets, now).await {
            Ok(status) => (Some(i64::from(status)), None),
            Err(why) => (None, Some(why)),
        };
        Attempt {
            attempted_at: now,
            status,
            error,
            duration_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
        }
    }

    async fn post(
        &self,
        delivery: &Delivery,
        url: &str,
        secrets: &[Secret],
        now: i64,
    ) -> Result<u16, String> {
        let url = parse_url(url, self.private).map_err(|e| e.to_string())?;
        let keys: Vec<&str> = secrets.iter().map(Secret::expose).collect();
        let body = delivery.payload.clone().into_bytes();
        let signature = sign_with(&keys, now, &body);
        let response = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature)
            .header("ConnectAuth-Event-Id", &delivery.event_id)
            .header("ConnectAuth-Event-Type", &delivery.event_type)
            .header("ConnectAuth-Delivery-Id", &delivery.id)
            .body(body)
            .send()
            .await
            .map_err(describe)?;
        Ok(response.status().as_u16())
    }
}

/// Why a request got no answer, without the URL (it is shown beside), at
/// most [`MAX_ERROR`] characters: the innermost cause says most.
fn describe(e: reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut cause: Option<&dyn std::error::Error> = std::error::Error::source(&e);
    let mut innermost = None;
    while let Some(c) = cause {
        innermost = Some(c.to_string());
        cause = c.source();
    }
    let text = match innermost {
        Some(detail) => format!("{what}: {detail}"),
        None => what.to_owned(),
    };
    text.chars().take(MAX_ERROR).collect()
}

/// Whether an answer's status counts as delivered.
pub(super) fn delivered(status: Option<i64>) -> bool {
    status.is_some_and(|s| (200..300).contains(&s))
}
