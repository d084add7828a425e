//! The org tree's rules: kinds nest strictly, no cycles, moves carry the subtree, every admin
//! sees and touches only their subtrees; and joining by invite code.
use chrono::{DateTime, Duration, Utc};
use entity::{org_invites, org_members, orgs};
use rand::Rng;
use sea_orm::Order;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use serde_json::json;

use crate::audit::service::{Change, record};
use crate::auth::Admin;
use crate::auth::scope::{AdminScope, in_subtree};
use crate::db::{Db, insert_unless_duplicate};
use crate::error::{ApiError, FieldIssue};
use crate::http::paging::{Page, PageQuery};
use crate::members::dto::Member;
use crate::members::service as members_service;
use crate::rate_limit::RateLimiter;

use super::dto::{CreateInvite, CreateOrg, Enterprise, Invite, Org, OrgFilter, OrgKind, UpdateOrg};

/// Invite codes: 16 characters from 32 unambiguous ones (no 0/O, 1/I): 80 random bits.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const CODE_LENGTH: usize = 16;

pub fn kind_of(org: &orgs::Model) -> OrgKind {
    OrgKind::parse(&org.kind).unwrap_or(OrgKind::Branch)
}

pub fn to_dto(org: orgs::Model) -> Org {
    let enterprise = org.enterprise_name.clone().map(|name| Enterprise {
        name,
        credit_code: org.credit_code.clone(),
        staff_count: org.staff_count,
        contact_name: org.contact_name.clone(),
        contact_phone: org.contact_phone.clone(),
        region: org.region.clone(),
        party_member_count: org.party_member_count,
        branch_count: org.branch_count,
        joint_branch_count: org.joint_branch_count,
        output_value: org.output_value.clone(),
    });
    Org {
        kind: kind_of(&org),
        id: org.id,
        name: org.name,
        parent_id: org.parent_id,
        depth: org.depth,
        enterprise,
        created_at: org.created_at.into(),
        updated_at: org.updated_at.into(),
    }
}

fn check_nesting(parent: &orgs::Model, child: OrgKind) -> Result<(), ApiError> {
    if kind_of(parent).rank() >= child.rank() {
        return Err(ApiError::field("parent_id", FieldIssue::new("parent_kind")));
    }
    Ok(())
}

fn check_enterprise(kind: OrgKind, enterprise: &Option<Enterprise>) -> Result<(), ApiError> {
    if enterprise.is_some() && kind != OrgKind::PartyOrg {
        return Err(ApiError::field(
            "enterprise",
            FieldIssue::new("party_org_only"),
        ));
    }
    Ok(())
}

fn set_enterprise(row: &mut orgs::ActiveModel, e: &Enterprise) {
    row.enterprise_name = Set(Some(e.name.trim().to_owned()));
    row.credit_code = Set(e.credit_code.as_ref().map(|c| c.trim().to_uppercase()));
    row.staff_count = Set(e.staff_count);
    row.contact_name = Set(e.contact_name.clone());
    row.contact_phone = Set(e.contact_phone.clone());
    row.region = Set(e.region.clone());
    row.party_member_count = Set(e.party_member_count);
    row.branch_count = Set(e.branch_count);
    row.joint_branch_count = Set(e.joint_branch_count);
    row.output_value = Set(e.output_value.clone());
}

fn summary(org: &orgs::Model) -> serde_json::Value {
    serde_json::to_value(to_dto(org.clone())).unwrap_or_default()
}

