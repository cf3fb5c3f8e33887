//! Billing rules, without HTTP or SQL.
pub mod month;
pub mod plan;
pub mod quota;
pub mod subscription;
pub mod tenant;
