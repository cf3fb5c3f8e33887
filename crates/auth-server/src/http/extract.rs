//! Typed extractors.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use service_kit::secret::Secret;
use service_kit::{ApiError, Code};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::domain::api_credential::{ManageScope, MANAGE_AUDIENCE};
use crate::domain::tenant::{TenantId, PLATFORM_SLUG};
use crate::manage::Actor;
use crate::state::AppState;

/// SHA-256 of the operator token: comparing digests in constant time leaks
/// neither the token nor its length.
pub struct OperatorTokenDigest([u8; 32]);

impl OperatorTokenDigest {
    pub fn of(secret: &Secret) -> Self {
        Self(Sha256::digest(secret.expose().as_bytes()).into())
    }

    pub(crate) fn matches(&self, presented: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        bool::from(self.0.ct_eq(&digest))
    }
}

/// Who calls the management API: the operator (`AUTH_ADMIN_TOKEN`), or an
/// API credential of one tenant (a `platform` access token for the
/// management API) with its `manage:*` scopes.
#[derive(Debug)]
pub enum ManageCaller {
    Operator,
    Credential {
        client_id: String,
        tenant: TenantId,
        scopes: Vec<ManageScope>,
    },
}

impl ManageCaller {
    /// Refuses (403) anyone but the operator.
    pub fn operator_only(&self) -> Result<(), ApiError> {
        match self {
            ManageCaller::Operator => Ok(()),
            ManageCaller::Credential { .. } => Err(ApiError::new(
                Code::Forbidden,
                "Only the operator may do this; an API credential acts within its tenant.",
            )),
        }
    }

    /// Refuses (403) a credential of another tenant, or one without `scope`.
    pub fn may(&self, tenant: TenantId, scope: ManageScope) -> Result<(), ApiError> {
        match self {
            ManageCaller::Operator => Ok(()),
            ManageCaller::Credential {
                tenant: own,
                scopes,
                ..
            } => {
                if *own != tenant {
                    Err(ApiError::new(
                        Code::Forbidden,
                        "This API credential belongs to another tenant.",
                    ))
                } else if !scopes.contains(&scope) {
                    Err(ApiError::new(
                        Code::InsufficientScope,
                        format!("This API credential lacks the `{scope}` scope."),
                    ))
                } else {
                    Ok(())
                }
            }
        }
    }

    /// Who the audit trail names for this call.
    pub fn actor(&self) -> Actor {
        match self {
            ManageCaller::Operator => Actor::Operator,
            ManageCaller::Credential { client_id, .. } => Actor::Credential(client_id.clone()),
        }
    }
}

fn invalid_token() -> ApiError {
    ApiError::new(Code::Unauthorized, "The bearer token is not valid.")
}

impl FromRequest for ManageCaller {
    type Error = ApiError;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let presented = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::new(Code::Internal, "state missing"))?;
            let Some(token) = presented else {
                return Err(ApiError::new(
                    Code::Unauthorized,
                    "Send the operator token or an API credential's access token as \
                     `Authorization: Bearer …`.",
                ));
            };
            if state.operator_token.matches(&token) {
                return Ok(ManageCaller::Operator);
            }
            // Not the operator's: a platform access token for this API, of a
            // client that is one tenant's API credential.
            let platform = state
                .directory
                .by_slug(PLATFORM_SLUG)
                .await
                .map_err(|_| invalid_token())?;
            let claims = state
                .oauth
                .live_access_token(&platform, &token)
                .await
                .map_err(ApiError::internal)?
                .ok_or_else(|| {
                    tracing::warn!("management API: invalid bearer token");
                    invalid_token()
                })?;
            let audience_ok = match claims.get("aud") {
                Some(serde_json::Value::String(aud)) => aud == MANAGE_AUDIENCE,
                Some(serde_json::Value::Array(auds)) => {
                    auds.iter().any(|a| a.as_str() == Some(MANAGE_AUDIENCE))
                }
                _ => false,
            };
            let client_id = claims
                .get("client_id")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned();
            if !audience_ok || claims.contains_key("gid") {
                return Err(invalid_token());
            }
            let tenant = state
                .manage
                .credentials
                .tenant_of(&client_id)
                .await
                .map_err(ApiError::internal)?
                .ok_or_else(invalid_token)?;
            let scopes = ManageScope::granted(
                claims
                    .get("scope")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default(),
            );
            Ok(ManageCaller::Credential {
                client_id,
                tenant,
                scopes,
            })
        })
    }
}