pub async fn create(
    db: &Db,
    admin: &Admin,
    new: CreateOrg,
    now: DateTime<Utc>,
) -> Result<Org, ApiError> {
    let (actor, scope) = (admin.member_id, &admin.scope);
    check_enterprise(new.kind, &new.enterprise)?;
    if new.parent_id.is_none() {
        if new.kind != OrgKind::IndustryCommittee {
            return Err(ApiError::field(
                "parent_id",
                FieldIssue::new("parent_required"),
            ));
        }
        // Roots are the platform's to create; an org admin's role can never do it.
        if !scope.is_platform() {
            return Err(ApiError::Forbidden);
        }
    }
    let new = &new;
    db.write(|tx| async move {
        let parent = match new.parent_id {
            Some(id) => Some(scope.find_org(tx.as_ref(), id).await?),
            None => None,
        };
        if let Some(parent) = &parent {
            check_nesting(parent, new.kind)?;
        }
        let mut row = orgs::ActiveModel {
            parent_id: Set(parent.as_ref().map(|p| p.id)),
            kind: Set(new.kind.as_str().to_owned()),
            name: Set(new.name.trim().to_owned()),
            // The real path needs the id; a unique placeholder holds the place until then.
            path: Set(format!("/pending-{}/", uuid::Uuid::new_v4().simple())),
            depth: Set(parent.as_ref().map_or(0, |p| p.depth + 1)),
            created_at: Set(now.into()),
            updated_at: Set(now.into()),
            ..Default::default()
        };
        if let Some(e) = &new.enterprise {
            set_enterprise(&mut row, e);
        }
        let created = row.insert(tx.as_ref()).await?;
        let path = format!(
            "{}{}/",
            parent.as_ref().map_or("/", |p| p.path.as_str()),
            created.id
        );
        let mut row: orgs::ActiveModel = created.into();
        row.path = Set(path);
        let created = row.update(tx.as_ref()).await?;
        record(
            tx.as_ref(),
            Change {
                actor_id: actor,
                action: "org.create",
                entity_type: "org",
                entity_id: created.id,
                scope_path: Some(&created.path),
                before: None,
                after: Some(summary(&created)),
            },
            now,
        )
        .await?;
        Ok(to_dto(created))
    })
    .await
}

pub async fn update(
    db: &Db,
    admin: &Admin,
    id: i64,
    edit: UpdateOrg,
    now: DateTime<Utc>,
) -> Result<Org, ApiError> {
    let (actor, scope) = (admin.member_id, &admin.scope);
    let edit = &edit;
    db.write(|tx| async move {
        let org = scope.find_org(tx.as_ref(), id).await?;
        let kind = kind_of(&org);
        check_enterprise(kind, &edit.enterprise)?;
        let before = summary(&org);
        let mut row: orgs::ActiveModel = org.clone().into();
        if let Some(name) = &edit.name {
            row.name = Set(name.trim().to_owned());
        }
        if let Some(e) = &edit.enterprise {
            set_enterprise(&mut row, e);
        }
        if let Some(parent_id) = edit.parent_id.filter(|p| Some(*p) != org.parent_id) {
            let parent = scope.find_org(tx.as_ref(), parent_id).await?;
            if parent.path.starts_with(&org.path) {
                return Err(ApiError::field("parent_id", FieldIssue::new("cycle")));
            }
            check_nesting(&parent, kind)?;
            let new_path = format!("{}{}/", parent.path, org.id);
            move_descendants(tx.as_ref(), &org, &new_path, parent.depth + 1 - org.depth).await?;
            row.parent_id = Set(Some(parent.id));
            row.path = Set(new_path);
            row.depth = Set(parent.depth + 1);
        }
        row.updated_at = Set(now.into());
        let saved = row.update(tx.as_ref()).await?;
        record(
            tx.as_ref(),
            Change {
                actor_id: actor,
                action: "org.update",
                entity_type: "org",
                entity_id: saved.id,
                scope_path: Some(&saved.path),
                before: Some(before),
                after: Some(summary(&saved)),
            },
            now,
        )
        .await?;
        Ok(to_dto(saved))
    })
    .await
}

