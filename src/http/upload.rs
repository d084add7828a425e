//! One file from a `multipart/form-data` body (`actix-multipart`), size-limited.
use actix_web::HttpRequest;
use actix_web::web::{BytesMut, Payload};
use futures_util::StreamExt;

use crate::error::{ApiError, FieldIssue};

/// The bytes of the form field `name`; other fields are read past. Not multipart: 415; no
/// such field: 422; more than `limit` bytes: 413.
pub async fn file_field(
    req: &HttpRequest,
    payload: Payload,
    name: &str,
    limit: usize,
) -> Result<BytesMut, ApiError> {
    let multipart = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !multipart {
        return Err(ApiError::UnsupportedMediaType);
    }
    let mut form = actix_multipart::Multipart::new(req.headers(), payload.into_inner());
    let mut found = None;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|e| ApiError::BadRequest(e.to_string()))?;
        let wanted = found.is_none() && field.name() == Some(name);
        let mut bytes = BytesMut::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| ApiError::BadRequest(e.to_string()))?;
            if wanted {
                if bytes.len() + chunk.len() > limit {
                    return Err(ApiError::PayloadTooLarge { limit });
                }
                bytes.extend_from_slice(&chunk);
            }
        }
        if wanted {
            found = Some(bytes);
        }
    }
    found.ok_or_else(|| ApiError::field(name, FieldIssue::new("required")))
}
