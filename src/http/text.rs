//! What text may hold: any Unicode but NUL and the other C0 controls, tab and newline aside
//! (PostgreSQL text cannot store NUL at all; the rest only forge log lines and break exports).
//! One rule for every JSON body ([`crate::http::ValidJson`]), query string, path and header
//! value (the `observe` middleware), never a check per handler.
use serde_json::Value;

use crate::error::{ApiError, FieldIssue};

/// The rule as a JSON Schema `pattern`, which the OpenAPI document puts on every string a
/// request carries.
pub const SCHEMA_CLEAN: &str = r"^[^\u0000-\u0008\u000B-\u001F]*$";
/// Put `#[schema(pattern = "\\S")]` beside `custom(function = "not_blank")`: the document
/// turns it into [`SCHEMA_CLEAN_NOT_BLANK`].
pub const NOT_BLANK_MARK: &str = r"\S";
/// Clean text with at least one character that is not white space.
pub const SCHEMA_CLEAN_NOT_BLANK: &str =
    r"^[^\u0000-\u0008\u000B-\u001F]*[^\s\u0000-\u001F][^\u0000-\u0008\u000B-\u001F]*$";

fn forbidden(c: char) -> bool {
    c <= '\u{1f}' && c != '\t' && c != '\n'
}

pub fn is_clean(text: &str) -> bool {
    !text.chars().any(forbidden)
}

/// 422 naming `field`.
pub fn refuse(field: &str) -> ApiError {
    ApiError::field(field, FieldIssue::new("control_characters"))
}

/// The first string (or object key) in `value` holding a forbidden character, as a field path
/// in the form the rest of the API names fields (`items[0].reason`), or `None`.
pub fn first_unclean(value: &Value) -> Option<String> {
    fn walk(value: &Value, path: &str) -> Option<String> {
        let name = |key: &str| {
            if path.is_empty() {
                key.to_owned()
            } else {
                format!("{path}.{key}")
            }
        };
        match value {
            Value::String(s) if !is_clean(s) => Some(if path.is_empty() {
                "body".into()
            } else {
                path.into()
            }),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, item)| walk(item, &format!("{path}[{i}]"))),
            Value::Object(map) => map.iter().find_map(|(key, item)| {
                if is_clean(key) {
                    walk(item, &name(key))
                } else {
                    Some(name(
                        &key.chars().filter(|c| !forbidden(*c)).collect::<String>(),
                    ))
                }
            }),
            _ => None,
        }
    }
    walk(value, "")
}

/// The first part of a request line or header holding a forbidden character: the decoded
/// path (`path`), a query parameter (by name) or a header (by name).
pub fn first_unclean_request(
    path: &str,
    query: &str,
    headers: &actix_web::http::header::HeaderMap,
) -> Option<String> {
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    if !is_clean(&decoded) {
        return Some("path".into());
    }
    if !query.is_empty()
        && let Ok(pairs) = serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        && let Some((name, _)) = pairs
            .iter()
            .find(|(name, value)| !is_clean(name) || !is_clean(value))
    {
        return Some(name.chars().filter(|c| !forbidden(*c)).collect());
    }
    headers
        .iter()
        .find(|(_, value)| value.as_bytes().iter().any(|b| *b < 0x20 && *b != b'\t'))
        .map(|(name, _)| name.as_str().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_the_first_field_holding_a_control_character() {
        assert_eq!(first_unclean(&json!({"a": "fine\tand\nfine"})), None);
        assert_eq!(first_unclean(&json!({"a": "x\u{0}"})).as_deref(), Some("a"));
        assert_eq!(
            first_unclean(&json!({"items": [{"r": "ok"}, {"r": "\r"}]})).as_deref(),
            Some("items[1].r")
        );
        assert_eq!(first_unclean(&json!("\u{1b}[31m")).as_deref(), Some("body"));
        assert_eq!(first_unclean(&json!({"k\u{0}": 1})).as_deref(), Some("k"));
        assert_eq!(first_unclean(&json!({"n": 1, "b": true, "z": null})), None);
    }
}
