//! The billing service's URL table. `/healthz` and `/readyz` come from the
//! shared baseline; the billing API joins here.
use actix_web::web;

pub fn configure(_cfg: &mut web::ServiceConfig) {}
