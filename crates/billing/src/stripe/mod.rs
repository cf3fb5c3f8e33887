//! Talking to Stripe (being written).
