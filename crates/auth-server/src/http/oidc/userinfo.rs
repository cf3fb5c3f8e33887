//! `GET|POST /t/{slug}/userinfo` (OIDC Core §5.3): the access token comes in
//! `Authorization: Bearer …` or, on POST, as `access_token` in a form body
//! (RFC 6750 §2.1, §2.2), never both. A POST without a body is a GET.
use actix_web::http::header;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};

use super::{cors, tenant_of};
use crate::error::{BearerError, OAuthCode, OAuthError};
use crate::state::AppState;

const FORM: &str = "application/x-www-form-urlencoded";

pub async fn userinfo_get(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, BearerError> {
    userinfo(state, req, &slug, None).await
}

pub async fn userinfo_post(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, BearerError> {
    userinfo(state, req, &slug, Some(body)).await
}

async fn userinfo(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: &str,
    body: Option<web::Bytes>,
) -> Result<HttpResponse, BearerError> {
    let tenant = tenant_of(&state, slug).await?;
    let realm = state.oauth.issuer(&tenant);
    let token = presented_token(&req, body.as_deref())
        .map_err(|e| e.at_resource(&realm))?
        .ok_or(BearerError::Missing {
            realm: realm.clone(),
        })?;
    let origin = cors::allowed_origin(&state, &tenant, &req).await;
    let claims = state
        .oauth
        .userinfo(&tenant, &token)
        .await
        .map_err(|e| e.at_resource(&realm))?;
    let mut res = HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(claims);
    cors::add_origin(&mut res, origin);
    Ok(res)
}

/// The access token of the request, `None` when it carries no credentials.
/// A body counts only as a form (RFC 6750 §2.2); any other body is ignored.
fn presented_token(req: &HttpRequest, body: Option<&[u8]>) -> Result<Option<String>, OAuthError> {
    let malformed = |description| OAuthError::new(OAuthCode::InvalidRequest, description);
    let in_header = match req
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or_default())
        .and_then(|v| v.split_once(' '))
    {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("Bearer") => {
            let token = token.trim();
            if token.is_empty() {
                return Err(malformed("the Bearer token is empty"));
            }
            Some(token.to_owned())
        }
        // Another scheme (or none) carries no bearer credentials.
        Some(_) | None => None,
    };
    let in_body = match body {
        Some(bytes) if req.content_type().eq_ignore_ascii_case(FORM) => {
            let mut tokens = url::form_urlencoded::parse(bytes)
                .filter(|(name, _)| name == "access_token")
                .map(|(_, value)| value.into_owned());
            match (tokens.next(), tokens.next()) {
                (Some(_), Some(_)) => return Err(malformed("access_token is repeated")),
                (token, None) => token,
                (None, Some(_)) => None,
            }
        }
        Some(_) | None => None,
    };
    match (in_header, in_body) {
        (Some(_), Some(_)) => Err(malformed(
            "send the access token once: in the Authorization header or in the body",
        )),
        (Some(token), None) | (None, Some(token)) => Ok(Some(token)),
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn token(req: TestRequest, body: Option<&str>) -> Result<Option<String>, OAuthCode> {
        presented_token(&req.to_http_request(), body.map(str::as_bytes)).map_err(|e| e.code)
    }

    #[test]
    fn the_token_comes_from_the_header_or_a_form_body() {
        let bearer = || TestRequest::default().insert_header(("authorization", "Bearer abc"));
        assert_eq!(token(bearer(), None), Ok(Some("abc".into())));
        assert_eq!(token(bearer(), Some("")), Ok(Some("abc".into())));
        let lower = TestRequest::default().insert_header(("authorization", "bearer abc"));
        assert_eq!(
            token(lower, None),
            Ok(Some("abc".into())),
            "scheme is case-insensitive"
        );
        let form = || TestRequest::default().insert_header(("content-type", FORM));
        assert_eq!(
            token(form(), Some("access_token=xyz")),
            Ok(Some("xyz".into()))
        );
        assert_eq!(token(form(), Some("")), Ok(None));
        let json = TestRequest::default().insert_header(("content-type", "application/json"));
        assert_eq!(
            token(json, Some("access_token=xyz")),
            Ok(None),
            "a form only"
        );
    }

    #[test]
    fn no_credentials_is_none_and_malformed_ones_are_invalid_request() {
        assert_eq!(token(TestRequest::default(), None), Ok(None));
        let basic = TestRequest::default().insert_header(("authorization", "Basic dTpw"));
        assert_eq!(token(basic, Some("")), Ok(None));
        let empty = TestRequest::default().insert_header(("authorization", "Bearer  "));
        assert_eq!(token(empty, None), Err(OAuthCode::InvalidRequest));
        let both = TestRequest::default()
            .insert_header(("authorization", "Bearer abc"))
            .insert_header(("content-type", FORM));
        assert_eq!(
            token(both, Some("access_token=abc")),
            Err(OAuthCode::InvalidRequest)
        );
        let twice = TestRequest::default().insert_header(("content-type", FORM));
        assert_eq!(
            token(twice, Some("access_token=a&access_token=b")),
            Err(OAuthCode::InvalidRequest)
        );
    }
}
