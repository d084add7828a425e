use actix_web::web::{Json, Path, Query};
use actix_web::{get, patch, post, put};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{Admin, Caller};
use crate::error::ErrorBody;
use crate::http::Reply;
use crate::http::ValidJson;
use crate::http::paging::{Page, PageQuery};
use crate::http::responses::{AdminOnly, InScope, JsonBodyErrors, NeedsLogin};
use crate::state::State;
use crate::wechat::moderation::{SCENE_PROFILE, Verdict, moderate};

use super::dto::{AdminUpdateMember, Member, MemberFilter, PhoneCode, ReplaceRoles, UpdateMe};
use super::service;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_me)
        .service(put_me)
        .service(bind_phone)
        .service(list_members)
        .service(get_member)
        .service(update_member)
        .service(replace_member_roles);
}

/// The calling member, with their org and roles.
#[utoipa::path(
    tag = "me",
    responses(
        (status = 200, description = "The calling member", body = Member),
        NeedsLogin,
    )
)]
#[get("/me")]
async fn get_me(state: State, caller: Caller) -> Reply<Member> {
    Ok(Json(service::view_caller(state.db.conn(), &caller).await?))
}

/// Edit my nickname, avatar and real name (PUT with the full set: `wx.request` has no PATCH).
/// A changed nickname goes through WeChat's content check (it shows on leaderboards) and is
/// saved only once passed: risky or doubtful is 422 `content_risky`; WeChat refusing to check
/// it (the mini-program unused for 2 hours) is 422 `content_unchecked`; WeChat unreachable is
/// 503 `wechat.unavailable`.
/// A new avatar is an image I uploaded, named by `avatar_media_id`; `avatar_url` may only
/// repeat my current one (keep) or be null (remove).
#[utoipa::path(
    tag = "me",
    request_body = UpdateMe,
    responses(
        (status = 200, description = "The member as saved", body = Member),
        (status = 503, description = "`wechat.unavailable`: a new nickname could not be checked now", body = ErrorBody),
        JsonBodyErrors, NeedsLogin,
    )
)]
#[put("/me")]
async fn put_me(state: State, caller: Caller, body: ValidJson<UpdateMe>) -> Reply<Member> {
    let public_url = &state.settings.media.public_url;
    let nickname = body.nickname.as_deref().map(str::trim);
    let check = match nickname {
        Some(new) if Some(new) != caller.member.nickname.as_deref() => {
            let (wechat, enabled) = (&state.wechat, state.settings.content_check);
            let openid = caller.member.openid.as_deref();
            moderate(wechat, enabled, openid, SCENE_PROFILE, None, new).await
        }
        _ => Verdict::Off,
    };
    let edit = body.into_inner();
    let member = service::update_me(
        &state.db,
        caller.member_id,
        edit,
        &check,
        public_url,
        state.now(),
    )
    .await?;
    Ok(Json(member))
}

/// Members within the caller's scope, newest first. Phones are masked except for platform admins.
#[utoipa::path(
    tag = "admin",
    params(MemberFilter, PageQuery),
    responses(
        (status = 200, description = "A page of members", body = Page<Member>),
        AdminOnly, InScope,
    )
)]
#[get("/admin/members")]
async fn list_members(
    state: State,
    admin: Admin,
    filter: Query<MemberFilter>,
    page: Query<PageQuery>,
) -> Reply<Page<Member>> {
    let page = service::list(state.db.conn(), &admin.scope, filter.into_inner(), &page).await?;
    Ok(Json(page))
}

#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Member id")),
    responses((status = 200, description = "The member", body = Member), AdminOnly, InScope)
)]
#[get("/admin/members/{id}")]
async fn get_member(state: State, admin: Admin, id: Path<i64>) -> Reply<Member> {
    Ok(Json(
        service::get(state.db.conn(), &admin.scope, *id).await?,
    ))
}

/// Edit a member's record, or move them to another org in the caller's scope.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Member id")),
    request_body = AdminUpdateMember,
    responses((status = 200, description = "The member as saved", body = Member), AdminOnly, InScope, JsonBodyErrors)
)]
#[patch("/admin/members/{id}")]
async fn update_member(
    state: State,
    admin: Admin,
    id: Path<i64>,
    body: ValidJson<AdminUpdateMember>,
) -> Reply<Member> {
    let member = service::update(&state.db, &admin, *id, body.into_inner(), state.now()).await?;
    Ok(Json(member))
}

/// Replace the member's granted roles. An org admin grants `volunteer` and `org_admin` within
/// their subtree only (grants elsewhere are kept) and never `platform_admin` (403). Nobody
/// changes their own roles (403 `forbidden.own_item`).
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Member id")),
    request_body = ReplaceRoles,
    responses(
        (status = 200, description = "The member with the new roles", body = Member),
        AdminOnly, InScope, JsonBodyErrors,
        (status = 403, description = "`forbidden`: not an admin, or granting `platform_admin` without being one; `forbidden.own_item`: one's own roles", body = crate::error::ErrorBody),
    )
)]
#[put("/admin/members/{id}/roles")]
async fn replace_member_roles(
    state: State,
    admin: Admin,
    id: Path<i64>,
    body: ValidJson<ReplaceRoles>,
) -> Reply<Member> {
    let member =
        service::replace_roles(&state.db, &admin, *id, body.into_inner().roles, state.now())
            .await?;
    Ok(Json(member))
}

/// Store my phone number: the server exchanges the phone-number button's one-time code at
/// WeChat. The answer shows the number masked.
#[utoipa::path(
    tag = "me",
    request_body = PhoneCode,
    responses(
        (status = 200, description = "The member, phone masked", body = Member),
        (status = 429, description = "`rate_limited`: WeChat's frequency limit", body = ErrorBody),
        (status = 502, description = "`wechat.error`", body = ErrorBody),
        (status = 503, description = "`wechat.unavailable`", body = ErrorBody),
        NeedsLogin, JsonBodyErrors,
    )
)]
#[post("/me/phone")]
async fn bind_phone(state: State, caller: Caller, body: ValidJson<PhoneCode>) -> Reply<Member> {
    let member = service::bind_phone(
        &state.db,
        &state.wechat,
        caller.member_id,
        &body.code,
        state.now(),
    )
    .await?;
    Ok(Json(member))
}
