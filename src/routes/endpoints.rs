use actix_web::{HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{Caller, PlatformAdmin};
use crate::error::{ApiError, ErrorBody};
use crate::http::ValidJson;
use crate::http::paging::{Page, PageQuery};
use crate::http::responses::{JsonBodyErrors, NeedsLogin, PlatformOnly};
use crate::state::AppState;

use super::dto::{NewRoute, Route};
use super::service;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_routes)
        .service(get_route)
        .service(create_route);
}

/// Routes to hike, each with its sites in order and my progress.
#[utoipa::path(
    tag = "routes",
    operation_id = "list_routes",
    params(PageQuery),
    responses((status = 200, description = "A page of routes", body = Page<Route>), NeedsLogin)
)]
#[get("/routes")]
async fn list_routes(
    state: web::Data<AppState>,
    caller: Caller,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Page<Route>>, ApiError> {
    Ok(web::Json(
        service::list(state.db.conn(), caller.member_id, &page).await?,
    ))
}

/// A route with its sites in order and `my_progress: {visited_site_ids, completed_at}`.
#[utoipa::path(
    tag = "routes",
    operation_id = "get_route",
    params(("id" = i64, Path, description = "Route id")),
    responses(
        (status = 200, description = "The route", body = Route),
        (status = 404, description = "`not_found`", body = ErrorBody),
        NeedsLogin,
    )
)]
#[get("/routes/{id}")]
async fn get_route(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<web::Json<Route>, ApiError> {
    Ok(web::Json(
        service::get(state.db.conn(), caller.member_id, *id).await?,
    ))
}

/// Create a route over existing sites (platform admins).
#[utoipa::path(
    tag = "admin",
    operation_id = "create_route",
    request_body = NewRoute,
    responses(
        (status = 201, description = "Created", body = Route),
        (status = 404, description = "`not_found`: a site does not exist", body = ErrorBody),
        PlatformOnly, JsonBodyErrors,
    )
)]
#[post("/admin/routes")]
async fn create_route(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    body: ValidJson<NewRoute>,
) -> Result<HttpResponse, ApiError> {
    let route = service::create(&state.db, admin.member_id, body.into_inner(), state.now()).await?;
    Ok(HttpResponse::Created().json(route))
}