/// Re-roots every descendant of `org` under `new_path`, shifting depths by `depth_shift`.
/// New paths start with the moved org's own id, so they cannot collide with existing ones.
async fn move_descendants(
    conn: &impl ConnectionTrait,
    org: &orgs::Model,
    new_path: &str,
    depth_shift: i32,
) -> Result<(), ApiError> {
    let descendants = orgs::Entity::find()
        .filter(in_subtree(orgs::Column::Path, &org.path))
        .filter(orgs::Column::Id.ne(org.id))
        .all(conn)
        .await?;
    for d in descendants {
        let path = format!("{new_path}{}", &d.path[org.path.len()..]);
        let depth = d.depth + depth_shift;
        let mut row: orgs::ActiveModel = d.into();
        row.path = Set(path);
        row.depth = Set(depth);
        row.update(conn).await?;
    }
    Ok(())
}

pub async fn get(
    conn: &impl ConnectionTrait,
    scope: &AdminScope,
    id: i64,
) -> Result<Org, ApiError> {
    Ok(to_dto(scope.find_org(conn, id).await?))
}

/// The orgs in scope, in id order.
pub async fn list(
    conn: &impl ConnectionTrait,
    scope: &AdminScope,
    filter: OrgFilter,
    page: &PageQuery,
) -> Result<Page<Org>, ApiError> {
    let mut query = orgs::Entity::find().filter(scope.filter(orgs::Column::Path));
    if let Some(parent) = filter.parent_id {
        query = query.filter(orgs::Column::ParentId.eq(parent));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(orgs::Column::Kind.eq(kind.as_str()));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        query = query.filter(orgs::Column::Name.contains(q));
    }
    let rows = page
        .window(query, orgs::Column::Id, Order::Asc)?
        .all(conn)
        .await?;
    Ok(Page::from_rows(rows, page.limit(), |o| o.id, to_dto))
}

fn new_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LENGTH)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

fn invite_dto(i: org_invites::Model) -> Invite {
    Invite {
        id: i.id,
        org_id: i.org_id,
        code: i.code,
        max_uses: i.max_uses,
        used_count: i.used_count,
        expires_at: i.expires_at.into(),
        created_at: i.created_at.into(),
        revoked_at: i.revoked_at.map(Into::into),
    }
}

/// The org's invite codes, newest first, so a secretary can reprint a QR code or find a leaked one.
pub async fn list_invites(
    conn: &impl ConnectionTrait,
    scope: &AdminScope,
    org_id: i64,
    page: &PageQuery,
) -> Result<Page<Invite>, ApiError> {
    let org = scope.find_org(conn, org_id).await?;
    let query = org_invites::Entity::find().filter(org_invites::Column::OrgId.eq(org.id));
    let rows = page
        .window(query, org_invites::Column::Id, Order::Desc)?
        .all(conn)
        .await?;
    Ok(Page::from_rows(rows, page.limit(), |i| i.id, invite_dto))
}

/// Revokes an invite code at once. Revoking a revoked code is not an error.
pub async fn revoke_invite(
    db: &Db,
    admin: &Admin,
    invite_id: i64,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let (actor, scope) = (admin.member_id, &admin.scope);
    db.write(|tx| async move {
        let (invite, org) = org_invites::Entity::find_by_id(invite_id)
            .find_also_related(orgs::Entity)
            .one(tx.as_ref())
            .await?
            .and_then(|(invite, org)| org.map(|o| (invite, o)))
            .filter(|(_, org)| scope.covers(&org.path))
            .ok_or(ApiError::NotFound)?;
        if invite.revoked_at.is_some() {
            return Ok(());
        }
        let mut row: org_invites::ActiveModel = invite.into();
        row.revoked_at = Set(Some(now.into()));
        row.update(tx.as_ref()).await?;
        record(
            tx.as_ref(),
            Change {
                actor_id: actor,
                action: "invite.revoke",
                entity_type: "invite",
                entity_id: invite_id,
                scope_path: Some(&org.path),
                before: None,
                after: Some(json!({"org_id": org.id, "revoked_at": now})),
            },
            now,
        )
        .await
    })
    .await
}

