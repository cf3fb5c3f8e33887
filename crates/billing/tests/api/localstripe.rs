//! PyPI's localstripe (an independent Stripe stand-in) for tests, and the
//! tests that use it: the gateway's customer calls, and webhooks signed by
//! localstripe accepted by our signature check.
//!
//! `LOCALSTRIPE_BIN` must name the launcher `scripts/install-localstripe`
//! prints (`scripts/test` exports it); without it these tests fail.
//! localstripe has no prices, Checkout, portal or webhook-endpoint API, and
//! renders older object shapes, so the rest is tested against the fake.
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use billing::config::{PriceIds, StripeSettings};
use billing::stripe::webhook::{parse_event, verify_signature, SignatureError};
use billing::stripe::Gateway;
use service_kit::secret::Secret;

use crate::stripe_fake::receiver::WebhookReceiver;

/// Any `sk_…` key works with localstripe.
pub const LOCALSTRIPE_KEY: &str = "sk_test_localstripe_connectauth";

/// A running localstripe on `127.0.0.1:<free port>`, killed on drop.
pub struct Localstripe {
    child: Child,
    url: String,
    _log: tempfile::NamedTempFile,
}

impl Drop for Localstripe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Localstripe {
    pub async fn start() -> Self {
        let bin = std::env::var("LOCALSTRIPE_BIN").unwrap_or_default();
        assert!(
            !bin.is_empty() && std::path::Path::new(&bin).is_file(),
            "LOCALSTRIPE_BIN is not set or not a file ({bin:?}): run `scripts/install-localstripe` \
             and export LOCALSTRIPE_BIN=<the path it prints> (scripts/test does both)"
        );
        let mut last_error = String::new();
        for _ in 0..3 {
            let port = service_kit::testing::free_port();
            let log = tempfile::NamedTempFile::new().expect("log file");
            let child = Command::new(&bin)
                .args(["--port", &port.to_string(), "--from-scratch"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::from(log.reopen().expect("log")))
                .spawn()
                .unwrap_or_else(|e| panic!("cannot run LOCALSTRIPE_BIN {bin}: {e}"));
            let mut server = Self {
                child,
                url: format!("http://127.0.0.1:{port}"),
                _log: log,
            };
            match server.wait_until_ready().await {
                Ok(()) => return server,
                Err(error) => {
                    last_error = format!(
                        "{error}\n--- localstripe log ---\n{}",
                        std::fs::read_to_string(server._log.path()).unwrap_or_default()
                    );
                }
            }
        }
        panic!("localstripe did not start: {last_error}");
    }

    async fn wait_until_ready(&mut self) -> Result<(), String> {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("localstripe exited: {status}"));
            }
            let answer = client
                .get(format!("{}/v1/customers", self.url))
                .bearer_auth(LOCALSTRIPE_KEY)
                .send()
                .await;
            if answer.is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err("localstripe did not answer within 20 s".into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// e.g. `http://127.0.0.1:PORT` (the API is under `/v1`).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn settings(&self) -> StripeSettings {
        StripeSettings {
            secret_key: Secret::new(LOCALSTRIPE_KEY),
            api_base: Some(self.url.clone()),
            webhook_secrets: Vec::new(),
            webhook_tolerance_secs: 300,
            prices: PriceIds::default(),
        }
    }

    /// Sends localstripe's events of `events` to `url`, signed with `secret`
    /// (its `/_config/webhooks/{name}` endpoint).
    pub async fn configure_webhook(&self, name: &str, url: &str, secret: &str, events: &[&str]) {
        let mut form: Vec<(&str, &str)> = vec![("url", url), ("secret", secret)];
        form.extend(events.iter().map(|e| ("events[]", *e)));
        let answer = reqwest::Client::new()
            .post(format!("{}/_config/webhooks/{name}", self.url))
            .form(&form)
            .send()
            .await
            .expect("localstripe answers");
        assert!(
            answer.status().is_success(),
            "webhook config: {}",
            answer.status()
        );
    }

