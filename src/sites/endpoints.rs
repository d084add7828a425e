use actix_web::web::{Json, Path, Query};
use actix_web::{HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{Caller, PlatformAdmin};
use crate::error::ApiError;
use crate::http::Reply;
use crate::http::ValidJson;
use crate::http::paging::{Page, PageQuery};
use crate::http::responses::{InScope, JsonBodyErrors, NeedsLogin, PlatformOnly};
use crate::state::State;

use super::dto::{Imported, NewSite, Site, SiteFilter, SiteSearch, UpdateSite};
use super::service;

/// A CSV import may be this large: some 30,000 sites.
const IMPORT_LIMIT: usize = 4 << 20;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(search_sites)
        .service(get_site)
        .service(list_sites)
        .service(create_site)
        .service(import_sites)
        .service(update_site)
        .service(delete_site);
}

/// Sites to visit. With `lat` and `lng` (GCJ-02): those within `within_m` (default 5,000 m, at
/// most 50,000 m), nearest first, each with `distance_m`. Without them: all, in id order.
#[utoipa::path(
    tag = "sites",
    params(SiteSearch, PageQuery),
    responses(
        (status = 200, description = "A page of sites", body = Page<Site>),
        (status = 422, description = "`validation_failed`: only one of `lat`/`lng`, or out of range", body = crate::error::ErrorBody),
        NeedsLogin,
    )
)]
#[get("/sites")]
async fn search_sites(
    state: State,
    _caller: Caller,
    search: Query<SiteSearch>,
    page: Query<PageQuery>,
) -> Reply<Page<Site>> {
    Ok(Json(
        service::search(state.db.conn(), search.into_inner(), &page).await?,
    ))
}

#[utoipa::path(
    tag = "sites",
    params(("id" = i64, Path, description = "Site id")),
    responses(
        (status = 200, description = "The site", body = Site),
        (status = 404, description = "`not_found`: no such site, or hidden", body = crate::error::ErrorBody),
        NeedsLogin,
    )
)]
#[get("/sites/{id}")]
async fn get_site(state: State, _caller: Caller, id: Path<i64>) -> Reply<Site> {
    Ok(Json(service::get(state.db.conn(), *id).await?))
}

/// Every site, hidden ones too, newest first (platform admins): where approved site proposals
/// wait, hidden, to be published.
#[utoipa::path(
    tag = "admin",
    params(SiteFilter, PageQuery),
    responses((status = 200, description = "A page of sites", body = Page<Site>), PlatformOnly)
)]
#[get("/admin/sites")]
async fn list_sites(
    state: State,
    _admin: PlatformAdmin,
    filter: Query<SiteFilter>,
    page: Query<PageQuery>,
) -> Reply<Page<Site>> {
    Ok(Json(
        service::list_all(state.db.conn(), &filter, &page).await?,
    ))
}

/// Add a site (platform admins).
#[utoipa::path(
    tag = "admin",
    request_body = NewSite,
    responses((status = 201, description = "Created", body = Site), PlatformOnly, JsonBodyErrors)
)]
#[post("/admin/sites")]
async fn create_site(
    state: State,
    admin: PlatformAdmin,
    body: ValidJson<NewSite>,
) -> Result<HttpResponse, ApiError> {
    let site = service::create(&state.db, admin.member_id, body.into_inner(), state.now()).await?;
    Ok(HttpResponse::Created().json(site))
}

/// Edit a site (platform admins).
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Site id")),
    request_body = UpdateSite,
    responses((status = 200, description = "The site as saved", body = Site), PlatformOnly, InScope, JsonBodyErrors)
)]
#[patch("/admin/sites/{id}")]
async fn update_site(
    state: State,
    admin: PlatformAdmin,
    id: Path<i64>,
    body: ValidJson<UpdateSite>,
) -> Reply<Site> {
    let site = service::update(
        &state.db,
        admin.member_id,
        *id,
        body.into_inner(),
        state.now(),
    )
    .await?;
    Ok(Json(site))
}

/// Remove a site (platform admins). Soft: its check-ins keep it.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Site id")),
    responses((status = 204, description = "Removed"), PlatformOnly, InScope)
)]
#[delete("/admin/sites/{id}")]
async fn delete_site(
    state: State,
    admin: PlatformAdmin,
    id: Path<i64>,
) -> Result<HttpResponse, ApiError> {
    service::delete(&state.db, admin.member_id, *id, state.now()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Import sites from CSV (platform admins): UTF-8, header
/// `name,category,lat,lng,radius_m,address,region,description,opening_hours` (the first four
/// required), at most 10,000 rows. All or nothing: any bad row makes it 422, each problem under
/// `rows[N].field` where N is the line number; at most the first 100 problems are listed, with
/// `details.error_count` (all of them) and `details.truncated`.
#[utoipa::path(
    tag = "admin",
    request_body(content = String, content_type = "text/csv"),
    responses(
        (status = 201, description = "Every row created", body = Imported),
        (status = 413, description = "`payload_too_large`: more than 4 MiB, or more than 10,000 rows (`details.max_rows`)", body = crate::error::ErrorBody),
        (status = 415, description = "`unsupported_media_type`: not `text/csv`", body = crate::error::ErrorBody),
        PlatformOnly,
    )
)]
#[post("/admin/sites/import")]
async fn import_sites(
    state: State,
    admin: PlatformAdmin,
    req: actix_web::HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let is_csv = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/csv"));
    if !is_csv {
        return Err(ApiError::UnsupportedMediaType);
    }
    let body = crate::http::read_body(payload.into_inner(), None, IMPORT_LIMIT).await?;
    let imported = service::import_csv(&state.db, admin.member_id, &body, state.now()).await?;
    Ok(HttpResponse::Created().json(imported))
}
