use actix_web::web::{Json, Path, Query};
use actix_web::{HttpResponse, delete, get, post, put};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::PlatformAdmin;
use crate::error::{ApiError, ErrorBody};
use crate::http::Reply;
use crate::http::ValidJson;
use crate::http::export::download;
use crate::http::paging::{Page, PageQuery};
use crate::http::responses::{InScope, JsonBodyErrors, PlatformOnly};
use crate::state::State;

use super::dto::{
    ImportForm, ImportQuery, ImportReport, NewQuestion, Question, QuestionQuery, SheetQuery,
};
use super::{service, sheet};

/// An import may be this large.
const IMPORT_LIMIT: usize = 8 << 20;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(import_questions)
        .service(import_template)
        .service(export_questions)
        .service(list_questions)
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

/// Retire a question (platform admins; audited): never drawn at random again (a fixed exam
/// that names it still asks it); attempts keep it. It is not gone: it stays readable here with
/// `status: retired`, as the bank's history.
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

/// Import questions from a sheet (platform admins; audited): multipart field `file`, XLSX or
/// UTF-8 CSV under the template's header (`GET /admin/questions/import-template`): `type`,
/// `stem`, `option_a`…`option_h`, `answer` (letters such as `A,C`; 正确/错误; fill blanks
/// separated by `;`, accepted answers by `|`), `explanation`, `category`, `tags`, `difficulty`,
/// `source`, `status`. All or nothing: any problem is 422 with `details.rows: [{row, column,
/// code, message}]` (the header is row 1; at most 100 listed, `details.error_count` counts
/// all). A question whose type and stem the bank holds is updated, not added again.
/// `?dry_run=true` checks and counts without writing.
#[utoipa::path(
    tag = "admin",
    params(ImportQuery),
    request_body(content = ImportForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "Imported (or, dry, checked)", body = ImportReport),
        (status = 409, description = "`question.duplicate`: another admin added one of its questions meanwhile", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: more than 8 MiB, an XLSX unpacking to more than 64 MiB, or more than 5,000 rows, blank ones too (`details.max_rows`)", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: not `multipart/form-data`", body = ErrorBody),
        (status = 422, description = "`validation_failed`: `details.rows` by row and column; or `file` missing, or the form or file unreadable", body = ErrorBody),
        PlatformOnly,
    )
)]
#[post("/admin/questions/import")]
async fn import_questions(
    state: State,
    admin: PlatformAdmin,
    query: Query<ImportQuery>,
    req: actix_web::HttpRequest,
    payload: actix_web::web::Payload,
) -> Result<HttpResponse, ApiError> {
    let file = crate::http::upload::file_field(&req, payload, "file", IMPORT_LIMIT).await?;
    let dry_run = query.dry_run.unwrap_or(false);
    let report = service::import(&state.db, admin.member_id, &file, dry_run, state.now()).await?;
    Ok(HttpResponse::Ok().json(report))
}

/// The import template (platform admins): the header and an example of each type.
#[utoipa::path(
    tag = "admin",
    params(SheetQuery),
    responses(
        (status = 200, description = "The template", content((String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        PlatformOnly,
    )
)]
#[get("/admin/questions/import-template")]
async fn import_template(
    _admin: PlatformAdmin,
    query: Query<SheetQuery>,
) -> Result<HttpResponse, ApiError> {
    let format = query.format.unwrap_or_default();
    download(
        format,
        "questions-template",
        &sheet::header(),
        &sheet::examples(),
    )
}

/// The whole bank in the import layout (platform admins): re-importing it changes nothing,
/// unless a tag holds `,` or `、`, or a fill answer `;` or `|` (the layout's separators). CSV
/// text that a spreadsheet would run as a formula is written after a `'`.
#[utoipa::path(
    tag = "admin",
    params(SheetQuery),
    responses(
        (status = 200, description = "The bank", content((String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        PlatformOnly,
    )
)]
#[get("/admin/questions/export")]
async fn export_questions(
    state: State,
    _admin: PlatformAdmin,
    query: Query<SheetQuery>,
) -> Result<HttpResponse, ApiError> {
    let rows = service::export(state.db.conn()).await?;
    download(
        query.format.unwrap_or_default(),
        "questions",
        &sheet::header(),
        &rows,
    )
}
