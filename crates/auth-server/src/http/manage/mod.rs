//! The management API (`/manage/v1`), for platform operators.
pub mod clients;
pub mod contract;
pub mod openapi;
pub mod owners;
pub mod tenant_path;
pub mod tenants;
pub mod users;
