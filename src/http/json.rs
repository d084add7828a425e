//! `ValidJson<T>`: a JSON body, parsed and validated, whose every failure is the contract's
//! JSON error: wrong content type 415, too large 413, malformed 400, wrong fields 422.
use std::ops::Deref;

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, http::header, web};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use sha2::Digest;
use validator::Validate;

use crate::error::{ApiError, FieldErrors, FieldIssue};

const DEFAULT_LIMIT: usize = 64 * 1024;

/// The largest JSON body, registered as app data (`REDTRAIL_JSON_LIMIT_BYTES`).
#[derive(Debug, Clone, Copy)]
pub struct JsonLimit(pub usize);

/// `LIMIT`, when set, raises the body limit for one operation (an article's rich text) above
/// the app-wide one.
pub struct ValidJson<T, const LIMIT: usize = 0> {
    value: T,
    fingerprint: String,
}

impl<T, const LIMIT: usize> ValidJson<T, LIMIT> {
    pub fn into_inner(self) -> T {
        self.value
    }

    /// SHA-256 of the body as canonical JSON (keys sorted, no spacing): equal for equal bodies
    /// however they were written. Idempotency keys compare it.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
}

impl<T, const LIMIT: usize> Deref for ValidJson<T, LIMIT> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: DeserializeOwned + Validate + 'static, const LIMIT: usize> FromRequest
    for ValidJson<T, LIMIT>
{
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<JsonLimit>()
            .map_or(DEFAULT_LIMIT, |l| l.0)
            .max(LIMIT);
        let is_json = matches!(req.mime_type(), Ok(Some(m)) if m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON));
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let payload = payload.take();
        let auth_decided = super::gate::decided(req);
        Box::pin(async move {
            auth_decided.await;
            if !is_json {
                return Err(ApiError::UnsupportedMediaType);
            }
            let body = read_body(payload, declared, limit).await?;
            let (value, fingerprint) = parse::<T>(&body)?;
            value.validate()?;
            Ok(ValidJson { value, fingerprint })
        })
    }
}

/// The whole body, refused with 413 as soon as it is known to exceed `limit` bytes.
pub async fn read_body(
    mut payload: Payload,
    declared: Option<usize>,
    limit: usize,
) -> Result<web::BytesMut, ApiError> {
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest(e.to_string()))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Syntax errors are 400; well-formed JSON of the wrong shape is 422 naming the field. Fields
/// the type does not know are ignored, and so is their text; every string it keeps is held to
/// the text rule ([`super::text`]). Request types hold no enum variants with fields: serde_ignored
/// would name a field ignored inside one by the variant's parent.
fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<(T, String), ApiError> {
    let mut json: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    whole_numbers_as_integers(&mut json);
    let fingerprint = fingerprint(&json);
    let mut ignored = Vec::new();
    let mut note = |path: serde_ignored::Path| ignored.extend(steps(&path));
    // Read from a borrow: no copy of the body; the kept value owns what it takes.
    let kept = serde_ignored::Deserializer::new(&json, &mut note);
    let value = serde_path_to_error::deserialize(kept).map_err(|e| {
        // A body that does not fit its type: a control character anywhere is named first.
        if let Some(field) = super::text::first_unclean(&json) {
            return super::text::refuse(&field);
        }
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        let path = if path == "." { String::new() } else { path };
        let (field, issue) = match message
            .strip_prefix("missing field `")
            .and_then(|m| m.strip_suffix('`'))
        {
            Some(name) if path.is_empty() => (name.to_owned(), FieldIssue::new("required")),
            Some(name) => (format!("{path}.{name}"), FieldIssue::new("required")),
            None if path.is_empty() => (
                "body".to_owned(),
                FieldIssue::new("invalid_type").with("reason", message),
            ),
            None => (
                path,
                FieldIssue::new("invalid_type").with("reason", message),
            ),
        };
        ApiError::Validation(FieldErrors::from([(field, vec![issue])]))
    })?;
    for path in &ignored {
        drop_at(&mut json, path);
    }
    if let Some(field) = super::text::first_unclean(&json) {
        return Err(super::text::refuse(&field));
    }
    Ok((value, fingerprint))
}

