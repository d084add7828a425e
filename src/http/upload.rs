//! One file from a `multipart/form-data` body (`actix-multipart`): whole and size-limited
//! ([`file_field`]), or as a stream of chunks ([`file_stream`]) for a caller that limits it as it
//! reads.
use actix_web::HttpRequest;
use actix_web::web::{Bytes, BytesMut, Payload};
use futures_util::{Stream, StreamExt};

use crate::error::{ApiError, FieldIssue};

/// Fields before the file may hold this much in all.
const LEADING_FIELDS_LIMIT: usize = 64 * 1024;

fn form(req: &HttpRequest, payload: Payload) -> Result<actix_multipart::Multipart, ApiError> {
    let multipart = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !multipart {
        return Err(ApiError::UnsupportedMediaType);
    }
    Ok(actix_multipart::Multipart::new(
        req.headers(),
        payload.into_inner(),
    ))
}

/// The chunks of the form field `name` as they arrive; fields before it are read past (64 KiB
/// of them at most), fields after it are never read. Not multipart: 415; no such field, or a
/// form that cannot be read: 422.
pub async fn file_stream(
    req: &HttpRequest,
    payload: Payload,
    name: &'static str,
) -> Result<impl Stream<Item = Result<Bytes, ApiError>> + use<>, ApiError> {
    let mut form = form(req, payload)?;
    let unreadable = |_| ApiError::field(name, FieldIssue::new("invalid"));
    let mut skipped = 0usize;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(unreadable)?;
        if field.name() == Some(name) {
            // The form must live while the field is read: it drives the body.
            let chunks =
                futures_util::stream::unfold((form, field), move |(form, mut field)| async move {
                    let chunk = field.next().await?;
                    Some((chunk.map_err(unreadable), (form, field)))
                });
            return Ok(chunks);
        }
        while let Some(chunk) = field.next().await {
            skipped += chunk.map_err(unreadable)?.len();
            if skipped > LEADING_FIELDS_LIMIT {
                return Err(ApiError::PayloadTooLarge {
                    limit: LEADING_FIELDS_LIMIT,
                });
            }
        }
    }
    Err(ApiError::field(name, FieldIssue::new("required")))
}

/// The bytes of the form field `name`; other fields are read past. Not multipart: 415; no
/// such field, or a form that cannot be read: 422; more than `limit` bytes in all: 413.
pub async fn file_field(
    req: &HttpRequest,
    payload: Payload,
    name: &str,
    limit: usize,
) -> Result<BytesMut, ApiError> {
    let mut form = form(req, payload)?;
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
