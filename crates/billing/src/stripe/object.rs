//! Reading fields out of Stripe objects given as JSON.
use serde_json::Value;

/// The value at `path` (object keys).
pub(crate) fn at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, key| v.get(key))
}

/// A non-empty string at `path`.
pub(crate) fn string(value: &Value, path: &[&str]) -> Option<String> {
    at(value, path)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// An integer at `path`.
pub(crate) fn int(value: &Value, path: &[&str]) -> Option<i64> {
    at(value, path).and_then(Value::as_i64)
}

/// The id of an expandable field at `path`: either the id itself or the
/// expanded object's `id`.
pub(crate) fn id(value: &Value, path: &[&str]) -> Option<String> {
    match at(value, path)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        object @ Value::Object(_) => string(object, &["id"]),
        _ => None,
    }
}

/// The first element of the list object at `path` (`{object: "list", data: […]}`).
pub(crate) fn first_of_list<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    at(value, path)?.get("data")?.as_array()?.first()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn expandable_ids_are_read_in_both_forms() {
        let v = json!({"customer": "cus_1", "sub": {"id": "sub_1"}, "empty": "", "n": 3});
        assert_eq!(id(&v, &["customer"]).as_deref(), Some("cus_1"));
        assert_eq!(id(&v, &["sub"]).as_deref(), Some("sub_1"));
        assert_eq!(id(&v, &["empty"]), None);
        assert_eq!(id(&v, &["n"]), None);
        assert_eq!(int(&v, &["n"]), Some(3));
        assert_eq!(string(&v, &["missing", "deeper"]), None);
    }
}
