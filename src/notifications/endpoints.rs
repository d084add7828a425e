use actix_web::get;
use actix_web::post;
use actix_web::web::{Json, Path, Query};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::Caller;
use crate::error::ErrorBody;
use crate::http::Reply;
use crate::http::paging::PageQuery;
use crate::http::responses::NeedsLogin;
use crate::state::State;

use super::dto::{Inbox, Notification, ReadAll};
use super::service;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(my_notifications)
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
