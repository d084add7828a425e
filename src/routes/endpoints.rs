use actix_web::web::{Json, Path, Query};
use actix_web::{HttpResponse, get, post};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{Caller, PlatformAdmin};
use crate::error::{ApiError, ErrorBody};
use crate::http::Reply;
use crate::http::ValidJson;
use crate::http::paging::{Page, PageQuery};
use crate::http::responses::{JsonBodyErrors, NeedsLogin, PlatformOnly};
use crate::state::State;

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
    params(PageQuery),
    responses((status = 200, description = "A page of routes", body = Page<Route>), NeedsLogin)
)]
#[get("/routes")]
async fn list_routes(state: State, caller: Caller, page: Query<PageQuery>) -> Reply<Page<Route>> {
    Ok(Json(
        service::list(state.db.conn(), caller.member_id, &page).await?,
    ))
}

/// A route with its sites in order and `my_progress: {visited_site_ids, completed_at}`.
#[utoipa::path(
    tag = "routes",
    params(("id" = i64, Path, description = "Route id")),
    responses(
        (status = 200, description = "The route", body = Route),
        (status = 404, description = "`not_found`", body = ErrorBody),
        NeedsLogin,
    )
)]
#[get("/routes/{id}")]
async fn get_route(state: State, caller: Caller, id: Path<i64>) -> Reply<Route> {
    Ok(Json(
        service::get(state.db.conn(), caller.member_id, *id).await?,
    ))
}

/// Create a route over existing sites (platform admins).
#[utoipa::path(
    tag = "admin",
    request_body = NewRoute,
    responses(
        (status = 201, description = "Created", body = Route),
        (status = 404, description = "`not_found`: a site does not exist", body = ErrorBody),
        PlatformOnly, JsonBodyErrors,
    )
)]
#[post("/admin/routes")]
async fn create_route(
    state: State,
    admin: PlatformAdmin,
    body: ValidJson<NewRoute>,
) -> Result<HttpResponse, ApiError> {
    let route = service::create(&state.db, admin.member_id, body.into_inner(), state.now()).await?;
    Ok(HttpResponse::Created().json(route))
}
