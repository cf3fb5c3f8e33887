//! The hosted journeys in a real browser: Debian's headless Chromium against
//! the real auth server, with the relying party on another origin
//! (`relying_party.rs`), each test asserting that the browser reported no
//! Content-Security-Policy violation. Screenshots land in
//! `target/test-artifacts/` (under `CARGO_TARGET_DIR` when set).
mod account;
mod console;
mod dashboard;
mod federation;
mod journeys;
mod onboarding;
mod passkeys;
mod relying_party;
mod security_report;
mod support;
mod team;

#[path = "../api/web.rs"]
#[allow(dead_code)]
mod web;

#[path = "../support/billing_service.rs"]
mod billing_service;

#[path = "../api/billing_fake.rs"]
#[allow(dead_code)]
mod billing_fake;

/// The loopback server under the API tests' fakes.
#[path = "../api/fake_server.rs"]
#[allow(dead_code)]
mod fake_server;

/// The API tests' webhook receiver (loopback, records what it gets).
#[path = "../api/webhook_receiver.rs"]
#[allow(dead_code)]
mod webhook_receiver;

/// The API tests' server spawn and page helpers (`TestApp`).
#[path = "../api/helpers.rs"]
#[allow(dead_code)]
mod helpers;
