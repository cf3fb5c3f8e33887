//! The Connect People URL table. `/healthz` and `/readyz` come from the
//! shared baseline; `/v1/me`, `/v1/people` and connections join here.
use actix_web::web;

pub fn configure(_cfg: &mut web::ServiceConfig) {}
