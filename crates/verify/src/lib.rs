//! Validation of OAuth 2.0 JWT access tokens ([RFC 9068]) for resource
//! servers, following the JWT best current practices ([RFC 8725]): offline
//! against a JSON Web Key Set, or with the keys fetched and cached from the
//! issuer, optionally confirming each token by introspection ([RFC 7662]).
//!
//! Built for ConnectAuth but tied to no issuer: any authorization server
//! that publishes OpenID Connect or RFC 8414 metadata and a JWKS, and signs
//! access tokens with ES256/384/512, RS256/384/512, PS256/384/512 or EdDSA,
//! works.
//!
//! # Features
//!
//! * `remote` (default): [`Verifier`] (discovery, JWKS cache, introspection)
//!   and [`remote::RemoteKeys`]. HTTP over rustls: no OpenSSL needed for
//!   HTTP.
//! * `actix`: the actix-web extractor `actix::AuthenticatedUser`, the
//!   `actix::RequireScopes` middleware and RFC 6750 error responses.
//!
//! Without features, only the offline core: [`Validator`], [`KeySet`] and
//! [`webhook`] (checking the signature of ConnectAuth's event webhooks).
//!
//! # With the issuer's keys: [`Verifier`]
//!
//! ```no_run
//! use connectauth_verify::{require_scopes, Verifier, VerifierConfig};
//!
//! # async fn run(token: &str) -> Result<(), Box<dyn std::error::Error>> {
//! // Once at start-up: discovery of the issuer's metadata.
//! let verifier = Verifier::new(VerifierConfig {
//!     issuer: "https://auth.example.com/t/acme".into(),
//!     audience: "https://api.example.com".into(),
//!     ..VerifierConfig::default()
//! })
//! .await?;
//!
//! // Per request: the bearer token from `Authorization: Bearer <token>`.
//! match verifier.verify(token).await {
//!     Ok(claims) => require_scopes(&claims, &["orders:read"])?,
//!     Err(err) => {
//!         // 401 invalid_token, 403 insufficient_scope, or 503 when the
//!         // issuer's keys cannot be had; plus the RFC 6750 challenge.
//!         let _status = err.status_code();
//!         let _challenge = err.www_authenticate(Some(verifier.realm()));
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The keys are cached per `Cache-Control` (clamped to 1 min..24 h,
//! 5 min without it) and refetched, at most once per 30 s and once for
//! any number of concurrent requests, when a token names a key the set
//! lacks (a rotation). When the issuer is unreachable the cached keys keep
//! being served for an hour past their expiry. See [`RemoteKeysConfig`].
//!
//! Tokens are validated locally, so a revoked token stays valid until it
//! expires. Callers that must see revocations at once set
//! [`VerifierConfig::introspection`]: every token that passes is then
//! confirmed with the issuer's introspection endpoint.
//!
//! # In actix-web
//!
//! With feature `actix`, see the `actix` module: register the verifier with
//! `App::new().app_data(web::Data::new(verifier))` and take an
//! `AuthenticatedUser` in handlers.
//!
//! # Offline: [`Validator`] and [`KeySet`]
//!
//! ```
//! use std::time::Duration;
//! use connectauth_verify::{require_scopes, KeySet, ValidationConfig, Validator};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The issuer's JWKS (in production, fetched from its `jwks_uri`).
//! let jwks = r#"{"keys":[{"kty":"EC","crv":"P-256","kid":"2025-01","use":"sig","alg":"ES256",
//!     "x":"HdHf952UyzvXclmWF77Vx7sHpNXzp5Pe-eS8P5Yz4rg",
//!     "y":"tZm0cnZJzJKFH29J8B7BpyFEt3hG6aUqeDtJm-Pm1FE"}]}"#;
//! let keys = KeySet::from_jwks_json(jwks)?;
//! assert_eq!((keys.len(), keys.skipped_count()), (1, 0));
//!
//! let validator = Validator::new(ValidationConfig {
//!     issuer: "https://auth.example.com/t/acme".into(),
//!     audience: "https://api.example.com".into(),
//!     leeway: Duration::from_secs(30),
//!     required_typ: vec!["at+jwt".into()],
//!     ..ValidationConfig::default()
//! })?;
//!
//! // The bearer token from `Authorization: Bearer <token>`.
//! let token = "eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6IjIwMjUtMDEifQ.\
//!     eyJpc3MiOiJodHRwczovL2F1dGguZXhhbXBsZS5jb20vdC9hY21lIiwiYXVkIjoiaHR0cHM6Ly9hcGku\
//!     ZXhhbXBsZS5jb20iLCJzdWIiOiJ1c2VyLTQyIiwiY2xpZW50X2lkIjoibW9iaWxlLWFwcCIsImlhdCI6\
//!     MTczNTY4OTYwMCwiZXhwIjo0MTAyNDQ0ODAwLCJqdGkiOiIzZjJjMWEiLCJzY29wZSI6Im9yZGVyczpy\
//!     ZWFkIG9yZGVyczp3cml0ZSIsInRlbmFudCI6ImFjbWUifQ.\
//!     6QRft3RiDdvxlZ8pSNaAX68mRQOxHPfeeKEaur7c3WsE3iirJCEi-6jwT4drq6CfDVP1T_oIFOpwOlKSro_yKw";
//!
//! match validator.validate(token, &keys) {
//!     Ok(claims) => {
//!         assert_eq!(claims.sub.as_deref(), Some("user-42"));
//!         assert_eq!(claims.client_id.as_deref(), Some("mobile-app"));
//!         assert_eq!(claims.get("tenant").and_then(|t| t.as_str()), Some("acme"));
//!         require_scopes(&claims, &["orders:read"])?; // per-route scope check
//!     }
//!     Err(err) => {
//!         // Map to the HTTP response: 401 or 403 plus an RFC 6750 challenge.
//!         let _status = err.status_code();
//!         let _header = err.www_authenticate(Some("api"));
//!         return Err(err.into());
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # What is checked (both ways)
//!
//! * The key is chosen by the header `kid` with a plain map lookup. A token
//!   without `kid` is accepted only if the set holds exactly one key.
//! * Each key is bound to one [`Algorithm`] when the JWKS is parsed (from
//!   the JWK `alg`, or inferred where the key fixes it: EC curve → ES256/384/
//!   512, OKP Ed25519/Ed448 → EdDSA; RSA without `alg` → RS256 only by
//!   default, see [`RsaWithoutAlg`]). The header `alg` must equal it; the
//!   algorithm is never taken from the token.
//! * `none` and every `HS*` algorithm are always refused, so a token
//!   "signed" with a public key as HMAC secret cannot pass.
//! * `jku`, `x5u`, `jwk` and `x5c` headers are never fetched or used; by
//!   default a token carrying one is refused ([`KeyUrlHeaders`]). `crit` and
//!   non-default `b64` are refused.
//! * `typ` must be one of [`ValidationConfig::required_typ`] (default
//!   `at+jwt`, matching `application/at+jwt` and any letter case); a token
//!   without `typ` is refused unless [`ValidationConfig::missing_typ`] is
//!   [`MissingTyp::Accept`] (for untyped OpenID Connect ID tokens).
//! * `iss` exact match; `aud` (string or array) contains the audience; `exp`
//!   required; `nbf` and `iat` not in the future; all with a leeway (default
//!   30 s, at most 5 min); required claims and scopes.
//!
//! Failures are [`ValidationError`]s, which map to HTTP 401/403 and RFC 6750
//! `invalid_token`/`insufficient_scope` (see
//! [`ValidationError::www_authenticate`]).
//!
//! Signatures are verified with [`josekit`] (OpenSSL).
//!
//! [RFC 7662]: https://www.rfc-editor.org/rfc/rfc7662
//! [RFC 9068]: https://www.rfc-editor.org/rfc/rfc9068
//! [RFC 8725]: https://www.rfc-editor.org/rfc/rfc8725

#![forbid(unsafe_code)]
#![deny(missing_docs)]
// The crate docs link to the `remote` items, absent without the feature.
#![cfg_attr(not(feature = "remote"), allow(rustdoc::broken_intra_doc_links))]

// The README's examples are compiled as doc tests.
#[cfg(all(doctest, feature = "actix"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[cfg(feature = "actix")]
pub mod actix;
mod algorithm;
mod claims;
mod error;
mod keyset;
#[cfg(feature = "remote")]
pub mod remote;
mod validator;
pub mod webhook;

pub use algorithm::Algorithm;
pub use claims::{require_scopes, Claims};
pub use error::{BearerChallenge, ConfigError, ErrorCode, ValidationError};
pub use keyset::{
    KeyInfo, KeySet, KeySetError, KeySetOptions, RsaWithoutAlg, SkipReason, SkippedKey,
};
#[cfg(feature = "remote")]
pub use remote::{
    IntrospectionConfig, LazyVerifier, RemoteError, RemoteKeys, RemoteKeysConfig, SetupError,
    TokenCacheConfig, Verifier, VerifierConfig, VerifyError,
};
pub use validator::{
    KeyUrlHeaders, MissingTyp, ValidationConfig, Validator, DEFAULT_LEEWAY, DEFAULT_MAX_TOKEN_LEN,
    MAX_LEEWAY,
};

// docs/webhooks.md's Rust example is compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/webhooks.md")]
struct WebhooksDocDoctests;
