use actix_web::http::StatusCode;
use actix_web::web::{Json, Path, Query};
use actix_web::{HttpResponse, delete, get, post, put};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{Admin, Caller, PlatformAdmin};
use crate::error::{ApiError, ErrorBody};
use crate::http::Reply;
use crate::http::ValidJson;
use crate::http::export::{Cell, download};
use crate::http::idempotency::{self, IdempotencyKey};
use crate::http::paging::{Page, PageQuery};
use crate::http::responses::{
    AdminOnly, IdempotencyHeader, InScope, JsonBodyErrors, NeedsLogin, PlatformOnly,
};
use crate::quiz::dto::OpenAttempt;
use crate::quiz::service::Rules;
use crate::state::State;

use super::dto::{Exam, ExamResults, ExportQuery, NewExam, OpenExam, ResultsQuery};
use super::service;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_open_exams)
        .service(start_exam_attempt)
        .service(list_exams)
        .service(get_exam)
        .service(create_exam)
        .service(update_exam)
        .service(delete_exam)
        .service(exam_results)
        .service(export_exam_results);
}

/// Exams my org takes part in (through any org above it) that have not closed, soonest
/// closing first, with my attempts so far.
#[utoipa::path(
    tag = "quiz",
    responses((status = 200, description = "Exams (not paged: they are few)", body = Page<OpenExam>), NeedsLogin)
)]
#[get("/exams")]
async fn list_open_exams(state: State, caller: Caller) -> Reply<Page<OpenExam>> {
    let items = service::open_for(state.db.conn(), caller.member_id, state.now()).await?;
    Ok(Json(Page {
        items,
        next_cursor: None,
    }))
}

/// Start an attempt (or get back the one still open): its questions are drawn and fixed now;
/// the deadline is the earlier of `duration_s` from now and the exam's close, also given as
/// `remaining_s`. Save answers as you go (`PUT /quiz/attempts/{id}/answers`) and submit with
/// `POST /quiz/attempts/{id}/submit`: the result has the score, and the answers and
/// explanations once the exam has closed (`answers_from`). Send an `Idempotency-Key`.
#[utoipa::path(
    tag = "quiz",
    params(("id" = i64, Path, description = "Exam id"), IdempotencyHeader),
    responses(
        (status = 201, description = "The attempt, open", body = OpenAttempt),
        (status = 404, description = "`not_found`: no such exam for my org", body = ErrorBody),
        (status = 409, description = "`exam.closed`: outside its window; `exam.no_attempts_left`; `quiz.no_questions` (the bank cannot fill a rule); `quiz.attempt_open` (another open attempt of mine holds one of its fixed questions: finish it first; `details.attempt_id`)", body = ErrorBody),
        (status = 422, description = "`idempotency.key_reused`", body = ErrorBody),
        NeedsLogin,
    )
)]
#[post("/exams/{id}/attempts")]
async fn start_exam_attempt(
    state: State,
    caller: Caller,
    key: IdempotencyKey,
    id: Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let (now, member_id, exam_id) = (state.now(), caller.member_id, *id);
    let rules = Rules::of(&state.settings);
    idempotency::once(
        &state.db,
        member_id,
        &key,
        "",
        now,
        StatusCode::CREATED,
        |tx| async move { service::start_attempt(&tx, rules, member_id, exam_id, now).await },
    )
    .await
}

/// Exams, newest first: all for platform admins, for org admins those reaching their orgs.
#[utoipa::path(
    tag = "admin",
    params(PageQuery),
    responses((status = 200, description = "A page of exams", body = Page<Exam>), AdminOnly)
)]
#[get("/admin/exams")]
async fn list_exams(state: State, admin: Admin, page: Query<PageQuery>) -> Reply<Page<Exam>> {
    Ok(Json(
        service::list(state.db.conn(), &admin.scope, &page).await?,
    ))
}

#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Exam id")),
    responses((status = 200, description = "The exam", body = Exam), AdminOnly, InScope)
)]
#[get("/admin/exams/{id}")]
async fn get_exam(state: State, admin: Admin, id: Path<i64>) -> Reply<Exam> {
    Ok(Json(
        service::get(state.db.conn(), &admin.scope, *id).await?,
    ))
}