    /// The customers localstripe holds, as JSON.
    pub async fn customers(&self) -> Vec<serde_json::Value> {
        let list: serde_json::Value = reqwest::Client::new()
            .get(format!("{}/v1/customers", self.url()))
            .bearer_auth(LOCALSTRIPE_KEY)
            .send()
            .await
            .expect("localstripe answers")
            .json()
            .await
            .expect("JSON");
        list["data"].as_array().cloned().unwrap_or_default()
    }
}

#[tokio::test]
async fn gateway_creates_customers_on_localstripe() {
    let localstripe = Localstripe::start().await;
    let gateway = Gateway::new(&localstripe.settings()).expect("gateway");
    let first = gateway
        .create_customer("tenant-1", "Acme", Some("owner@acme.test"))
        .await
        .expect("created");
    assert!(first.starts_with("cus_"), "{first}");
    let customers = localstripe.customers().await;
    assert_eq!(customers.len(), 1);
    assert_eq!(customers[0]["id"], first.as_str());
    assert_eq!(customers[0]["name"], "Acme");
    assert_eq!(customers[0]["email"], "owner@acme.test");
    assert_eq!(customers[0]["metadata"]["tenant_id"], "tenant-1");

    // localstripe 1.15.10 ignores Idempotency-Key: the retry makes a second
    // customer (real Stripe and the fake return the first one; see
    // gateway::create_customer_is_idempotent_per_tenant). Should localstripe
    // start honouring it, this fails and the assertion should flip.
    let retry = gateway
        .create_customer("tenant-1", "Acme", Some("owner@acme.test"))
        .await
        .expect("created again");
    assert_ne!(retry, first, "localstripe now honours Idempotency-Key");
    assert_eq!(localstripe.customers().await.len(), 2);

    // Its errors come back as Stripe errors.
    let error = gateway.subscription("sub_missing").await.expect_err("404");
    assert_eq!(error.status(), Some(404), "{error:?}");
}

#[tokio::test]
async fn webhooks_signed_by_localstripe_pass_our_signature_check() {
    const SECRET: &str = "whsec_localstripe_0123456789";
    let localstripe = Localstripe::start().await;
    let receiver = WebhookReceiver::start(&[SECRET]).await;
    localstripe
        .configure_webhook("connectauth", receiver.url(), SECRET, &["customer.created"])
        .await;
    let gateway = Gateway::new(&localstripe.settings()).expect("gateway");
    let customer = gateway
        .create_customer("tenant-9", "Zeta", None)
        .await
        .expect("created");

    // localstripe waits a second before sending.
    let deliveries = receiver.wait_for(1, 15).await;
    assert_eq!(deliveries.len(), 1, "one customer.created delivery");
    let delivery = &deliveries[0];
    assert!(
        delivery.accepted,
        "our receiver accepted localstripe's signature"
    );
    let header = delivery
        .signature
        .as_deref()
        .expect("Stripe-Signature header");
    assert!(
        header.starts_with("t=") && header.contains(",v1="),
        "{header}"
    );

    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert_eq!(
        verify_signature(&delivery.body, header, &[Secret::new(SECRET)], now, 300),
        Ok(())
    );
    assert_eq!(
        verify_signature(
            &delivery.body,
            header,
            &[Secret::new("whsec_wrong")],
            now,
            300
        ),
        Err(SignatureError::Mismatch)
    );
    let mut tampered = delivery.body.clone();
    tampered.push(b'\n');
    assert_eq!(
        verify_signature(&tampered, header, &[Secret::new(SECRET)], now, 300),
        Err(SignatureError::Mismatch)
    );

    let event = parse_event(&delivery.body).expect("event");
    assert_eq!(event.kind, "customer.created");
    assert!(event.id.starts_with("evt_"), "{}", event.id);
    assert_eq!(event.object["id"], customer.as_str());
    assert_eq!(event.object["metadata"]["tenant_id"], "tenant-9");
}
