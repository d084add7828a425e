use actix_web::get;
use actix_web::post;
use actix_web::web::{Json, Path, Query};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody, FieldIssue};
use crate::http::Reply;
use crate::http::ValidJson;
use crate::http::idempotency::{self, IdempotencyKey};
use crate::http::paging::PageQuery;
use crate::http::responses::{IdempotencyHeader, JsonBodyErrors, NeedsLogin};
use crate::state::State;

use super::dto::{Consent, Credits, Inbox, Notification, ReadAll};
use super::service;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(grant_subscription)
        .service(my_notifications)
        .service(read_notification)
        .service(read_all_notifications);
}

/// My inbox, newest first: a message for every review of my submissions. `unread` counts all
/// my unread messages, not only this page's.
#[utoipa::path(
    tag = "me",
    params(PageQuery),
    responses((status = 200, description = "A page of my messages", body = Inbox), NeedsLogin)
)]
#[get("/me/notifications")]
async fn my_notifications(state: State, caller: Caller, page: Query<PageQuery>) -> Reply<Inbox> {
    Ok(Json(
        service::inbox(state.db.conn(), caller.member_id, &page).await?,
    ))
}

/// Mark one of my messages read; again is harmless.
#[utoipa::path(
    tag = "me",
    params(("id" = i64, Path, description = "Notification id")),
    responses(
        (status = 200, description = "The message, read", body = Notification),
        (status = 404, description = "`not_found`: no such message of mine", body = ErrorBody),
        NeedsLogin,
    )
)]
#[post("/me/notifications/{id}/read")]
async fn read_notification(state: State, caller: Caller, id: Path<i64>) -> Reply<Notification> {
    Ok(Json(
        service::mark_read(&state.db, caller.member_id, *id, state.now()).await?,
    ))
}

/// Mark all my messages read.
#[utoipa::path(
    tag = "me",
    responses((status = 200, description = "How many were unread", body = ReadAll), NeedsLogin)
)]
#[post("/me/notifications/read-all")]
async fn read_all_notifications(state: State, caller: Caller) -> Reply<ReadAll> {
    let marked = service::mark_all_read(&state.db, caller.member_id, state.now()).await?;
    Ok(Json(ReadAll { marked }))
}

/// Record that I agreed to one subscribe message of `template_id` (each consent the
/// mini-program's `wx.requestSubscribeMessage` reports): one send credit. When a review of my
/// submission is decided and I hold a credit, the outcome is also sent to my WeChat, using it.
/// Send an `Idempotency-Key`: a retry must not count one consent twice.
#[utoipa::path(
    tag = "me",
    params(IdempotencyHeader),
    request_body = Consent,
    responses(
        (status = 201, description = "The credits I now hold for it", body = Credits),
        (status = 422, description = "`validation_failed`: not a template this server sends (`unknown_template`); `idempotency.key_reused`", body = ErrorBody),
        NeedsLogin, JsonBodyErrors,
    )
)]
#[post("/me/subscriptions")]
async fn grant_subscription(
    state: State,
    caller: Caller,
    key: IdempotencyKey,
    body: ValidJson<Consent>,
) -> Result<actix_web::HttpResponse, ApiError> {
    let template = body.template_id.trim();
    if state.settings.wechat.review_template.as_deref() != Some(template) {
        return Err(ApiError::field(
            "template_id",
            FieldIssue::new("unknown_template"),
        ));
    }
    let (member_id, now) = (caller.member_id, state.now());
    idempotency::once(
        &state.db,
        member_id,
        &key,
        body.fingerprint(),
        now,
        actix_web::http::StatusCode::CREATED,
        |tx| async move { service::grant(&tx, member_id, template, now).await },
    )
    .await
}
