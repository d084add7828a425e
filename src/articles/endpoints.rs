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

use super::dto::{
    Article, ArticleCard, ArticleFilter, ArticleStats, ArticleView, NewArticle, NewSeries,
    ReadingBeat, ReadingCredit, Series, SeriesStats, SeriesView,
};
use super::service;

/// An article's request may carry 50,000 characters of rich text, each up to 12 bytes as
/// escaped JSON.
const ARTICLE_LIMIT: usize = 1024 * 1024;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_articles)
        .service(get_article)
        .service(read_article)
        .service(get_series)
        .service(admin_list_articles)
        .service(admin_get_article)
        .service(create_article)
        .service(update_article)
        .service(delete_article)
        .service(article_stats)
        .service(admin_list_series)
        .service(create_series)
        .service(update_series)
        .service(series_stats);
}

/// Published articles, newest first (with `series_id`: the series' chapters in order), with
/// my progress: completed ever, completed today, seconds counted today.
#[utoipa::path(
    tag = "reading",
    params(ArticleFilter, PageQuery),
    responses((status = 200, description = "A page of articles", body = Page<ArticleCard>), NeedsLogin)
)]
#[get("/articles")]
async fn list_articles(
    state: State,
    caller: Caller,
    filter: Query<ArticleFilter>,
    page: Query<PageQuery>,
) -> Reply<Page<ArticleCard>> {
    let (now, tz) = (state.now(), state.settings.timezone);
    Ok(Json(
        service::list(state.db.conn(), caller.member_id, &filter, &page, now, tz).await?,
    ))
}

/// One published article: the sanitized body for `rich-text`, its media, my progress.
#[utoipa::path(
    tag = "reading",
    params(("id" = i64, Path, description = "Article id")),
    responses(
        (status = 200, description = "The article", body = ArticleView),
        (status = 404, description = "`not_found`: no such published article", body = ErrorBody),
        NeedsLogin,
    )
)]
#[get("/articles/{id}")]
async fn get_article(state: State, caller: Caller, id: Path<i64>) -> Reply<ArticleView> {
    let (now, tz) = (state.now(), state.settings.timezone);
    Ok(Json(
        service::get(state.db.conn(), caller.member_id, *id, now, tz).await?,
    ))
}

/// A reading heartbeat (also while listening to or watching its media). The server counts at
/// most the time that passed since my previous heartbeat on this article (plus 5 s), never
/// time already counted on another article or class, and nothing across a gap of over 5
/// minutes (that heartbeat starts a new session). Once today's counted time reaches
/// `min_read_seconds` the article is completed for today: the first completion ever pays the
/// `reading` point, and today counts for my streak. Study time also pays `reading_time` per
/// its rule's unit. A retry is harmless: it counts only time that passed.
#[utoipa::path(
    tag = "reading",
    params(("id" = i64, Path, description = "Article id")),
    request_body = ReadingBeat,
    responses(
        (status = 200, description = "What was counted", body = ReadingCredit),
        (status = 404, description = "`not_found`: no such published article", body = ErrorBody),
        NeedsLogin, JsonBodyErrors,
    )
)]
#[post("/articles/{id}/reading")]
async fn read_article(
    state: State,
    caller: Caller,
    id: Path<i64>,
    body: ValidJson<ReadingBeat>,
) -> Reply<ReadingCredit> {
    let (now, tz) = (state.now(), state.settings.timezone);
    Ok(Json(
        service::read(&state.db, caller.member_id, *id, &body, now, tz).await?,
    ))
}

/// A series as I follow it: its published chapters in order with my progress, how many I have
/// completed and the next one to read.
#[utoipa::path(
    tag = "reading",
    params(("id" = i64, Path, description = "Series id")),
    responses(
        (status = 200, description = "The series", body = SeriesView),
        (status = 404, description = "`not_found`", body = ErrorBody),
        NeedsLogin,
    )
)]
#[get("/series/{id}")]
async fn get_series(state: State, caller: Caller, id: Path<i64>) -> Reply<SeriesView> {
    let (now, tz) = (state.now(), state.settings.timezone);
    Ok(Json(
        service::series_view(state.db.conn(), caller.member_id, *id, now, tz).await?,
    ))
}

/// Every article, newest first: drafts, scheduled and archived ones included (platform admins).
#[utoipa::path(
    tag = "admin",
    params(PageQuery),
    responses((status = 200, description = "A page of articles", body = Page<Article>), PlatformOnly)
)]
#[get("/admin/articles")]
async fn admin_list_articles(
    state: State,
    _admin: PlatformAdmin,
    page: Query<PageQuery>,
) -> Reply<Page<Article>> {
    Ok(Json(service::admin_list(state.db.conn(), &page).await?))
}

#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Article id")),
    responses((status = 200, description = "The article", body = Article), PlatformOnly, InScope)
)]
#[get("/admin/articles/{id}")]
async fn admin_get_article(state: State, _admin: PlatformAdmin, id: Path<i64>) -> Reply<Article> {
    Ok(Json(service::admin_get(state.db.conn(), *id).await?))
}

