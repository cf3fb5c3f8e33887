//! Free-form JSON stored beside a record (tenant settings, user metadata):
//! always an object, always bounded in size.
use serde_json::{Map, Value};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JsonObjectError {
    #[error("must be a JSON object")]
    NotObject,
    #[error("is too large")]
    TooLarge,
}

pub fn parse(value: Value, max_bytes: usize) -> Result<Map<String, Value>, JsonObjectError> {
    let Value::Object(map) = value else {
        return Err(JsonObjectError::NotObject);
    };
    let size = serde_json::to_string(&map).map_or(usize::MAX, |s| s.len());
    if size > max_bytes {
        return Err(JsonObjectError::TooLarge);
    }
    Ok(map)
}
