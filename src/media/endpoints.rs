use actix_web::http::{StatusCode, header};
use actix_web::web::{Path, Payload};
use actix_web::{HttpRequest, HttpResponse, get, post};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::http::idempotency::{self, IdempotencyKey};
use crate::http::responses::{IdempotencyHeader, NeedsLogin};
use crate::http::upload::file_stream;
use crate::state::State;

use super::dto::{Medium, UploadForm};
use super::service;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(upload_medium).service(media_file);
}

/// Upload a photo, video or audio clip (multipart field `file`). The type is read from the
/// file's bytes, never its name or declared type; the size limit of that type is enforced as
/// the bytes arrive. Images are decoded and encoded again, upright, with every metadata block
/// (EXIF and its GPS position among them) gone, and get a thumbnail. The medium is mine until I
/// attach it (as a check-in photo, my avatar or in a submission); nobody else can. With the
/// content check on, an image is also sent to WeChat's image check: a risky verdict, pushed
/// later, hides it wherever it is shown. Send an `Idempotency-Key`: a retry of the same file
/// then answers the first upload.
#[utoipa::path(
    tag = "media",
    params(IdempotencyHeader),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored", body = Medium),
        (status = 413, description = "`payload_too_large`: over the limit for its type (`details.limit_bytes`)", body = ErrorBody),
        (status = 415, description = "`media.unsupported_type`: the bytes are not JPEG, PNG, WebP, MP4, MP3 or M4A; `unsupported_media_type`: not `multipart/form-data`", body = ErrorBody),
        (status = 429, description = "`rate_limited`: more than 30 uploads in a minute", body = ErrorBody),
        (status = 422, description = "`media.image_too_large`: more pixels than allowed (`details.max_pixels`, `details.max_side`), decompression bombs among them; `media.unreadable`: a broken image; `validation_failed`: no `file` field, or an unreadable form; `idempotency.key_reused`", body = ErrorBody),
        NeedsLogin,
    )
)]
#[post("/media")]
async fn upload_medium(
    state: State,
    caller: Caller,
    key: IdempotencyKey,
    req: HttpRequest,
    payload: Payload,
) -> Result<HttpResponse, ApiError> {
    state.upload_limiter.check(caller.member_id, state.now())?;
    let chunks = Box::pin(file_stream(&req, payload, "file").await?);
    let settings = &state.settings.media;
    let received = service::receive(&state.storage, settings, chunks).await?;
    // WeChat fetches an image from its public URL and pushes its verdict later.
    let openid = caller.member.openid.as_deref();
    let to_check = state.settings.content_check && !settings.public_url.is_empty();
    let to_check = to_check && openid.is_some();
    let (member_id, now, received_ref) = (caller.member_id, state.now(), &received);
    let answer = idempotency::once(
        &state.db,
        member_id,
        &key,
        &received.fingerprint,
        now,
        StatusCode::CREATED,
        |tx| async move {
            let url = &settings.public_url;
            service::record(&tx, member_id, received_ref, to_check, url, now).await
        },
    )
    .await;
    // A replay answers with the first upload's medium: this copy is not needed.
    let kept = answer
        .as_ref()
        .is_ok_and(|res| !res.headers().contains_key("idempotent-replayed"));
    if !kept {
        service::discard(&state.storage, &received).await;
    } else if let (true, Some(openid)) = (to_check, openid) {
        let (db, wechat, url) = (&state.db, &state.wechat, &settings.public_url);
        // Stored already: a failure here leaves it `unchecked` for the background re-check.
        if let Err(e) = service::request_check(db, wechat, &received, openid, url).await {
            tracing::warn!(error = %e, "recording an image check's trace failed");
        }
    }
    answer
}

/// A stored file, by the name in a medium's `url` or `thumb_url`. No login: the mini-program's
/// `<image>` and `<video>` send none, and the name is random. The content never changes, so it
/// may be cached for a year (`ETag`, `If-None-Match` → 304). A hidden medium (a risky verdict
/// from WeChat's check) is 404.
#[utoipa::path(
    tag = "media",
    params(("name" = String, Path, description = "`{token}.{ext}` or `{token}.thumb.jpg`")),
    responses(
        (status = 200, description = "The file", content(
            (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"), (Vec<u8> = "video/mp4"),
            (Vec<u8> = "audio/mpeg"), (Vec<u8> = "audio/mp4"),
        )),
        (status = 304, description = "Not modified (`If-None-Match`)"),
        (status = 404, description = "`not_found`: no such file, or hidden", body = ErrorBody),
    ),
    security(())
)]
#[get("/media/files/{name}")]
async fn media_file(
    state: State,
    req: HttpRequest,
    name: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (medium, thumb) = service::find_served(state.db.conn(), &name).await?;
    let etag = service::etag(&medium, thumb);
    let cached = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut res = HttpResponse::Ok();
    res.insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((header::ETAG, etag))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if cached {
        return Ok(res.status(StatusCode::NOT_MODIFIED).finish());
    }
    let served = service::open(&state.storage, medium, thumb).await?;
    Ok(res
        .insert_header((header::CONTENT_TYPE, served.content_type))
        .no_chunking(served.size)
        .streaming(served.body))
}
