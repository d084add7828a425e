use actix_web::http::StatusCode;
use actix_web::web::{Json, Path, Query};
use actix_web::{HttpResponse, get, post, put};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{Admin, Caller, PlatformAdmin};
use crate::clock::local_date;
use crate::error::ApiError;
use crate::http::Reply;
use crate::http::ValidJson;
use crate::http::idempotency::{self, IdempotencyKey};
use crate::http::paging::{Page, PageQuery};
use crate::http::responses::{
    AdminOnly, IdempotencyHeader, InScope, JsonBodyErrors, NeedsLogin, PlatformOnly,
};
use crate::state::State;

use super::dto::{
    Adjusted, CreateAdjustment, Leaderboard, LeaderboardQuery, LedgerEntry, MyPoints,
    OrgLeaderboard, OrgLeaderboardQuery, PointRule, UpdatePointRule,
};
use super::service;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(my_points)
        .service(my_points_ledger)
        .service(list_point_rules)
        .service(update_point_rule)
        .service(adjust_points)
        .service(leaderboard)
        .service(org_leaderboard);
}

/// My total and what each source paid today (local day), with its cap.
#[utoipa::path(
    tag = "points",
    responses((status = 200, description = "My points", body = MyPoints), NeedsLogin)
)]
#[get("/me/points")]
async fn my_points(state: State, caller: Caller) -> Reply<MyPoints> {
    let today = local_date(state.now(), state.settings.timezone);
    Ok(Json(
        service::my_points(state.db.conn(), caller.member_id, today).await?,
    ))
}

/// My ledger, newest first: every point, with what paid it.
#[utoipa::path(
    tag = "points",
    params(PageQuery),
    responses((status = 200, description = "A page of ledger rows", body = Page<LedgerEntry>), NeedsLogin)
)]
#[get("/me/points/ledger")]
async fn my_points_ledger(
    state: State,
    caller: Caller,
    page: Query<PageQuery>,
) -> Reply<Page<LedgerEntry>> {
    Ok(Json(
        service::ledger(state.db.conn(), caller.member_id, &page).await?,
    ))
}

/// The point rules: points per unit and caps, per source.
#[utoipa::path(
    tag = "admin",
    responses((status = 200, description = "Every rule", body = Vec<PointRule>), AdminOnly)
)]
#[get("/admin/point-rules")]
async fn list_point_rules(state: State, _admin: Admin) -> Reply<Vec<PointRule>> {
    Ok(Json(service::rules(state.db.conn()).await?))
}

/// Change a rule (platform admins only). Applies to events from now on; past payouts stay.
#[utoipa::path(
    tag = "admin",
    params(("source" = String, Path, description = "The source, e.g. `checkin`")),
    request_body = UpdatePointRule,
    responses((status = 200, description = "The rule as saved", body = PointRule), PlatformOnly, InScope, JsonBodyErrors)
)]
#[put("/admin/point-rules/{source}")]
async fn update_point_rule(
    state: State,
    admin: PlatformAdmin,
    source: Path<String>,
    body: ValidJson<UpdatePointRule>,
) -> Reply<PointRule> {
    let rule = service::update_rule(
        &state.db,
        admin.member_id,
        &source,
        body.into_inner(),
        state.now(),
    )
    .await?;
    Ok(Json(rule))
}

/// Add or take away points, with a reason the member sees in their ledger. Send an
/// `Idempotency-Key` so a double submit pays once.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Member id"), IdempotencyHeader),
    request_body = CreateAdjustment,
    responses(
        (status = 201, description = "The ledger row and what it paid", body = Adjusted),
        AdminOnly, InScope, JsonBodyErrors,
        (status = 403, description = "`forbidden`: not an admin; `forbidden.own_item`: one's own points", body = crate::error::ErrorBody),
    )
)]
#[post("/admin/members/{id}/points-adjustments")]
async fn adjust_points(
    state: State,
    admin: Admin,
    id: Path<i64>,
    key: IdempotencyKey,
    body: ValidJson<CreateAdjustment>,
) -> Result<HttpResponse, ApiError> {
    let now = state.now();
    let today = local_date(now, state.settings.timezone);
    let (admin, member_id, adjustment) = (&admin, *id, &*body);
    idempotency::once(
        &state.db,
        admin.member_id,
        &key,
        body.fingerprint(),
        now,
        StatusCode::CREATED,
        |tx| async move { service::adjust(&tx, admin, member_id, adjustment, today, now).await },
    )
    .await
}

/// Members ranked by points in a local period (比学习), globally or within an org subtree, with
/// the caller's own rank. Ties share a rank: 1, 1, 3. `items` (the top of the board) may be up
/// to a second old (each server keeps it that long; `REDTRAIL_LEADERBOARD_CACHE_MS`); `me` is
/// read afresh for every request, so it is always exact.
#[utoipa::path(
    tag = "points",
    params(LeaderboardQuery),
    responses(
        (status = 200, description = "The top of the board and my place", body = Leaderboard),
        (status = 404, description = "`not_found`: no such org", body = crate::error::ErrorBody),
        (status = 422, description = "`validation_failed`: `scope=org` without `org_id` for a member in no org", body = crate::error::ErrorBody),
        NeedsLogin,
    )
)]
#[get("/leaderboards")]
async fn leaderboard(
    state: State,
    tops: actix_web::web::Data<service::BoardTops>,
    caller: Caller,
    query: Query<LeaderboardQuery>,
) -> Reply<Leaderboard> {
    let today = local_date(state.now(), state.settings.timezone);
    let board = service::leaderboard(
        state.db.conn(),
        &tops,
        caller.member_id,
        query.into_inner(),
        today,
    )
    .await?;
    Ok(Json(board))
}

/// The child orgs of a parent ranked by average points per member, members with no points
/// included, so a big org does not win by size.
#[utoipa::path(
    tag = "points",
    params(OrgLeaderboardQuery),
    responses(
        (status = 200, description = "The child orgs, best average first", body = OrgLeaderboard),
        (status = 404, description = "`not_found`: no such org", body = crate::error::ErrorBody),
        (status = 422, description = "`validation_failed`: a query parameter is invalid", body = crate::error::ErrorBody),
        NeedsLogin,
    )
)]
#[get("/leaderboards/orgs")]
async fn org_leaderboard(
    state: State,
    _caller: Caller,
    query: Query<OrgLeaderboardQuery>,
) -> Reply<OrgLeaderboard> {
    let today = local_date(state.now(), state.settings.timezone);
    Ok(Json(
        service::org_leaderboard(state.db.conn(), query.into_inner(), today).await?,
    ))
}
