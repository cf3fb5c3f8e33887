//! Rules of the auth server, free of HTTP and SQL.
pub mod branding;
pub mod client;
pub mod display_name;
pub mod email;
pub mod event_query;
pub mod json_object;
pub mod lockout;
pub mod one_time_token;
pub mod owner;
pub mod pkce;
pub mod refresh_reuse;
pub mod scope;
pub mod session;
pub mod signing_alg;
pub mod starter_app;
pub mod tenant;
pub mod user;
