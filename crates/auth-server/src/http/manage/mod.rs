//! The management API (`/manage/v1`), for platform operators.
pub mod tenants;
pub mod users;
