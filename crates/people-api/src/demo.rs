//! The development demo of `connectauth dev`: a public client of the
//! `connect-people` tenant whose redirect URI is this API's `/callback`, and a
//! fixed PKCE pair, so the README's steps can be pasted as written. Only for
//! that client; real clients draw a verifier per request.

/// Fixed so documentation can name it; a public client has no secret to leak.
pub const DEMO_CLIENT_ID: &str = "cli_connect-people-dev-app";
pub const DEMO_VERIFIER: &str = "connect-people-demo-verifier-0123456789-abcdefghij";
/// `BASE64URL(SHA-256(DEMO_VERIFIER))`, the `code_challenge` of the demo URL.
pub const DEMO_CHALLENGE: &str = "XqgdmLsVzI3Qeuua4-3gLZYknOB9zm_y6TZZw98ZG7w";
/// The demo client's redirect URI is this path under `PEOPLE_PUBLIC_URL`.
pub const CALLBACK_PATH: &str = "/callback";