pub async fn create_invite(
    db: &Db,
    admin: &Admin,
    org_id: i64,
    new: CreateInvite,
    now: DateTime<Utc>,
) -> Result<Invite, ApiError> {
    let (actor, scope) = (admin.member_id, &admin.scope);
    if new.expires_at <= now || new.expires_at > now + Duration::days(366) {
        return Err(ApiError::field("expires_at", FieldIssue::new("future")));
    }
    let new = &new;
    db.write(|tx| async move {
        let org = scope.find_org(tx.as_ref(), org_id).await?;
        // 80 random bits collide practically never; the unique index still has the last word.
        let mut invite = None;
        for _ in 0..3 {
            let row = org_invites::ActiveModel {
                org_id: Set(org.id),
                code: Set(new_code()),
                max_uses: Set(new.max_uses),
                used_count: Set(0),
                expires_at: Set(new.expires_at.into()),
                created_by: Set(actor),
                created_at: Set(now.into()),
                revoked_at: Set(None),
                ..Default::default()
            };
            invite = insert_unless_duplicate(&tx, row).await?;
            if invite.is_some() {
                break;
            }
        }
        let invite = invite.ok_or_else(|| anyhow::anyhow!("three invite codes collided"))?;
        record(
            tx.as_ref(),
            Change {
                actor_id: actor,
                action: "invite.create",
                entity_type: "invite",
                entity_id: invite.id,
                scope_path: Some(&org.path),
                before: None,
                after: Some(json!({"org_id": org.id, "max_uses": invite.max_uses, "expires_at": *invite.expires_at})),
            },
            now,
        )
        .await?;
        Ok(invite_dto(invite))
    })
    .await
}

/// Puts the member in the invite's org. The code's use count and the one-org-per-member key
/// decide races: a used-up code or a second join never half-happens.
pub async fn join(
    db: &Db,
    limiter: &RateLimiter,
    member_id: i64,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Member, ApiError> {
    // Counted before the code is looked at, so guessing codes costs attempts.
    limiter.check(member_id, now)?;
    let code = code.trim().to_uppercase();
    let code = &code;
    db.write(|tx| async move {
        let invite = org_invites::Entity::find()
            .filter(org_invites::Column::Code.eq(code))
            .one(tx.as_ref())
            .await?
            .filter(|i| i.revoked_at.is_none())
            .ok_or(ApiError::InviteNotFound)?;
        if invite.expires_at <= now {
            return Err(ApiError::InviteExpired);
        }
        if org_members::Entity::find_by_id(member_id)
            .one(tx.as_ref())
            .await?
            .is_some()
        {
            return Err(ApiError::AlreadyInOrg);
        }
        let used = org_invites::Entity::update_many()
            .col_expr(
                org_invites::Column::UsedCount,
                Expr::col(org_invites::Column::UsedCount).add(1),
            )
            .filter(org_invites::Column::Id.eq(invite.id))
            .filter(
                Expr::col(org_invites::Column::UsedCount)
                    .lt(Expr::col(org_invites::Column::MaxUses)),
            )
            .exec(tx.as_ref())
            .await?;
        if used.rows_affected == 0 {
            return Err(ApiError::InviteUsedUp);
        }
        let membership = org_members::ActiveModel {
            member_id: Set(member_id),
            org_id: Set(invite.org_id),
            joined_at: Set(now.into()),
        };
        insert_unless_duplicate(&tx, membership)
            .await?
            .ok_or(ApiError::AlreadyInOrg)?;
        members_service::view(tx.as_ref(), member_id).await
    })
    .await
}

/// Takes the member out of their org. Leaving when in none is not an error.
pub async fn leave(db: &Db, member_id: i64) -> Result<Member, ApiError> {
    db.write(|tx| async move {
        org_members::Entity::delete_by_id(member_id)
            .exec(tx.as_ref())
            .await?;
        members_service::view(tx.as_ref(), member_id).await
    })
    .await
}
