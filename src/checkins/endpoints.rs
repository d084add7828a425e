use actix_web::http::StatusCode;
use actix_web::web::{Json, Path, Query};
use actix_web::{HttpResponse, get, post};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{Admin, Caller};
use crate::error::{ApiError, ErrorBody};
use crate::http::Reply;
use crate::http::ValidJson;
use crate::http::idempotency::{self, IdempotencyKey};
use crate::http::paging::{Page, PageQuery};
use crate::http::responses::{AdminOnly, IdempotencyHeader, InScope, JsonBodyErrors, NeedsLogin};
use crate::state::State;

use super::dto::{
    CheckinFilter, CheckinResult, CheckinView, MyCheckin, MyFootprint, NewCheckin, Review,
};
use super::service;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(check_in)
        .service(my_checkins)
        .service(my_footprint)
        .service(list_checkins)
        .service(review_checkin);
}

/// Check in at a site. The server measures the distance (allowing for up to 100 m of the
/// reported accuracy) and takes the local day from `captured_at` (default: now), so an offline
/// check-in sent later the same day counts as usual. It is stored `flagged` for review, and pays
/// nothing until an admin approves it, when `captured_at` falls on an earlier local day than the
/// day it arrives (`late_capture`), or when it implies impossible travel against the member's
/// nearest check-ins before or after it in time (`impossible_travel`, `repeated_coordinates`).
/// Route windows are judged on `captured_at` of accepted check-ins only, so a late capture
/// counts for a route once approved. Send an `Idempotency-Key`: phones retry.
#[utoipa::path(
    tag = "checkins",
    params(IdempotencyHeader),
    request_body = NewCheckin,
    responses(
        (status = 201, description = "Recorded: `accepted` (paid) or `flagged` (for review)", body = CheckinResult),
        (status = 404, description = "`not_found`: no such open site", body = ErrorBody),
        (status = 409, description = "`checkin.already_today`: already checked in at this site this local day (whatever the first one's status)", body = ErrorBody),
        (status = 422, description = "`checkin.too_far` with `details: {distance_m, radius_m}`; `validation_failed` (e.g. `captured_at` out of bounds); `idempotency.key_reused`", body = ErrorBody),
        NeedsLogin, JsonBodyErrors,
    )
)]
#[post("/checkins")]
async fn check_in(
    state: State,
    caller: Caller,
    key: IdempotencyKey,
    body: ValidJson<NewCheckin>,
) -> Result<HttpResponse, ApiError> {
    let (now, tz, new) = (state.now(), state.settings.timezone, &*body);
    let member_id = caller.member_id;
    idempotency::once(
        &state.db,
        member_id,
        &key,
        body.fingerprint(),
        now,
        StatusCode::CREATED,
        |tx| async move { service::check_in(&tx, member_id, new, now, tz).await },
    )
    .await
}

/// Check-ins of members in the caller's scope, newest first; `?status=flagged` is the review queue.
#[utoipa::path(
    tag = "admin",
    params(CheckinFilter, PageQuery),
    responses((status = 200, description = "A page of check-ins", body = Page<CheckinView>), AdminOnly)
)]
#[get("/admin/checkins")]
async fn list_checkins(
    state: State,
    admin: Admin,
    filter: Query<CheckinFilter>,
    page: Query<PageQuery>,
) -> Reply<Page<CheckinView>> {
    let page =
        service::list_for_admin(state.db.conn(), &admin.scope, filter.into_inner(), &page).await?;
    Ok(Json(page))
}

/// Approve (pay, count for routes) or reject a flagged check-in of a member in scope.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Check-in id")),
    request_body = Review,
    responses(
        (status = 200, description = "The check-in as decided", body = CheckinView),
        AdminOnly, InScope, JsonBodyErrors,
        (status = 403, description = "`forbidden`: not an admin; `forbidden.own_item`: one's own check-in", body = ErrorBody),
        (status = 409, description = "`conflict`: the check-in is not waiting for review (already decided, perhaps by a concurrent review)", body = ErrorBody),
    )
)]
#[post("/admin/checkins/{id}/review")]
async fn review_checkin(
    state: State,
    admin: Admin,
    id: Path<i64>,
    body: ValidJson<Review>,
) -> Reply<CheckinView> {
    let view = service::review(&state.db, &admin, *id, body.into_inner(), state.now()).await?;
    Ok(Json(view))
}

/// My check-ins, newest first, with site names. Notes are private to me and admins.
#[utoipa::path(
    tag = "checkins",
    params(PageQuery),
    responses((status = 200, description = "A page of my check-ins", body = Page<MyCheckin>), NeedsLogin)
)]
#[get("/me/checkins")]
async fn my_checkins(
    state: State,
    caller: Caller,
    page: Query<PageQuery>,
) -> Reply<Page<MyCheckin>> {
    Ok(Json(
        service::mine(state.db.conn(), caller.member_id, &page).await?,
    ))
}

/// The sites I have visited, with counts and first/last dates: my footprint map.
#[utoipa::path(
    tag = "checkins",
    responses((status = 200, description = "My footprint, most recent first", body = MyFootprint), NeedsLogin)
)]
#[get("/me/footprint")]
async fn my_footprint(state: State, caller: Caller) -> Reply<MyFootprint> {
    Ok(Json(
        service::footprint(state.db.conn(), caller.member_id).await?,
    ))
}
