//! The billing service over real HTTP, on SQLite and PostgreSQL, against
//! Stripe stand-ins: PyPI's localstripe and a Stripe-shaped fake.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod access;
mod gateway;
mod health;
mod helpers;
mod localstripe;
mod metering;
mod metrics;
mod offline;
mod quotas;
mod stripe_fake;
mod subscriptions;
mod webhooks;
