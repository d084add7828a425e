use actix_web::http::header;
use actix_web::web::{Payload, Query};
use actix_web::{HttpRequest, HttpResponse, get, post};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::{ApiError, ErrorBody, FieldIssue};
use crate::http::read_body;
use crate::state::State;
use crate::wechat::PushMessage;

use super::dto::Signed;
use super::service;

/// A push is a small JSON message.
const PUSH_LIMIT: usize = 64 * 1024;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(push_handshake).service(push_message);
}

/// A push's timestamp must be this close to now: a signed URL seen in a log cannot be
/// replayed for long.
const FRESH_SECS: i64 = 300;

fn check(state: &State, signed: &Signed) -> Result<(), ApiError> {
    let fresh = signed
        .timestamp
        .parse::<i64>()
        .is_ok_and(|t| (state.now().timestamp() - t).abs() <= FRESH_SECS);
    if fresh
        && state
            .wechat
            .push_signed(&signed.signature, &signed.timestamp, &signed.nonce)
    {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// WeChat's handshake when the message-push URL is configured: the signature is checked with
/// `REDTRAIL_WECHAT_PUSH_TOKEN` and `echostr` answered back as plain text.
#[utoipa::path(
    tag = "wechat",
    params(Signed),
    responses(
        (status = 200, description = "`echostr`, as it came", body = String, content_type = "text/plain"),
        (status = 403, description = "`forbidden`: the signature is not the push token's (or none is configured), or the timestamp is more than 5 minutes off", body = ErrorBody),
    ),
    security(())
)]
#[get("/wechat/push")]
async fn push_handshake(state: State, signed: Query<Signed>) -> Result<HttpResponse, ApiError> {
    check(&state, &signed)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(signed.echostr.clone().unwrap_or_default()))
}

/// A message WeChat pushes (JSON, plain-text mode), signed with the push token. The image
/// check's verdict (`Event: wxa_media_check`, matched by `trace_id` or `traceId`; `label` a
/// number or a string): a risky image is hidden at once and what showed it reacts — a
/// submission goes back to review, an avatar is taken down. Other messages are acknowledged.
/// Answered `success`, as WeChat expects; a repeat is harmless.
#[utoipa::path(
    tag = "wechat",
    params(Signed),
    request_body(content = Object, content_type = "application/json"),
    responses(
        (status = 200, description = "`success`", body = String, content_type = "text/plain"),
        (status = 400, description = "`bad_request`: not JSON", body = ErrorBody),
        (status = 403, description = "`forbidden`: the signature is not the push token's, or the timestamp is more than 5 minutes off", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: over 64 KiB", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: not `application/json` (the push must be set to JSON)", body = ErrorBody),
        (status = 422, description = "`validation_failed`: JSON that is not a message object", body = ErrorBody),
    ),
    security(())
)]
#[post("/wechat/push")]
async fn push_message(
    state: State,
    signed: Query<Signed>,
    req: HttpRequest,
    payload: Payload,
) -> Result<HttpResponse, ApiError> {
    check(&state, &signed)?;
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/json"));
    if !json {
        return Err(ApiError::UnsupportedMediaType);
    }
    let body = read_body(payload.into_inner(), None, PUSH_LIMIT).await?;
    let value: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    if let Some(field) = crate::http::text::first_unclean(&value) {
        return Err(crate::http::text::refuse(&field));
    }
    let message = PushMessage::new(value)
        .ok_or_else(|| ApiError::field("body", FieldIssue::new("invalid_type")))?;
    let ctx = crate::submissions::service::Ctx::of(&state.settings, state.now());
    service::receive(&state.db, &message, ctx).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("success"))
}
