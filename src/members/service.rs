//! Reading and editing members.
use chrono::{DateTime, Utc};
use entity::{member_roles, members};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};

use crate::db::Db;
use crate::error::ApiError;

use super::dto::{Member, PoliticalStatus, Role, RoleGrant, UpdateMe};

/// The roles granted to a member, in a stable order.
pub async fn roles_of(
    conn: &impl ConnectionTrait,
    member_id: i64,
) -> Result<Vec<RoleGrant>, ApiError> {
    let rows = member_roles::Entity::find()
        .filter(member_roles::Column::MemberId.eq(member_id))
        .order_by_asc(member_roles::Column::Id)
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| match Role::parse(&r.role) {
            Some(role) => Some(RoleGrant {
                role,
                org_id: r.org_id,
            }),
            None => {
                tracing::warn!(member_id, role = %r.role, "ignoring an unknown role");
                None
            }
        })
        .collect())
}

pub fn to_dto(m: members::Model, roles: Vec<RoleGrant>) -> Member {
    Member {
        id: m.id,
        nickname: m.nickname,
        avatar_url: m.avatar_url,
        real_name: m.real_name,
        political_status: m
            .political_status
            .as_deref()
            .and_then(PoliticalStatus::parse),
        is_mobile_member: m.is_mobile_member,
        org: None,
        roles,
    }
}

/// A member with their roles; `not_found` if there is no such member.
pub async fn view(conn: &impl ConnectionTrait, member_id: i64) -> Result<Member, ApiError> {
    let member = members::Entity::find_by_id(member_id)
        .one(conn)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(to_dto(member, roles_of(conn, member_id).await?))
}

pub async fn update_me(
    db: &Db,
    member_id: i64,
    edit: UpdateMe,
    now: DateTime<Utc>,
) -> Result<Member, ApiError> {
    let edit = &edit;
    db.write(|tx| async move {
        let member = members::Entity::find_by_id(member_id)
            .one(tx.as_ref())
            .await?
            .ok_or(ApiError::NotFound)?;
        let mut row: members::ActiveModel = member.into();
        row.nickname = Set(edit.nickname.as_deref().map(|s| s.trim().to_owned()));
        row.avatar_url = Set(edit.avatar_url.clone());
        row.real_name = Set(edit.real_name.as_deref().map(|s| s.trim().to_owned()));
        row.updated_at = Set(now);
        row.update(tx.as_ref()).await?;
        view(tx.as_ref(), member_id).await
    })
    .await
}
