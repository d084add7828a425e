use actix_web::web::{Json, Path, Query};
use actix_web::{HttpResponse, delete, get, patch, post};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{Admin, Caller};
use crate::error::{ApiError, ErrorBody};
use crate::http::Reply;
use crate::http::ValidJson;
use crate::http::paging::{Page, PageQuery};
use crate::http::responses::{AdminOnly, InScope, JsonBodyErrors, NeedsLogin};
use crate::members::dto::Member;
use crate::state::State;

use super::dto::{CreateInvite, CreateOrg, Invite, JoinOrg, Org, OrgFilter, UpdateOrg};
use super::service;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_org)
        .service(list_orgs)
        .service(get_org)
        .service(update_org)
        .service(create_invite)
        .service(list_invites)
        .service(revoke_invite)
        .service(join_org)
        .service(leave_org);
}

/// Create an org. Platform admins create industry committees (roots); org admins create orgs
/// inside their subtree. A parent must be of a higher kind.
#[utoipa::path(
    tag = "admin",
    request_body = CreateOrg,
    responses(
        (status = 201, description = "Created", body = Org),
        (status = 404, description = "`not_found`: the parent does not exist or is outside the caller's scope", body = ErrorBody),
        AdminOnly, JsonBodyErrors,
    )
)]
#[post("/admin/orgs")]
async fn create_org(
    state: State,
    admin: Admin,
    body: ValidJson<CreateOrg>,
) -> Result<HttpResponse, ApiError> {
    let org = service::create(&state.db, &admin, body.into_inner(), state.now()).await?;
    Ok(HttpResponse::Created().json(org))
}

/// The orgs within the caller's scope, in id order.
#[utoipa::path(
    tag = "admin",
    params(OrgFilter, PageQuery),
    responses((status = 200, description = "A page of orgs", body = Page<Org>), AdminOnly)
)]
#[get("/admin/orgs")]
async fn list_orgs(
    state: State,
    admin: Admin,
    filter: Query<OrgFilter>,
    page: Query<PageQuery>,
) -> Reply<Page<Org>> {
    Ok(Json(
        service::list(state.db.conn(), &admin.scope, filter.into_inner(), &page).await?,
    ))
}

#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Org id")),
    responses((status = 200, description = "The org", body = Org), AdminOnly, InScope)
)]
#[get("/admin/orgs/{id}")]
async fn get_org(state: State, admin: Admin, id: Path<i64>) -> Reply<Org> {
    Ok(Json(
        service::get(state.db.conn(), &admin.scope, *id).await?,
    ))
}

/// Rename, replace the enterprise record, or move the org (with its whole subtree) under
/// another parent in the caller's scope.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Org id")),
    request_body = UpdateOrg,
    responses((status = 200, description = "The org as saved", body = Org), AdminOnly, InScope, JsonBodyErrors)
)]
#[patch("/admin/orgs/{id}")]
async fn update_org(
    state: State,
    admin: Admin,
    id: Path<i64>,
    body: ValidJson<UpdateOrg>,
) -> Reply<Org> {
    let org = service::update(&state.db, &admin, *id, body.into_inner(), state.now()).await?;
    Ok(Json(org))
}

/// Issue an invite code for the org (for a QR code or a link).
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Org id")),
    request_body = CreateInvite,
    responses((status = 201, description = "The invite", body = Invite), AdminOnly, InScope, JsonBodyErrors)
)]
#[post("/admin/orgs/{id}/invites")]
async fn create_invite(
    state: State,
    admin: Admin,
    id: Path<i64>,
    body: ValidJson<CreateInvite>,
) -> Result<HttpResponse, ApiError> {
    let invite =
        service::create_invite(&state.db, &admin, *id, body.into_inner(), state.now()).await?;
    Ok(HttpResponse::Created().json(invite))
}

/// Join an org with an invite code. At most 10 attempts a minute per member.
#[utoipa::path(
    tag = "orgs",
    request_body = JoinOrg,
    responses(
        (status = 200, description = "The member, now in the org", body = Member),
        (status = 404, description = "`invite.not_found`", body = ErrorBody),
        (status = 409, description = "`org.already_member`: leave the current org first", body = ErrorBody),
        (status = 410, description = "`invite.expired` or `invite.used_up`", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many attempts; see `Retry-After`", body = ErrorBody),
        NeedsLogin, JsonBodyErrors,
    )
)]
#[post("/orgs/join")]
async fn join_org(state: State, caller: Caller, body: ValidJson<JoinOrg>) -> Reply<Member> {
    let member = service::join(
        &state.db,
        &state.join_limiter,
        caller.member_id,
        &body.code,
        state.now(),
    )
    .await?;
    Ok(Json(member))
}

/// Leave my org. Leaving when in none is not an error.
#[utoipa::path(
    tag = "orgs",
    responses((status = 200, description = "The member, in no org", body = Member), NeedsLogin)
)]
#[post("/orgs/leave")]
async fn leave_org(state: State, caller: Caller) -> Reply<Member> {
    Ok(Json(service::leave(&state.db, caller.member_id).await?))
}

/// The org's invite codes, newest first.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Org id"), PageQuery),
    responses((status = 200, description = "A page of invites", body = Page<Invite>), AdminOnly, InScope)
)]
#[get("/admin/orgs/{id}/invites")]
async fn list_invites(
    state: State,
    admin: Admin,
    id: Path<i64>,
    page: Query<PageQuery>,
) -> Reply<Page<Invite>> {
    let page = service::list_invites(state.db.conn(), &admin.scope, *id, &page).await?;
    Ok(Json(page))
}

/// Revoke an invite code (a leaked QR code): it joins no one from now on.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Invite id")),
    responses((status = 204, description = "Revoked"), AdminOnly, InScope)
)]
#[delete("/admin/invites/{id}")]
async fn revoke_invite(
    state: State,
    admin: Admin,
    id: Path<i64>,
) -> Result<HttpResponse, ApiError> {
    service::revoke_invite(&state.db, &admin, *id, state.now()).await?;
    Ok(HttpResponse::NoContent().finish())
}