/// `602.0` is the integer 602, as JSON Schema has it; serde would refuse it for an integer
/// field. Whole numbers within the exactly representable range become integers (an `f64`
/// field still takes them).
fn whole_numbers_as_integers(json: &mut serde_json::Value) {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    match json {
        serde_json::Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() <= EXACT
            {
                *json = serde_json::Value::from(f as i64);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        serde_json::Value::Object(map) => map.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

/// One step into a JSON value: an object key or an array index.
enum Step {
    Key(String),
    Index(usize),
}

/// The steps to an ignored value, or `None` (keep it, text rule and all) when the path runs
/// through an enum variant: serde_ignored names those by their parent, so the steps could
/// point at the kept variant instead of the ignored field inside it.
fn steps(path: &serde_ignored::Path) -> Option<Vec<Step>> {
    use serde_ignored::Path as P;
    let mut out = match path {
        P::Root => return Some(Vec::new()),
        P::NewtypeVariant { .. } => return None,
        P::Seq { parent, .. }
        | P::Map { parent, .. }
        | P::Some { parent }
        | P::NewtypeStruct { parent } => steps(parent)?,
    };
    match path {
        P::Seq { index, .. } => out.push(Step::Index(*index)),
        P::Map { key, .. } => out.push(Step::Key(key.clone())),
        _ => {}
    }
    Some(out)
}

/// Removes the object entry `path` names (anything else it names becomes `null`, so that
/// other indices stay put): what remains holds only what the type kept.
fn drop_at(json: &mut serde_json::Value, path: &[Step]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut at = json;
    for step in parents {
        let next = match (step, at) {
            (Step::Key(k), serde_json::Value::Object(map)) => map.get_mut(k),
            (Step::Index(i), serde_json::Value::Array(items)) => items.get_mut(*i),
            _ => None,
        };
        let Some(next) = next else { return };
        at = next;
    }
    match (last, at) {
        (Step::Key(k), serde_json::Value::Object(map)) => {
            map.remove(k);
        }
        (Step::Index(i), serde_json::Value::Array(items)) if *i < items.len() => {
            items[*i] = serde_json::Value::Null;
        }
        _ => {}
    }
}

fn fingerprint(json: &serde_json::Value) -> String {
    fn write(v: &serde_json::Value, out: &mut Vec<u8>) {
        match v {
            serde_json::Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push(b'{');
                for (i, k) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend(serde_json::to_vec(k).unwrap_or_default());
                    out.push(b':');
                    write(&map[k], out);
                }
                out.push(b'}');
            }
            serde_json::Value::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write(item, out);
                }
                out.push(b']');
            }
            scalar => out.extend(serde_json::to_vec(scalar).unwrap_or_default()),
        }
    }
    let mut canonical = Vec::new();
    write(json, &mut canonical);
    hex::encode(sha2::Sha256::digest(&canonical))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Probe {
        #[allow(dead_code)]
        code: String,
    }

    #[test]
    fn syntax_errors_are_bad_requests_and_shape_errors_name_the_field() {
        assert!(matches!(
            parse::<Probe>(b"{\"code\":"),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            parse::<Probe>(br#"{"code":"x"} trailing"#),
            Err(ApiError::BadRequest(_))
        ));
        match parse::<Probe>(b"{}") {
            Err(ApiError::Validation(f)) => assert_eq!(f["code"][0].code, "required"),
            other => panic!("expected a validation error, got {other:?}"),
        }
        match parse::<Probe>(b"{\"code\": 5}") {
            Err(ApiError::Validation(f)) => assert_eq!(f["code"][0].code, "invalid_type"),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn the_fingerprint_ignores_key_order_and_spacing_only() {
        let (_, a) = parse::<Probe>(br#"{"code": "x", "n": [1, {"b": 2, "a": 1}]}"#).unwrap();
        let (_, b) = parse::<Probe>(br#"{"n":[1,{"a":1,"b":2}],"code":"x"}"#).unwrap();
        let (_, c) = parse::<Probe>(br#"{"code": "y"}"#).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
