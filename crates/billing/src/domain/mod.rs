//! Billing rules, without HTTP or SQL.
pub use service_kit::month;
pub mod invoice;
pub mod plan;
pub mod quota;
pub mod subscription;
pub mod tenant;
pub mod webhook_senders;
