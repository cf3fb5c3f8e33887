//! What every service's OpenAPI document shares: the schema of the problem
//! body `crate::problem` renders, and how a document is rendered and served.
use std::collections::BTreeMap;
use std::marker::PhantomData;

use actix_web::http::header;
use actix_web::HttpResponse;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
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

/// A security scheme as data, so that a service lists its schemes in a
/// `const`.
pub enum Scheme {
    /// `Authorization: Bearer <token>`; `format` is the token's (`JWT`),
    /// when a client should know it.
    Bearer {
        description: &'static str,
        format: Option<&'static str>,
    },
    /// A request header carrying a key or a signature.
    Header {
        header: &'static str,
        description: &'static str,
    },
}

impl Scheme {
    fn to_utoipa(&self) -> SecurityScheme {
        match *self {
            Scheme::Bearer {
                description,
                format,
            } => {
                let mut scheme = HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(description));
                if let Some(format) = format {
                    scheme = scheme.bearer_format(format);
                }
                SecurityScheme::Http(scheme.build())
            }
            Scheme::Header {
                header,
                description,
            } => SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                header,
                description,
            ))),
        }
    }
}

/// An OpenAPI modifier adding a service's security schemes, by name, to the
/// document's components: `modifiers(&SecuritySchemes(&[(name, Scheme), …]))`.
pub struct SecuritySchemes(pub &'static [(&'static str, Scheme)]);

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, scheme) in self.0 {
            components.add_security_scheme(*name, scheme.to_utoipa());
        }
    }
}

