//! A known path asked with a method it does not serve: actix answers 405
//! with the `Allow` header (each path is one resource with all its methods);
//! this gives that answer the problem+json body every other error has.
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::Next;
use actix_web::Error;

use crate::problem::{problem_response, Code};

pub async fn render<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let res = next.call(req).await?;
    if res.status() != StatusCode::METHOD_NOT_ALLOWED
        || res.headers().contains_key(header::CONTENT_TYPE)
    {
        return Ok(res.map_into_left_body());
    }
    let allow = res.headers().get(header::ALLOW).cloned();
    let detail = format!(
        "{} {} is not served; allowed: {}.",
        res.request().method(),
        res.request().path(),
        allow
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .unwrap_or("none")
    );
    let mut problem = problem_response(Code::MethodNotAllowed, &detail, None);
    if let Some(allow) = allow {
        problem.headers_mut().insert(header::ALLOW, allow);
    }
    let (req, _) = res.into_parts();
    Ok(ServiceResponse::new(req, problem).map_into_right_body())
}

#[cfg(test)]
mod tests {
    use actix_web::middleware::from_fn;
    use actix_web::{test, web, App, HttpResponse};

    use super::*;

    #[actix_web::test]
    async fn another_method_on_a_known_path_is_a_405_problem_with_allow() {
        let app = test::init_service(
            App::new().wrap(from_fn(render)).service(
                web::resource("/things")
                    .get(HttpResponse::Ok)
                    .post(HttpResponse::Created),
            ),
        )
        .await;
        let req = test::TestRequest::with_uri("/things")
            .method(actix_web::http::Method::TRACE)
            .to_request();
        let res = test::call_service(&app, req).await;
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
        let allow = res
            .headers()
            .get(header::ALLOW)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
        assert_eq!(
            res.headers()
                .get(header::CONTENT_TYPE)
                .map(|v| v.as_bytes()),
            Some(crate::problem::PROBLEM_JSON.as_bytes())
        );
        let body: serde_json::Value = test::read_body_json(res).await;
        assert_eq!(body["code"], "method-not-allowed");
        assert_eq!(body["status"], 405);

        let ok =
            test::call_service(&app, test::TestRequest::get().uri("/things").to_request()).await;
        assert_eq!(ok.status(), StatusCode::OK, "served methods are untouched");
    }
}
