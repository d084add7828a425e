//! One file from a `multipart/form-data` body (`actix-multipart`), size-limited.
use actix_web::HttpRequest;
use actix_web::web::{BytesMut, Payload};
use futures_util::StreamExt;

use crate::error::{ApiError, FieldIssue};

/// The bytes of the form field `name`; other fields are read past. Not multipart: 415; no
/// such field, or a form that cannot be read: 422; more than `limit` bytes in all: 413.
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
    // A form that cannot be read is a file that cannot be read.
    let unreadable = |_| ApiError::field(name, FieldIssue::new("invalid"));
    let mut found = None;
    let mut total = 0usize;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(unreadable)?;
        let wanted = found.is_none() && field.name() == Some(name);
        let mut bytes = BytesMut::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(unreadable)?;
            // Every field counts towards the limit, not only the file.
            total += chunk.len();
            if total > limit {
                return Err(ApiError::PayloadTooLarge { limit });
            }
            if wanted {
                bytes.extend_from_slice(&chunk);
            }
        }
        if wanted {
            found = Some(bytes);
        }
    }
    found.ok_or_else(|| ApiError::field(name, FieldIssue::new("required")))
}
