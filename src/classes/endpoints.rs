use actix_web::web::{Json, Path, Query};
use actix_web::{HttpResponse, delete, get, post, put};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{Admin, Caller, PlatformAdmin};
use crate::error::{ApiError, ErrorBody};
use crate::http::Reply;
use crate::http::ValidJson;
use crate::http::paging::{Page, PageQuery};
use crate::http::responses::{AdminOnly, InScope, JsonBodyErrors, NeedsLogin, PlatformOnly};
use crate::state::State;

use super::dto::{AttendanceCredit, Class, ClassAttendance, ClassBeat, NewClass, OpenClass};
use super::service;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_open_classes)
        .service(get_open_class)
        .service(attend_class)
        .service(list_classes)
        .service(get_class)
        .service(create_class)
        .service(update_class)
        .service(delete_class)
        .service(class_attendance);
}

/// Online classes (云课堂) given to my org or an org above it, latest start first, with my
/// attendance.
#[utoipa::path(
    tag = "classes",
    params(PageQuery),
    responses((status = 200, description = "A page of classes", body = Page<OpenClass>), NeedsLogin)
)]
#[get("/classes")]
async fn list_open_classes(
    state: State,
    caller: Caller,
    page: Query<PageQuery>,
) -> Reply<Page<OpenClass>> {
    Ok(Json(
        service::open_for(state.db.conn(), caller.member_id, &page, state.now()).await?,
    ))
}

#[utoipa::path(
    tag = "classes",
    params(("id" = i64, Path, description = "Class id")),
    responses(
        (status = 200, description = "The class, with my attendance", body = OpenClass),
        (status = 404, description = "`not_found`: no such class for my org", body = ErrorBody),
        NeedsLogin,
    )
)]
#[get("/classes/{id}")]
async fn get_open_class(state: State, caller: Caller, id: Path<i64>) -> Reply<OpenClass> {
    Ok(Json(
        service::get_open(state.db.conn(), caller.member_id, *id, state.now()).await?,
    ))
}

/// An attendance heartbeat while the class is live, every 15–60 s. Counted as reading is: at
/// most the time since my previous heartbeat on it (plus 5 s), never time already counted
/// elsewhere, nothing across a gap of over 5 minutes. Once my credited time reaches
/// `attend_min_seconds` I attended, and today counts for my streak. A retry is harmless.
#[utoipa::path(
    tag = "classes",
    params(("id" = i64, Path, description = "Class id")),
    request_body = ClassBeat,
    responses(
        (status = 200, description = "What was counted", body = AttendanceCredit),
        (status = 404, description = "`not_found`: no such class for my org", body = ErrorBody),
        (status = 409, description = "`class.not_live`: outside the class's window", body = ErrorBody),
        NeedsLogin, JsonBodyErrors,
    )
)]
#[post("/classes/{id}/attendance")]
async fn attend_class(
    state: State,
    caller: Caller,
    id: Path<i64>,
    body: ValidJson<ClassBeat>,
) -> Reply<AttendanceCredit> {
    let (now, tz) = (state.now(), state.settings.timezone);
    Ok(Json(
        service::attend(&state.db, caller.member_id, *id, &body, now, tz).await?,
    ))
}

/// Classes, newest first: all for platform admins, for org admins those reaching their orgs.
#[utoipa::path(
    tag = "admin",
    params(PageQuery),
    responses((status = 200, description = "A page of classes", body = Page<Class>), AdminOnly)
)]
#[get("/admin/classes")]
async fn list_classes(state: State, admin: Admin, page: Query<PageQuery>) -> Reply<Page<Class>> {
    Ok(Json(
        service::list(state.db.conn(), &admin.scope, &page).await?,
    ))
}

#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Class id")),
    responses((status = 200, description = "The class", body = Class), AdminOnly, InScope)
)]
#[get("/admin/classes/{id}")]
async fn get_class(state: State, admin: Admin, id: Path<i64>) -> Reply<Class> {
    Ok(Json(
        service::get(state.db.conn(), &admin.scope, *id).await?,
    ))
}

/// Schedule an online class (platform admins; audited) for org subtrees, maybe within a
/// campaign: window, speaker, stream and replay links, the attendance threshold.
#[utoipa::path(
    tag = "admin",
    request_body = NewClass,
    responses(
        (status = 201, description = "Created", body = Class),
        (status = 404, description = "`not_found`: an org in `org_ids` does not exist", body = ErrorBody),
        (status = 422, description = "`validation_failed`: `ends_at` not after `starts_at` (`after_start`) or more than 24 hours after it (`range`); `attend_min_seconds` longer than the class; an unknown `campaign_id`", body = ErrorBody),
        PlatformOnly, JsonBodyErrors,
    )
)]
#[post("/admin/classes")]
async fn create_class(
    state: State,
    admin: PlatformAdmin,
    body: ValidJson<NewClass>,
) -> Result<HttpResponse, ApiError> {
    let class = service::create(&state.db, admin.member_id, body.into_inner(), state.now()).await?;
    Ok(HttpResponse::Created().json(class))
}

/// Replace a class's definition (platform admins; audited). Attendance so far stays.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Class id")),
    request_body = NewClass,
    responses(
        (status = 200, description = "The class as saved", body = Class),
        (status = 422, description = "`validation_failed`, as for creating", body = ErrorBody),
        PlatformOnly, InScope, JsonBodyErrors,
    )
)]
#[put("/admin/classes/{id}")]
async fn update_class(
    state: State,
    admin: PlatformAdmin,
    id: Path<i64>,
    body: ValidJson<NewClass>,
) -> Reply<Class> {
    let (actor, now) = (admin.member_id, state.now());
    Ok(Json(
        service::update(&state.db, actor, *id, body.into_inner(), now).await?,
    ))
}

/// Withdraw a class (platform admins; audited): members no longer see it; its attendance
/// stays.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Class id")),
    responses((status = 204, description = "Withdrawn"), PlatformOnly, InScope)
)]
#[delete("/admin/classes/{id}")]
async fn delete_class(
    state: State,
    admin: PlatformAdmin,
    id: Path<i64>,
) -> Result<HttpResponse, ApiError> {
    service::delete(&state.db, admin.member_id, *id, state.now()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Attendance among the members in my scope: how many joined and attended, the credited time,
/// the most attending at once (`peak_concurrent`, and when), and a page of members with their
/// org and minutes, by member id.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Class id"), PageQuery),
    responses((status = 200, description = "The attendance", body = ClassAttendance), AdminOnly, InScope)
)]
#[get("/admin/classes/{id}/attendance")]
async fn class_attendance(
    state: State,
    admin: Admin,
    id: Path<i64>,
    page: Query<PageQuery>,
) -> Reply<ClassAttendance> {
    Ok(Json(
        service::attendance(state.db.conn(), &admin.scope, *id, &page).await?,
    ))
}
