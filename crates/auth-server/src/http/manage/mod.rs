//! The management API (`/manage/v1`), for platform operators.
pub mod blocks;
pub mod clients;
pub mod contract;
pub mod invitations;
pub mod keys;
pub mod list_query;
pub mod openapi;
pub mod owners;
pub mod paths;
pub mod reports;
pub mod tenants;
pub mod upstream;
pub mod users;
pub mod webhooks;