/// Declares problem+json responses for `#[utoipa::path]`'s
/// `responses((status = …, response = Name))`: each `Name` is a type with no
/// values, only a `ToResponse` whose description is its doc comment, and
/// optional headers `["Name": Type = "description", …]`.
///
/// A service's document declares its responses once, led by a
/// `struct`: an OpenAPI modifier that adds every response of the list to
/// the document's components, with the `Problem` schema they refer to and
/// [`UnsupportedMediaType`] (which [`JsonBody`] names). Its
/// `modifiers(&…)` then replaces a `components(…)` list that could miss
/// one and leave a reference dangling.
///
/// ```ignore
/// service_kit::problem_responses! {
///     /// This document's problem responses.
///     pub struct Problems;
///
///     /// The request is malformed (`bad-request`).
///     pub BadRequest;
///     /// Try again later (`service-unavailable`).
///     pub Unavailable ["Retry-After": u64 = "Seconds to wait before retrying."];
/// }
/// ```
#[macro_export]
macro_rules! problem_responses {
    (
        $(#[doc = $set_doc:literal])+
        $set_vis:vis struct $set:ident;
        $(
            $(#[doc = $doc:literal])+
            $vis:vis $name:ident $([$($header:literal: $type:ty = $about:literal),+ $(,)?])?;
        )*
    ) => {
        $(#[doc = $set_doc])+
        $set_vis struct $set;

        impl ::utoipa::Modify for $set {
            fn modify(&self, openapi: &mut ::utoipa::openapi::OpenApi) {
                $crate::openapi::add_problem_responses(
                    openapi,
                    [$(<$name as ::utoipa::ToResponse>::response()),*],
                );
            }
        }

        $crate::problem_responses! {$(
            $(#[doc = $doc])+
            $vis $name $([$($header: $type = $about),+])?;
        )*}
    };
    ($(
        $(#[doc = $doc:literal])+
        $vis:vis $name:ident $([$($header:literal: $type:ty = $about:literal),+ $(,)?])?;
    )*) => {$(
        $(#[doc = $doc])+
        $vis enum $name {}

        impl<'s> ::utoipa::ToResponse<'s> for $name {
            fn response() -> (
                &'s str,
                ::utoipa::openapi::RefOr<::utoipa::openapi::response::Response>,
            ) {
                let headers = [$($((
                    $header,
                    <$type as ::utoipa::PartialSchema>::schema(),
                    $about,
                )),+)?];
                (
                    stringify!($name),
                    $crate::openapi::problem_response(&[$($doc),+], headers),
                )
            }
        }
    )*};
}

/// A problem+json response described by the lines of a doc comment (joined
/// as utoipa joins them: the common indent dropped, one line a line).
pub fn problem_response<const N: usize>(
    doc: &[&str],
    headers: [(&str, RefOr<Schema>, &str); N],
) -> RefOr<Response> {
    let indent = doc
        .iter()
        .filter(|l| !l.trim_end().is_empty())
        .map(|l| l.len() - l.trim_start_matches(' ').len())
        .min()
        .unwrap_or(0);
    let description = doc
        .iter()
        .map(|l| l.trim_end().get(indent..).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let mut response = ResponseBuilder::new().description(description);
    for (name, schema, about) in headers {
        let header = HeaderBuilder::new().schema(schema).description(Some(about));
        response = response.header(name, header.build());
    }
    let problem = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name(<Problem as ToSchema>::name())))
        .build();
    response
        .content(crate::problem::PROBLEM_JSON, problem)
        .build()
        .into()
}

/// Declares the JSON answer of a list operation, with its schema: one page
/// of views (`items`) and `next_after`, the cursor of the next page; `of`
/// makes it from a [`crate::paging::Page`], each item shown by `view`.
///
/// ```ignore
/// service_kit::page_of! {
///     /// One page of a tenant's clients.
///     pub ClientList of ClientView
/// }
/// ```
#[macro_export]
macro_rules! page_of {
    ($(#[doc = $doc:literal])+ $vis:vis $name:ident of $view:ty) => {
        $(#[doc = $doc])+
        #[derive(::serde::Serialize, ::utoipa::ToSchema)]
        $vis struct $name {
            items: Vec<$view>,
            /// Pass as `after` to get the next page; `null` on the last page.
            next_after: Option<String>,
        }

        impl $name {
            /// `page`, each item shown as `view` shows it.
            $vis fn of<T>(page: $crate::paging::Page<T>, view: impl FnMut(T) -> $view) -> Self {
                Self {
                    items: page.items.into_iter().map(view).collect(),
                    next_after: page.next_after,
                }
            }
        }
    };
}

/// Declares a set of named responses an operation may answer, for
/// `#[utoipa::path]`'s `responses(…)` beside its own tuples: `Name` is a type
/// with no values whose `IntoResponses` lists each status with a reference
/// to a response of the document's `components(responses(…))`, as
/// `(status = …, response = Type)` would. Sets may overlap; an operation
/// names several.
///
/// ```ignore
/// service_kit::response_set! {
///     /// A JSON request body that could not be read.
///     pub JsonBody { 400: BadRequest, 413: PayloadTooLarge, 415: UnsupportedMediaType }
/// }
/// ```
#[macro_export]
macro_rules! response_set {
    ($(
        $(#[doc = $doc:literal])+
        $vis:vis $name:ident { $($status:literal: $response:ty),+ $(,)? }
    )*) => {$(
        $(#[doc = $doc])+
        $vis enum $name {}

        impl ::utoipa::IntoResponses for $name {
            fn responses() -> ::std::collections::BTreeMap<
                String,
                ::utoipa::openapi::RefOr<::utoipa::openapi::response::Response>,
            > {
                [$(($status.to_string(), $crate::openapi::response_ref::<$response>())),+]
                    .into_iter()
                    .collect()
            }
        }
    )*};
}

/// Adds `responses`, [`UnsupportedMediaType`] and the `Problem` schema
/// they refer to, to `openapi`'s components: what the modifier a
/// [`problem_responses!`] list leads with does.
pub fn add_problem_responses<const N: usize>(
    openapi: &mut utoipa::openapi::OpenApi,
    responses: [(&str, RefOr<Response>); N],
) {
    use utoipa::{PartialSchema, ToResponse};
    let components = openapi.components.get_or_insert_with(Default::default);
    components.schemas.insert(
        <Problem as ToSchema>::name().into_owned(),
        Problem::schema(),
    );
    let shared = UnsupportedMediaType::response();
    for (name, response) in responses.into_iter().chain([shared]) {
        components.responses.insert(name.to_owned(), response);
    }
}

/// A reference to the document's response named by `R`.
pub fn response_ref<'s, R: utoipa::ToResponse<'s>>() -> RefOr<Response> {
    RefOr::Ref(Ref::from_response_name(R::response().0))
}

problem_responses! {
    /// The body is not `application/json` (`unsupported-media-type`).
    pub UnsupportedMediaType;
}

/// The responses of an operation whose JSON body could not be read, for
/// `#[utoipa::path]`'s `responses(…)`: 400 `B` (the service's malformed
/// request), 413 `P` (over its body limit), 415 [`UnsupportedMediaType`].
/// A service names it once with its own two responses:
///
/// ```ignore
/// pub type JsonBody = service_kit::openapi::JsonBody<BadRequest, PayloadTooLarge>;
/// ```
pub struct JsonBody<B, P>(PhantomData<(B, P)>);

impl<B, P> utoipa::IntoResponses for JsonBody<B, P>
where
    B: utoipa::ToResponse<'static>,
    P: utoipa::ToResponse<'static>,
{
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        [
            ("400".to_owned(), response_ref::<B>()),
            ("413".to_owned(), response_ref::<P>()),
            ("415".to_owned(), response_ref::<UnsupportedMediaType>()),
        ]
        .into_iter()
        .collect()
    }
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

    problem_responses! {
        /// The responses below.
        pub struct Declared;

        /// Not there (`not-found`).
        pub Missing;

        /// Later (`service-unavailable`).
        pub Later ["Retry-After": u64 = "Seconds."];
    }

    /// The modifier a list leads with adds each of its responses, the one
    /// every JSON body shares, and the schema they all refer to.
    #[test]
    fn a_declared_list_adds_its_responses_and_the_problem_schema() {
        let mut document = utoipa::openapi::OpenApiBuilder::new().build();
        utoipa::Modify::modify(&Declared, &mut document);
        let json = serde_json::to_value(&document).expect("serialises");
        let components = &json["components"];
        let names: BTreeSet<&str> = components["responses"]
            .as_object()
            .expect("responses")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            names,
            BTreeSet::from(["Later", "Missing", "UnsupportedMediaType"])
        );
        let later = &components["responses"]["Later"];
        assert_eq!(later["description"], "Later (`service-unavailable`).");
        assert_eq!(later["headers"]["Retry-After"]["description"], "Seconds.");
        let reference = later["content"]["application/problem+json"]["schema"]["$ref"]
            .as_str()
            .expect("a reference");
        let pointer = reference.strip_prefix('#').expect("local");
        assert_eq!(
            json.pointer(pointer)
                .map(|s| &s["properties"]["code"]["type"]),
            Some(&Value::from("string")),
            "{reference} is the problem schema"
        );
    }

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
