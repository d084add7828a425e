use actix_web::http::StatusCode;
use actix_web::web::{Json, Query};
use actix_web::{HttpResponse, get, post};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::Caller;
use crate::clock::local_date;
use crate::error::{ApiError, ErrorBody};
use crate::http::Reply;
use crate::http::ValidJson;
use crate::http::idempotency::{self, IdempotencyKey};
use crate::http::paging::{Page, PageQuery};
use crate::http::responses::{IdempotencyHeader, JsonBodyErrors, NeedsLogin};
use crate::state::State;

use super::dto::{Calendar, CalendarQuery, Makeup, MakeupCard, Streak};
use super::service;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(my_streak)
        .service(my_calendar)
        .service(spend_makeup_card)
        .service(my_makeup_cards);
}

/// My study streak (连续学习): a local day counts when I completed an article or attended an
/// online class that day, or spent a make-up card on it. The current streak stays alive
/// through today until the day ends.
#[utoipa::path(
    tag = "reading",
    responses((status = 200, description = "My streak", body = Streak), NeedsLogin)
)]
#[get("/me/reading/streak")]
async fn my_streak(state: State, caller: Caller) -> Reply<Streak> {
    let today = local_date(state.now(), state.settings.timezone);
    Ok(Json(
        service::streak(state.db.conn(), caller.member_id, today).await?,
    ))
}

/// The days of a month that count for my streak.
#[utoipa::path(
    tag = "reading",
    params(CalendarQuery),
    responses(
        (status = 200, description = "The month's counted days", body = Calendar),
        (status = 422, description = "`validation_failed`: `month` is not `YYYY-MM`", body = ErrorBody),
        NeedsLogin,
    )
)]
#[get("/me/reading/calendar")]
async fn my_calendar(state: State, caller: Caller, query: Query<CalendarQuery>) -> Reply<Calendar> {
    let today = local_date(state.now(), state.settings.timezone);
    let month = query.month.as_deref();
    Ok(Json(
        service::calendar(state.db.conn(), caller.member_id, month, today).await?,
    ))
}

/// Spend a make-up card (补签卡) on a missed day: one of the 7 days before today, not before I
/// joined. The day counts for the streak again; it pays no points. Send an `Idempotency-Key`:
/// a retry replays the answer instead of answering `reading.day_counted`.
#[utoipa::path(
    tag = "reading",
    params(IdempotencyHeader),
    request_body = Makeup,
    responses(
        (status = 200, description = "The card is spent; my streak now", body = Streak),
        (status = 409, description = "`reading.no_makeup_card`; `reading.day_counted`: the day counts already", body = ErrorBody),
        (status = 422, description = "`validation_failed` (`date`: `makeup_window`, with `min` and `max`); `idempotency.key_reused`", body = ErrorBody),
        NeedsLogin, JsonBodyErrors,
    )
)]
#[post("/me/reading/makeup")]
async fn spend_makeup_card(
    state: State,
    caller: Caller,
    key: IdempotencyKey,
    body: ValidJson<Makeup>,
) -> Result<HttpResponse, ApiError> {
    let (now, tz, member_id, date) = (
        state.now(),
        state.settings.timezone,
        caller.member_id,
        body.date,
    );
    idempotency::once(
        &state.db,
        member_id,
        &key,
        body.fingerprint(),
        now,
        StatusCode::OK,
        |tx| async move { service::makeup(&tx, member_id, date, now, tz).await },
    )
    .await
}

/// My make-up cards, newest first: those held and those spent (on which day, when).
#[utoipa::path(
    tag = "reading",
    params(PageQuery),
    responses((status = 200, description = "A page of cards", body = Page<MakeupCard>), NeedsLogin)
)]
#[get("/me/reading/makeup-cards")]
async fn my_makeup_cards(
    state: State,
    caller: Caller,
    page: Query<PageQuery>,
) -> Reply<Page<MakeupCard>> {
    Ok(Json(
        service::cards(state.db.conn(), caller.member_id, &page).await?,
    ))
}
