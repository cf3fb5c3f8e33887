//! What every service's OpenAPI document shares: the schema of the problem
//! body `crate::problem` renders, and how a document is rendered and served.
use actix_web::http::header;
use actix_web::HttpResponse;
use utoipa::ToSchema;

/// An RFC 9457 problem, as every error of every service is answered
/// (`application/problem+json`). Rendered by `service_kit::problem`.
#[derive(ToSchema)]
#[allow(dead_code)] // describes the body `crate::problem` renders
pub struct Problem {
    /// `urn:connectauth:problem:<code>`: stable, clients may match on it.
    #[serde(rename = "type")]
    #[schema(example = "urn:connectauth:problem:tenant-not-found")]
    type_: String,
    /// A short summary of the problem kind; the same for every occurrence of a `code`.
    #[schema(example = "No such tenant")]
    title: String,
    /// The HTTP status code of the response.
    #[schema(example = 404)]
    status: u16,
    /// What went wrong this time, in plain words.
    #[schema(example = "no such tenant")]
    detail: String,
    /// The stable machine name of the problem.
    #[schema(example = "tenant-not-found")]
    code: String,
}

/// A document as served and as committed under `docs/`: pretty JSON ending
/// with a newline.
pub fn render(document: &utoipa::openapi::OpenApi) -> String {
    let mut text = document
        .to_pretty_json()
        .expect("an OpenAPI document built from code serialises");
    text.push('\n');
    text
}

/// [`render`] for a document edited as JSON after generation.
pub fn render_value(document: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(document).expect("a JSON value serialises");
    text.push('\n');
    text
}

/// The answer of `GET …/openapi.json`: public, cacheable for 5 minutes.
pub fn serve(document: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .content_type("application/json")
        .body(document)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;
    use utoipa::openapi::schema::Schema;
    use utoipa::openapi::RefOr;
    use utoipa::PartialSchema;

    use super::*;
    use crate::problem::{problem_response, Code};

    /// The `Problem` schema describes what `crate::problem` renders.
    #[actix_web::test]
    async fn problem_schema_matches_a_real_problem() {
        let RefOr::T(Schema::Object(schema)) = Problem::schema() else {
            panic!("Problem is an object schema");
        };
        let properties: BTreeSet<String> = schema.properties.keys().cloned().collect();
        let required: BTreeSet<String> = schema.required.iter().cloned().collect();

        let resp = problem_response(Code::TenantNotFound, "no such tenant", None);
        let body = actix_web::body::to_bytes(resp.into_body())
            .await
            .expect("body");
        let body: Value = serde_json::from_slice(&body).expect("problem JSON");
        let keys: BTreeSet<String> = body.as_object().expect("object").keys().cloned().collect();
        assert_eq!(properties, keys);
        assert_eq!(required, keys);
    }
}
