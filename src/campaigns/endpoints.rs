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

use super::dto::{Campaign, NewCampaign};
use super::service;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_campaigns)
        .service(get_campaign)
        .service(create_campaign);
}

/// The campaigns my org takes part in (directly or through an org above it), newest first.
#[utoipa::path(
    tag = "campaigns",
    params(PageQuery),
    responses((status = 200, description = "A page of campaigns", body = Page<Campaign>), NeedsLogin)
)]
#[get("/campaigns")]
async fn list_campaigns(
    state: State,
    caller: Caller,
    page: Query<PageQuery>,
) -> Reply<Page<Campaign>> {
    Ok(Json(
        service::list(state.db.conn(), caller.member_id, &page, state.now()).await?,
    ))
}

#[utoipa::path(
    tag = "campaigns",
    params(("id" = i64, Path, description = "Campaign id")),
    responses(
        (status = 200, description = "The campaign", body = Campaign),
        (status = 404, description = "`not_found`: no such campaign, or my org is not in it", body = ErrorBody),
        NeedsLogin,
    )
)]
#[get("/campaigns/{id}")]
async fn get_campaign(state: State, caller: Caller, id: Path<i64>) -> Reply<Campaign> {
    Ok(Json(
        service::get(state.db.conn(), caller.member_id, *id, state.now()).await?,
    ))
}

/// Create a campaign for some org subtrees, with routes (platform admins).
#[utoipa::path(
    tag = "admin",
    request_body = NewCampaign,
    responses(
        (status = 201, description = "Created", body = Campaign),
        (status = 404, description = "`not_found`: an org or a route that does not exist", body = ErrorBody),
        PlatformOnly, JsonBodyErrors,
    )
)]
#[post("/admin/campaigns")]
async fn create_campaign(
    state: State,
    admin: PlatformAdmin,
    body: ValidJson<NewCampaign>,
) -> Result<HttpResponse, ApiError> {
    let campaign =
        service::create(&state.db, admin.member_id, body.into_inner(), state.now()).await?;
    Ok(HttpResponse::Created().json(campaign))
}