/// Write an article (platform admins; audited). The body is stored sanitized; without
/// `min_read_seconds` the minimum follows its length (or its media's).
#[utoipa::path(
    tag = "admin",
    request_body = NewArticle,
    responses(
        (status = 201, description = "Created", body = Article),
        (status = 422, description = "`validation_failed`: `series_id` and `series_position` go together (`required`), the series must exist (`invalid`) and the place be free (`position_taken`); `media_url` and `media_kind` go together (`media_pair`); `published_at` in the years 1970–9999", body = ErrorBody),
        PlatformOnly, JsonBodyErrors,
    )
)]
#[post("/admin/articles")]
async fn create_article(
    state: State,
    admin: PlatformAdmin,
    body: ValidJson<NewArticle, ARTICLE_LIMIT>,
) -> Result<HttpResponse, ApiError> {
    let article =
        service::create(&state.db, admin.member_id, body.into_inner(), state.now()).await?;
    Ok(HttpResponse::Created().json(article))
}

/// Replace an article (platform admins; audited). Reads and completions so far stay.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Article id")),
    request_body = NewArticle,
    responses(
        (status = 200, description = "The article as saved", body = Article),
        (status = 422, description = "`validation_failed`, as for creating", body = ErrorBody),
        PlatformOnly, InScope, JsonBodyErrors,
    )
)]
#[put("/admin/articles/{id}")]
async fn update_article(
    state: State,
    admin: PlatformAdmin,
    id: Path<i64>,
    body: ValidJson<NewArticle, ARTICLE_LIMIT>,
) -> Reply<Article> {
    let (actor, now) = (admin.member_id, state.now());
    Ok(Json(
        service::update(&state.db, actor, *id, body.into_inner(), now).await?,
    ))
}

/// Withdraw an article (platform admins; audited): it leaves every list and frees its place
/// in its series; its reads and payouts stay.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Article id")),
    responses((status = 204, description = "Withdrawn"), PlatformOnly, InScope)
)]
#[delete("/admin/articles/{id}")]
async fn delete_article(
    state: State,
    admin: PlatformAdmin,
    id: Path<i64>,
) -> Result<HttpResponse, ApiError> {
    service::delete(&state.db, admin.member_id, *id, state.now()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Study figures of an article among the members in my scope (org admins: of published
/// articles only): reads (sittings with counted time),
/// unique readers, completions, total counted time.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Article id")),
    responses((status = 200, description = "The figures", body = ArticleStats), AdminOnly, InScope)
)]
#[get("/admin/articles/{id}/stats")]
async fn article_stats(state: State, admin: Admin, id: Path<i64>) -> Reply<ArticleStats> {
    Ok(Json(
        service::article_stats(state.db.conn(), &admin.scope, *id, state.now()).await?,
    ))
}

/// Every series, newest first (platform admins).
#[utoipa::path(
    tag = "admin",
    params(PageQuery),
    responses((status = 200, description = "A page of series", body = Page<Series>), PlatformOnly)
)]
#[get("/admin/series")]
async fn admin_list_series(
    state: State,
    _admin: PlatformAdmin,
    page: Query<PageQuery>,
) -> Reply<Page<Series>> {
    Ok(Json(service::list_series(state.db.conn(), &page).await?))
}

/// Start a series of articles, a book read a chapter a day (platform admins; audited).
/// Chapters join it through their `series_id` and `series_position`.
#[utoipa::path(
    tag = "admin",
    request_body = NewSeries,
    responses((status = 201, description = "Created", body = Series), PlatformOnly, JsonBodyErrors)
)]
#[post("/admin/series")]
async fn create_series(
    state: State,
    admin: PlatformAdmin,
    body: ValidJson<NewSeries>,
) -> Result<HttpResponse, ApiError> {
    let series = service::create_series(&state.db, admin.member_id, &body, state.now()).await?;
    Ok(HttpResponse::Created().json(series))
}

/// Rename a series (platform admins; audited).
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Series id")),
    request_body = NewSeries,
    responses((status = 200, description = "The series as saved", body = Series), PlatformOnly, InScope, JsonBodyErrors)
)]
#[put("/admin/series/{id}")]
async fn update_series(
    state: State,
    admin: PlatformAdmin,
    id: Path<i64>,
    body: ValidJson<NewSeries>,
) -> Reply<Series> {
    let (actor, now) = (admin.member_id, state.now());
    Ok(Json(
        service::update_series(&state.db, actor, *id, &body, now).await?,
    ))
}

/// Study figures of a series among the members in my scope, over all its chapters (a member
/// reading two is one reader) and chapter by chapter.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Series id")),
    responses((status = 200, description = "The figures", body = SeriesStats), AdminOnly, InScope)
)]
#[get("/admin/series/{id}/stats")]
async fn series_stats(state: State, admin: Admin, id: Path<i64>) -> Reply<SeriesStats> {
    Ok(Json(
        service::series_stats(state.db.conn(), &admin.scope, *id, state.now()).await?,
    ))
}
