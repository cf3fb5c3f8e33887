//! Typed extractors.
use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use service_kit::secret::Secret;
use service_kit::{ApiError, Code};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::state::AppState;

/// SHA-256 of the operator token: comparing digests in constant time leaks
/// neither the token nor its length.
pub struct OperatorTokenDigest([u8; 32]);

impl OperatorTokenDigest {
    pub fn of(secret: &Secret) -> Self {
        Self(Sha256::digest(secret.expose().as_bytes()).into())
    }

    fn matches(&self, presented: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        bool::from(self.0.ct_eq(&digest))
    }
}

/// Proof that the request carries the platform operator's bearer token.
#[derive(Debug)]
pub struct Operator;

impl FromRequest for Operator {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(state) = req.app_data::<web::Data<AppState>>() else {
            return ready(Err(ApiError::new(Code::Internal, "state missing")));
        };
        let presented = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty());
        ready(match presented {
            Some(token) if state.operator_token.matches(token) => Ok(Operator),
            Some(_) => {
                tracing::warn!("management API: wrong operator token");
                Err(ApiError::new(
                    Code::Unauthorized,
                    "The bearer token is not valid.",
                ))
            }
            None => Err(ApiError::new(
                Code::Unauthorized,
                "Send the operator token as `Authorization: Bearer …`.",
            )),
        })
    }
}
