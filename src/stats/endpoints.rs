use actix_web::get;
use actix_web::web::{Json, Path, Query};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::Admin;
use crate::clock::local_date;
use crate::http::Reply;
use crate::http::paging::PageQuery;
use crate::http::responses::{AdminOnly, InScope};
use crate::state::State;

use super::dto::{CampaignReport, OrgProfile, Overview, OverviewQuery};
use super::service;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(overview)
        .service(org_profile)
        .service(campaign_report);
}

/// Statistics of my part of the tree over local days, every figure from one snapshot of the data (`from`, `to`: inclusive, at most 366
/// days; default the last 30): totals, every day, and each child org side by side
/// (`sort=<figure>&order=asc|desc`). 422 `org_id` when the org is outside my scope.
#[utoipa::path(
    tag = "admin",
    params(OverviewQuery),
    responses((status = 200, description = "The figures", body = Overview), AdminOnly, InScope)
)]
#[get("/admin/stats/overview")]
async fn overview(state: State, admin: Admin, query: Query<OverviewQuery>) -> Reply<Overview> {
    let today = local_date(state.now(), state.settings.timezone);
    let tx = state.db.snapshot().await?;
    let overview = service::overview(&tx, &admin.scope, &query, today).await?;
    tx.commit().await?;
    Ok(Json(overview))
}

/// 一企一档: the org's record as entered (summed over the enterprises below it) beside the
/// same figures counted from redtrail's data (so a stale record shows), members by political
/// status, mobile members, this month's activity rates, points per member, the last active
/// day; and the same for each child org.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Org id")),
    responses((status = 200, description = "The profile", body = OrgProfile), AdminOnly, InScope)
)]
#[get("/admin/orgs/{id}/profile")]
async fn org_profile(state: State, admin: Admin, id: Path<i64>) -> Reply<OrgProfile> {
    let tx = state.db.snapshot().await?;
    let profile =
        service::profile(&tx, &admin.scope, *id, state.now(), state.settings.timezone).await?;
    tx.commit().await?;
    Ok(Json(profile))
}

/// The figures a campaign's press release cites, over the members in my scope; each is
/// defined in the response schema. `limit` and `cursor` page the participant list.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Campaign id"), PageQuery),
    responses((status = 200, description = "The report", body = CampaignReport), AdminOnly, InScope)
)]
#[get("/admin/campaigns/{id}/report")]
async fn campaign_report(
    state: State,
    admin: Admin,
    id: Path<i64>,
    page: Query<PageQuery>,
) -> Reply<CampaignReport> {
    let tx = state.db.snapshot().await?;
    let report =
        service::campaign_report(&tx, &admin.scope, *id, &page, state.settings.timezone).await?;
    tx.commit().await?;
    Ok(Json(report))
}
