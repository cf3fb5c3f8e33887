//! Billing rules, without HTTP or SQL.
pub mod plan;