/// Define an exam (platform admins; audited): window, duration, a fixed list of questions or
/// random rules, pass score, attempts, partial credit, the orgs taking part.
#[utoipa::path(
    tag = "admin",
    request_body = NewExam,
    responses(
        (status = 201, description = "Created", body = Exam),
        (status = 404, description = "`not_found`: an org in `org_ids` does not exist", body = ErrorBody),
        (status = 422, description = "`validation_failed`: `ends_at` not after `starts_at`; an empty or oversized selection; a fixed question that does not exist; `pass_score` above the maximum", body = ErrorBody),
        PlatformOnly, JsonBodyErrors,
    )
)]
#[post("/admin/exams")]
async fn create_exam(
    state: State,
    admin: PlatformAdmin,
    body: ValidJson<NewExam>,
) -> Result<HttpResponse, ApiError> {
    let exam = service::create(&state.db, admin.member_id, body.into_inner(), state.now()).await?;
    Ok(HttpResponse::Created().json(exam))
}

/// Replace an exam's definition (platform admins; audited). Attempts already started keep
/// their questions, deadline and terms.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Exam id")),
    request_body = NewExam,
    responses(
        (status = 200, description = "The exam as saved", body = Exam),
        (status = 422, description = "`validation_failed`", body = ErrorBody),
        PlatformOnly, InScope, JsonBodyErrors,
    )
)]
#[put("/admin/exams/{id}")]
async fn update_exam(
    state: State,
    admin: PlatformAdmin,
    id: Path<i64>,
    body: ValidJson<NewExam>,
) -> Reply<Exam> {
    let (actor, now) = (admin.member_id, state.now());
    let grace = Rules::of(&state.settings).grace();
    let exam = service::update(&state.db, actor, *id, body.into_inner(), grace, now).await?;
    Ok(Json(exam))
}

/// Withdraw an exam (platform admins; audited): it leaves every list and its results with it;
/// its attempts and payouts stay in the database.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Exam id")),
    responses((status = 204, description = "Withdrawn"), PlatformOnly, InScope)
)]
#[delete("/admin/exams/{id}")]
async fn delete_exam(
    state: State,
    admin: PlatformAdmin,
    id: Path<i64>,
) -> Result<HttpResponse, ApiError> {
    service::delete(&state.db, admin.member_id, *id, state.now()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Results among members in my scope: standings by best score (equal scores share a rank),
/// time taken, attempts flagged too fast, the pass rate and each question's accuracy.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Exam id"), ResultsQuery),
    responses((status = 200, description = "The results", body = ExamResults), AdminOnly, InScope)
)]
#[get("/admin/exams/{id}/results")]
async fn exam_results(
    state: State,
    admin: Admin,
    id: Path<i64>,
    query: Query<ResultsQuery>,
) -> Reply<ExamResults> {
    Ok(Json(
        service::results(state.db.conn(), &admin.scope, *id, &query).await?,
    ))
}

/// The standings as a file: `?format=csv` (UTF-8 with a BOM) or `xlsx`, one row per member.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Exam id"), ExportQuery),
    responses(
        (status = 200, description = "The file", content((String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        AdminOnly, InScope,
    )
)]
#[get("/admin/exams/{id}/results/export")]
async fn export_exam_results(
    state: State,
    admin: Admin,
    id: Path<i64>,
    query: Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let filter = ResultsQuery {
        org_id: query.org_id,
    };
    let results = service::results(state.db.conn(), &admin.scope, *id, &filter).await?;
    let header = [
        "rank",
        "member_id",
        "nickname",
        "org_id",
        "score",
        "max_score",
        "passed",
        "attempts",
        "duration_s",
        "too_fast",
        "finished_at",
    ];
    let max = results.summary.max_score;
    let rows: Vec<Vec<Cell>> = results
        .standings
        .into_iter()
        .map(|s| {
            vec![
                (s.rank as i64).into(),
                s.member_id.into(),
                s.nickname.unwrap_or_default().into(),
                s.org_id.map_or(Cell::from(""), Cell::from),
                s.score.into(),
                max.into(),
                if s.passed { "yes" } else { "no" }.into(),
                s.attempts.into(),
                s.duration_s.into(),
                if s.too_fast { "yes" } else { "no" }.into(),
                s.finished_at.to_rfc3339().into(),
            ]
        })
        .collect();
    download(
        query.format.unwrap_or_default(),
        &format!("exam-{}-results", *id),
        &header,
        &rows,
    )
}
