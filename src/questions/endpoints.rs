use actix_web::web::{Json, Path, Query};
use actix_web::{HttpResponse, delete, get, post, put};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::PlatformAdmin;
use crate::error::{ApiError, ErrorBody};
use crate::http::Reply;
use crate::http::ValidJson;
use crate::http::paging::{Page, PageQuery};
use crate::http::responses::{InScope, JsonBodyErrors, PlatformOnly};
use crate::state::State;

use super::dto::{NewQuestion, Question, QuestionQuery};
use super::service;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_questions)
        .service(get_question)
        .service(create_question)
        .service(update_question)
        .service(retire_question);
}

/// The question bank with answers (platform admins), oldest first.
#[utoipa::path(
    tag = "admin",
    params(QuestionQuery, PageQuery),
    responses((status = 200, description = "A page of questions", body = Page<Question>), PlatformOnly)
)]
#[get("/admin/questions")]
async fn list_questions(
    state: State,
    _admin: PlatformAdmin,
    filter: Query<QuestionQuery>,
    page: Query<PageQuery>,
) -> Reply<Page<Question>> {
    let list = service::list(state.db.conn(), filter.into_inner(), &page).await?;
    Ok(Json(list))
}

#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Question id")),
    responses((status = 200, description = "The question", body = Question), PlatformOnly, InScope)
)]
#[get("/admin/questions/{id}")]
async fn get_question(state: State, _admin: PlatformAdmin, id: Path<i64>) -> Reply<Question> {
    Ok(Json(service::get(state.db.conn(), *id).await?))
}

/// Add a question (platform admins; audited).
#[utoipa::path(
    tag = "admin",
    request_body = NewQuestion,
    responses(
        (status = 201, description = "Created", body = Question),
        (status = 409, description = "`question.duplicate`: the type already has this stem (`details.question_id`)", body = ErrorBody),
        (status = 422, description = "`validation_failed`, e.g. `options`: `one_right`, `two_right`, `not_for_type`", body = ErrorBody),
        PlatformOnly, JsonBodyErrors,
    )
)]
#[post("/admin/questions")]
async fn create_question(
    state: State,
    admin: PlatformAdmin,
    body: ValidJson<NewQuestion>,
) -> Result<HttpResponse, ApiError> {
    let q = service::create(&state.db, admin.member_id, body.into_inner(), state.now()).await?;
    Ok(HttpResponse::Created().json(q))
}

/// Replace a question with a new version (platform admins; audited). Attempts already started
/// keep the version they were given and are graded by it.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Question id")),
    request_body = NewQuestion,
    responses(
        (status = 200, description = "The question as saved", body = Question),
        (status = 409, description = "`question.duplicate`", body = ErrorBody),
        (status = 422, description = "`validation_failed`", body = ErrorBody),
        PlatformOnly, InScope, JsonBodyErrors,
    )
)]
#[put("/admin/questions/{id}")]
async fn update_question(
    state: State,
    admin: PlatformAdmin,
    id: Path<i64>,
    body: ValidJson<NewQuestion>,
) -> Reply<Question> {
    let q = service::update(
        &state.db,
        admin.member_id,
        *id,
        body.into_inner(),
        state.now(),
    )
    .await?;
    Ok(Json(q))
}

/// Retire a question (platform admins; audited): never drawn again; attempts keep it.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Question id")),
    responses((status = 204, description = "Retired"), PlatformOnly, InScope)
)]
#[delete("/admin/questions/{id}")]
async fn retire_question(
    state: State,
    admin: PlatformAdmin,
    id: Path<i64>,
) -> Result<HttpResponse, ApiError> {
    service::retire(&state.db, admin.member_id, *id, state.now()).await?;
    Ok(HttpResponse::NoContent().finish())
}
