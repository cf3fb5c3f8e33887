//! The body of an API call that takes a JSON object. `web::Json<T>` would
//! also take a JSON array for a struct (serde reads a struct from a
//! sequence), so `[null, null]` could update a resource; this extractor
//! refuses anything but an object. Whole numbers written with a fraction
//! (`21.0`) are integers, as JSON Schema says they are, so an `integer`
//! field takes them.
use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde_json::{Number, Value};

use crate::problem::{ApiError, Code};

/// A request body that must be a JSON object, read as `T`.
pub struct JsonObject<T>(pub T);

impl<T> JsonObject<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for JsonObject<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonObject<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // Size, content type and syntax are checked (and answered) as for
        // every JSON body: see `extract_errors::json_config`.
        let value = web::Json::<Value>::from_request(req, payload);
        Box::pin(async move {
            let web::Json(value) = value.await?;
            parse(value).map(JsonObject).map_err(Into::into)
        })
    }
}

/// `value` as `T`, when it is an object.
pub fn parse<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    if !value.is_object() {
        return Err(ApiError::new(
            Code::BadRequest,
            "The body must be a JSON object.",
        ));
    }
    serde_json::from_value(whole_numbers_as_integers(value))
        .map_err(|e| ApiError::new(Code::BadRequest, format!("Invalid JSON: {e}")))
}

fn whole_numbers_as_integers(value: Value) -> Value {
    match value {
        Value::Number(n) => Value::Number(as_integer(n)),
        Value::Array(items) => {
            Value::Array(items.into_iter().map(whole_numbers_as_integers).collect())
        }
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(k, v)| (k, whole_numbers_as_integers(v)))
                .collect(),
        ),
        other => other,
    }
}

/// `21.0` → `21`; other numbers, and whole floats outside i64, unchanged.
fn as_integer(n: Number) -> Number {
    match n.as_f64() {
        Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15 => {
            #[allow(clippy::cast_possible_truncation)] // whole and within ±2^53
            Number::from(f as i64)
        }
        _ => n,
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Body {
        name: Option<String>,
        secs: Option<i64>,
    }

    #[test]
    fn only_an_object_is_a_body() {
        for not_an_object in [json!([null, null]), json!(null), json!(3), json!("x")] {
            let refused = parse::<Body>(not_an_object.clone()).expect_err("refused");
            assert_eq!(refused.code(), Code::BadRequest, "{not_an_object}");
        }
        assert_eq!(
            parse::<Body>(json!({"name": "a"})).expect("object"),
            Body {
                name: Some("a".into()),
                secs: None
            }
        );
    }

    #[test]
    fn whole_numbers_with_a_fraction_are_integers() {
        assert_eq!(
            parse::<Body>(json!({"secs": 21.0})).expect("21.0").secs,
            Some(21)
        );
        assert_eq!(
            parse::<Body>(json!({"secs": -4.0})).expect("-4.0").secs,
            Some(-4)
        );
        for not_whole in [json!({"secs": 21.5}), json!({"secs": 1e300})] {
            assert!(parse::<Body>(not_whole).is_err());
        }
    }
}
