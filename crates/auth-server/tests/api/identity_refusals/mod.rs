//! Every refusal of the hosted pages: a clear 4xx, a plain message, and
//! nothing changed.
mod login;
mod rate_limits;
mod sessions;
mod signup_and_forms;
mod tenant_pages;
