//! Auth server integration tests: the real server on a loopback port against
//! a fresh database per test, on SQLite and PostgreSQL.
mod baseline;
mod billing_e2e;
mod billing_fake;
#[path = "../support/billing_service.rs"]
mod billing_service;
mod billing_signup;
mod billing_token;
mod billing_usage;
mod client_address;
mod client_disable;
mod dashboard_e2e;
mod dashboard_owners;
mod dashboard_pages;
mod deploy_files;
mod discovery;
mod helpers;
mod hosted_journeys;
mod identity_flow;
mod identity_refusals;
mod manage_clients;
mod manage_users;
mod mfa_enrolment;
mod oidc;
mod oidc_flow;
mod oidc_refusals;
mod page_failures;
mod people_e2e;
mod readiness;
mod refresh_reuse;
mod refresh_scope;
mod session_grants;
mod signing_keys;
mod tenant_store;
mod tenants;
mod userinfo;
mod web;
