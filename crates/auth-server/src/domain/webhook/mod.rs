//! Event webhooks' rules (docs/webhooks.md): which audit events become
//! which webhook events and what they carry (`event`), what an endpoint
//! may be (`endpoint`), and when a failed delivery is tried again
//! (`retry`). Free of HTTP and SQL.
pub mod delivery;
pub mod endpoint;
pub mod event;
pub mod retry;
