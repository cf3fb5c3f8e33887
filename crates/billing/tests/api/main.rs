//! The billing service over real HTTP, on SQLite and PostgreSQL, against
//! Stripe stand-ins: PyPI's localstripe and a Stripe-shaped fake.
mod gateway;
mod health;
mod localstripe;
mod stripe_fake;
