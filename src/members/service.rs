//! Reading and editing members.
use chrono::{DateTime, Utc};
use std::collections::HashMap;

use entity::{member_roles, members, org_members, orgs};
use sea_orm::Order;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    JoinType, QueryFilter, QueryOrder, QuerySelect, RelationTrait,
};

use crate::audit::service::{Change, record};
use crate::auth::scope::{AdminScope, in_subtree};
use crate::auth::{Admin, Caller};
use crate::db::Db;
use crate::error::{ApiError, FieldIssue};
use crate::http::paging::{self, Page, PageQuery};
use crate::media::service::{self as media, Holder};
use crate::wechat::moderation::Verdict;
use crate::wechat::{WechatClient, WechatError};

use crate::auth::roles::{Role, RoleGrant, grant_of, roles_of};

use super::dto::{AdminUpdateMember, Member, MemberFilter, OrgRef, PoliticalStatus, UpdateMe};

/// Who is looking: only platform admins see whole phone numbers (PIPL: show the minimum).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    Masked,
    PlatformAdmin,
}

/// `138****5678`: the first three and last four digits.
pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().collect();
    if digits.len() < 8 {
        return "****".into();
    }
    let head: String = digits[..3].iter().collect();
    let tail: String = digits[digits.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// Members as DTOs, with their roles and orgs loaded in two queries whatever their number.
pub async fn to_dtos(
    conn: &impl ConnectionTrait,
    rows: Vec<members::Model>,
    viewer: Viewer,
) -> Result<Vec<Member>, ApiError> {
    let ids: Vec<i64> = rows.iter().map(|m| m.id).collect();
    let mut roles: HashMap<i64, Vec<RoleGrant>> = HashMap::new();
    for row in member_roles::Entity::find()
        .filter(member_roles::Column::MemberId.is_in(ids))
        .order_by_asc(member_roles::Column::Id)
        .all(conn)
        .await?
    {
        let member_id = row.member_id;
        if let Some(grant) = grant_of(row) {
            roles.entry(member_id).or_default().push(grant);
        }
    }
    with_roles(conn, rows, viewer, roles).await
}

/// The caller as they see themselves, from the member and roles `Caller` read: one query more
/// (their org).
pub async fn view_caller(conn: &impl ConnectionTrait, caller: &Caller) -> Result<Member, ApiError> {
    let roles = HashMap::from([(caller.member_id, caller.roles.clone())]);
    with_roles(conn, vec![caller.member.clone()], Viewer::Masked, roles)
        .await?
        .pop()
        .ok_or(ApiError::NotFound)
}

/// Members as DTOs, given their roles: their orgs in one query.
async fn with_roles(
    conn: &impl ConnectionTrait,
    rows: Vec<members::Model>,
    viewer: Viewer,
    mut roles: HashMap<i64, Vec<RoleGrant>>,
) -> Result<Vec<Member>, ApiError> {
    let ids: Vec<i64> = rows.iter().map(|m| m.id).collect();
    let orgs: HashMap<i64, OrgRef> = org_members::Entity::find()
        .filter(org_members::Column::MemberId.is_in(ids))
        .find_also_related(orgs::Entity)
        .all(conn)
        .await?
        .into_iter()
        .filter_map(|(m, org)| {
            org.map(|o| {
                (
                    m.member_id,
                    OrgRef {
                        id: o.id,
                        name: o.name,
                    },
                )
            })
        })
        .collect();
    Ok(rows
        .into_iter()
        .map(|m| Member {
            id: m.id,
            roles: roles.remove(&m.id).unwrap_or_default(),
            org: orgs.get(&m.id).cloned(),
            nickname: m.nickname,
            avatar_url: m.avatar_url,
            real_name: m.real_name,
            political_status: m
                .political_status
                .as_deref()
                .and_then(PoliticalStatus::parse),
            is_mobile_member: m.is_mobile_member,
            mobile_city: m.mobile_city,
            volunteer_hours: m.volunteer_minutes as f64 / 60.0,
            phone: m.phone.map(|p| match viewer {
                Viewer::PlatformAdmin => p,
                Viewer::Masked => mask_phone(&p),
            }),
        })
        .collect())
}

/// A member as they see themselves; `not_found` if there is no such member.
pub async fn view(conn: &impl ConnectionTrait, member_id: i64) -> Result<Member, ApiError> {
    view_as(conn, member_id, Viewer::Masked).await
}

pub async fn view_as(
    conn: &impl ConnectionTrait,
    member_id: i64,
    viewer: Viewer,
) -> Result<Member, ApiError> {
    let member = members::Entity::find_by_id(member_id)
        .one(conn)
        .await?
        .ok_or(ApiError::NotFound)?;
    to_dtos(conn, vec![member], viewer)
        .await?
        .pop()
        .ok_or(ApiError::NotFound)
}

/// Exchanges a phone-number button's code at WeChat and stores the number. The number itself is
/// never logged.
pub async fn bind_phone(
    db: &Db,
    wechat: &WechatClient,
    member_id: i64,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Member, ApiError> {
    let phone = wechat
        .phone_number(code.trim())
        .await
        .map_err(|e| match e {
            WechatError::InvalidCode(_) => ApiError::field("code", FieldIssue::new("wechat_code")),
            other => other.into(),
        })?;
    let phone = &phone;
    db.write(|tx| async move {
        let member = members::Entity::find_by_id(member_id)
            .one(tx.as_ref())
            .await?
            .ok_or(ApiError::NotFound)?;
        let mut row: members::ActiveModel = member.into();
        row.phone = Set(Some(phone.clone()));
        row.updated_at = Set(now.into());
        row.update(tx.as_ref()).await?;
        view(tx.as_ref(), member_id).await
    })
    .await
}

/// Edits my profile. A new nickname (shown on leaderboards) must be one WeChat's content check
/// passed (`nickname_check`, asked before): risky or doubtful is refused, and so is one WeChat
/// could not judge (503 while it is down; 422 when it would not check, e.g. the app unused for
/// 2 hours). A new avatar is an image of
/// mine, attached here (so nobody else can use it); otherwise the avatar URL can only stay or
/// go.
pub async fn update_me(
    db: &Db,
    member_id: i64,
    edit: UpdateMe,
    nickname_check: &Verdict,
    public_url: &str,
    now: DateTime<Utc>,
) -> Result<Member, ApiError> {
    // A nickname shows on leaderboards: it changes only once WeChat has passed it.
    match nickname_check {
        Verdict::Pass | Verdict::Off => {}
        Verdict::Risky(_) | Verdict::Review(_) => {
            return Err(ApiError::field(
                "nickname",
                FieldIssue::new("content_risky"),
            ));
        }
        Verdict::Unchecked => return Err(ApiError::WechatUnavailable),
        Verdict::Manual => {
            return Err(ApiError::field(
                "nickname",
                FieldIssue::new("content_unchecked"),
            ));
        }
    }
    let edit = &edit;
    db.write(|tx| async move {
        // Two avatar changes at once queue here, so one medium ends up the avatar and the
        // "keep my current avatar" compare below reads a settled row.
        lock(&tx, member_id).await?;
        let member = members::Entity::find_by_id(member_id)
            .one(tx.as_ref())
            .await?
            .ok_or(ApiError::NotFound)?;
        let avatar = Holder::Avatar(member_id);
        let avatar_url = match (edit.avatar_media_id, &edit.avatar_url) {
            (Some(id), _) => {
                let taken =
                    media::attach(&tx, member_id, &[id], avatar, true, "avatar_media_id").await?;
                taken
                    .into_iter()
                    .find(|m| m.id == id)
                    .map(|m| media::view(m, public_url).url)
            }
            (None, Some(url)) if member.avatar_url.as_ref() == Some(url) => Some(url.clone()),
            (None, Some(_)) => {
                return Err(ApiError::field("avatar_url", FieldIssue::new("media_only")));
            }
            (None, None) => {
                media::attach(&tx, member_id, &[], avatar, true, "avatar_media_id").await?;
                None
            }
        };
        let mut row: members::ActiveModel = member.into();
        row.nickname = Set(edit.nickname.as_deref().map(|s| s.trim().to_owned()));
        row.avatar_url = Set(avatar_url);
        row.real_name = Set(edit.real_name.as_deref().map(|s| s.trim().to_owned()));
        row.updated_at = Set(now.into());
        row.update(tx.as_ref()).await?;
        view(tx.as_ref(), member_id).await
    })
    .await
}

/// The member and their org, if the member is inside `scope`; otherwise `not_found`. A member
/// in no org is inside a platform admin's scope only.
pub async fn find_in_scope(
    conn: &impl ConnectionTrait,
    scope: &AdminScope,
    member_id: i64,
) -> Result<(members::Model, Option<orgs::Model>), ApiError> {
    let member = members::Entity::find_by_id(member_id)
        .one(conn)
        .await?
        .ok_or(ApiError::NotFound)?;
    let org = org_members::Entity::find_by_id(member_id)
        .find_also_related(orgs::Entity)
        .one(conn)
        .await?
        .and_then(|(_, org)| org);
    let covered = scope.is_platform() || org.as_ref().is_some_and(|o| scope.covers(&o.path));
    if !covered {
        return Err(ApiError::NotFound);
    }
    Ok((member, org))
}

fn viewer_for(scope: &AdminScope) -> Viewer {
    if scope.is_platform() {
        Viewer::PlatformAdmin
    } else {
        Viewer::Masked
    }
}

/// Members in scope, newest first.
pub async fn list(
    conn: &impl ConnectionTrait,
    scope: &AdminScope,
    filter: MemberFilter,
    page: &PageQuery,
) -> Result<Page<Member>, ApiError> {
    let mut query = members::Entity::find()
        .join(JoinType::LeftJoin, members::Relation::OrgMembers.def())
        .join(JoinType::LeftJoin, org_members::Relation::Orgs.def())
        .filter(scope.filter(orgs::Column::Path));
    if let Some(org_id) = filter.org_id {
        let org = scope.find_org(conn, org_id).await?;
        query = query.filter(in_subtree(orgs::Column::Path, &org.path));
    }
    if let Some(status) = filter.political_status {
        query = query.filter(members::Column::PoliticalStatus.eq(status.as_str()));
    }
    if let Some(mobile) = filter.is_mobile_member {
        query = query.filter(members::Column::IsMobileMember.eq(mobile));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        query = query.filter(
            Condition::any()
                .add(members::Column::RealName.contains(q))
                .add(members::Column::Nickname.contains(q)),
        );
    }
    let rows = page
        .window(query, members::Column::Id, Order::Desc)?
        .all(conn)
        .await?;
    let (rows, next_cursor) = paging::cut(rows, page.limit(), |m| m.id);
    Ok(Page {
        items: to_dtos(conn, rows, viewer_for(scope)).await?,
        next_cursor,
    })
}

pub async fn get(
    conn: &impl ConnectionTrait,
    scope: &AdminScope,
    member_id: i64,
) -> Result<Member, ApiError> {
    find_in_scope(conn, scope, member_id).await?;
    view_as(conn, member_id, viewer_for(scope)).await
}

fn audit_summary(member: &Member) -> serde_json::Value {
    serde_json::to_value(member).unwrap_or_default()
}

pub async fn update(
    db: &Db,
    admin: &Admin,
    member_id: i64,
    edit: AdminUpdateMember,
    now: DateTime<Utc>,
) -> Result<Member, ApiError> {
    let (actor, scope) = (admin.member_id, &admin.scope);
    let edit = &edit;
    db.write(|tx| async move {
        let (member, org) = find_in_scope(tx.as_ref(), scope, member_id).await?;
        let before = view_as(tx.as_ref(), member_id, Viewer::Masked).await?;
        let mut row: members::ActiveModel = member.into();
        if let Some(name) = &edit.real_name {
            row.real_name = Set(Some(name.trim().to_owned()));
        }
        if let Some(status) = edit.political_status {
            row.political_status = Set(Some(status.as_str().to_owned()));
        }
        if let Some(mobile) = edit.is_mobile_member {
            row.is_mobile_member = Set(mobile);
        }
        if let Some(city) = &edit.mobile_city {
            row.mobile_city = Set(Some(city.trim().to_owned()).filter(|c| !c.is_empty()));
        }
        row.updated_at = Set(now.into());
        row.update(tx.as_ref()).await?;
        let mut scope_path = org.map(|o| o.path);
        if let Some(org_id) = edit.org_id {
            let target = scope.find_org(tx.as_ref(), org_id).await?;
            org_members::Entity::delete_by_id(member_id)
                .exec(tx.as_ref())
                .await?;
            org_members::ActiveModel {
                member_id: Set(member_id),
                org_id: Set(target.id),
                joined_at: Set(now.into()),
            }
            .insert(tx.as_ref())
            .await?;
            scope_path = Some(target.path);
        }
        let after = view_as(tx.as_ref(), member_id, Viewer::Masked).await?;
        record(
            tx.as_ref(),
            Change {
                actor_id: actor,
                action: "member.update",
                entity_type: "member",
                entity_id: member_id,
                scope_path: scope_path.as_deref(),
                before: Some(audit_summary(&before)),
                after: Some(audit_summary(&after)),
            },
            now,
        )
        .await?;
        view_as(tx.as_ref(), member_id, viewer_for(scope)).await
    })
    .await
}

/// Checks the requested grants' shape before anything is read: `platform_admin` is beyond an
/// org admin's role (403) and takes no org; the other roles need one.
fn check_grants(scope: &AdminScope, grants: &[RoleGrant]) -> Result<(), ApiError> {
    for (i, grant) in grants.iter().enumerate() {
        let field = format!("roles[{i}].org_id");
        match (grant.role, grant.org_id) {
            (Role::PlatformAdmin, _) if !scope.is_platform() => return Err(ApiError::Forbidden),
            (Role::PlatformAdmin, Some(_)) => {
                return Err(ApiError::field(&field, FieldIssue::new("no_org")));
            }
            (Role::Volunteer | Role::OrgAdmin, None) => {
                return Err(ApiError::field(&field, FieldIssue::new("org_required")));
            }
            _ => {}
        }
    }
    Ok(())
}

pub async fn replace_roles(
    db: &Db,
    admin: &Admin,
    member_id: i64,
    mut grants: Vec<RoleGrant>,
    now: DateTime<Utc>,
) -> Result<Member, ApiError> {
    let (actor, scope) = (admin.member_id, &admin.scope);
    if member_id == actor {
        // Nobody grants themselves roles or takes their own away.
        return Err(ApiError::OwnItem);
    }
    check_grants(scope, &grants)?;
    grants.sort_by_key(|g| (g.role.as_str(), g.org_id));
    grants.dedup();
    let grants = &grants;
    db.write(|tx| async move {
        let (_, org) = find_in_scope(tx.as_ref(), scope, member_id).await?;
        for org_id in grants.iter().filter_map(|g| g.org_id) {
            scope.find_org(tx.as_ref(), org_id).await?;
        }
        let before = roles_of(tx.as_ref(), member_id).await?;
        let existing = member_roles::Entity::find()
            .filter(member_roles::Column::MemberId.eq(member_id))
            .all(tx.as_ref())
            .await?;
        let org_paths: HashMap<i64, String> = orgs::Entity::find()
            .filter(
                orgs::Column::Id
                    .is_in(existing.iter().filter_map(|r| r.org_id).collect::<Vec<_>>()),
            )
            .all(tx.as_ref())
            .await?
            .into_iter()
            .map(|o| (o.id, o.path))
            .collect();
        // An org admin replaces only the grants inside their scope; the rest stay.
        let replaceable: Vec<i64> = existing
            .iter()
            .filter(|r| {
                scope.is_platform()
                    || r.org_id
                        .and_then(|id| org_paths.get(&id))
                        .is_some_and(|p| scope.covers(p))
            })
            .map(|r| r.id)
            .collect();
        member_roles::Entity::delete_many()
            .filter(member_roles::Column::Id.is_in(replaceable))
            .exec(tx.as_ref())
            .await?;
        let kept = roles_of(tx.as_ref(), member_id).await?;
        for grant in grants.iter().filter(|g| !kept.contains(g)) {
            member_roles::ActiveModel {
                member_id: Set(member_id),
                role: Set(grant.role.as_str().to_owned()),
                org_id: Set(grant.org_id),
                created_at: Set(now.into()),
                ..Default::default()
            }
            .insert(tx.as_ref())
            .await?;
        }
        let after = roles_of(tx.as_ref(), member_id).await?;
        record(
            tx.as_ref(),
            Change {
                actor_id: actor,
                action: "member.roles",
                entity_type: "member",
                entity_id: member_id,
                scope_path: org.as_ref().map(|o| o.path.as_str()),
                before: Some(serde_json::to_value(&before).unwrap_or_default()),
                after: Some(serde_json::to_value(&after).unwrap_or_default()),
            },
            now,
        )
        .await?;
        view_as(tx.as_ref(), member_id, viewer_for(scope)).await
    })
    .await
}

/// Takes the member's row lock, so that one member's writes (check-ins, reviews, quiz grading) run one at a time on
/// PostgreSQL and MySQL: each then sees the others' rows when judging travel, completing routes
/// and applying weekly caps. SQLite's write transactions are serial already, so there it sends
/// nothing (the member exists: they were just read as the caller, or their check-in names them).
pub async fn lock(tx: &sea_orm::DatabaseTransaction, member_id: i64) -> Result<(), ApiError> {
    if tx.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
        return Ok(());
    }
    members::Entity::find_by_id(member_id)
        .lock_exclusive()
        .one(tx)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(())
}

/// Takes down a member's avatar (WeChat found the image risky).
pub async fn drop_avatar(
    tx: &sea_orm::DatabaseTransaction,
    member_id: i64,
) -> Result<(), ApiError> {
    members::Entity::update_many()
        .col_expr(
            members::Column::AvatarUrl,
            sea_orm::sea_query::Expr::value(Option::<String>::None),
        )
        .filter(members::Column::Id.eq(member_id))
        .exec(tx)
        .await?;
    Ok(())
}
