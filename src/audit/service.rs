use chrono::{DateTime, Utc};
use entity::audit_log;
use sea_orm::Order;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use serde_json::Value;

use crate::auth::scope::AdminScope;
use crate::error::ApiError;
use crate::http::paging::{Page, PageQuery};

use super::dto::{AuditEntry, AuditFilter};

/// One admin write to record.
pub struct Change<'a> {
    pub actor_id: i64,
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: i64,
    /// Path of the org the entity belongs to: org admins see the entries of their subtree.
    /// `None` for platform-level entities, seen by platform admins only.
    pub scope_path: Option<&'a str>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Appends `change`. Call it with the transaction of the write it records.
pub async fn record(
    conn: &impl ConnectionTrait,
    change: Change<'_>,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    record_returning_id(conn, change, now).await.map(|_| ())
}

/// Appends `change` and answers the entry's id, for an entry [`amend`]ed when what it records
/// has ended (an export: the rows sent are known only then).
pub async fn record_returning_id(
    conn: &impl ConnectionTrait,
    change: Change<'_>,
    now: DateTime<Utc>,
) -> Result<i64, ApiError> {
    let entry = audit_log::ActiveModel {
        actor_id: Set(change.actor_id),
        action: Set(change.action.to_owned()),
        entity_type: Set(change.entity_type.to_owned()),
        entity_id: Set(change.entity_id),
        scope_path: Set(change.scope_path.map(str::to_owned)),
        before: Set(change.before.map(|v| v.to_string())),
        after: Set(change.after.map(|v| v.to_string())),
        created_at: Set(now.into()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(entry.id)
}

/// Replaces the `after` of entry `id`.
pub async fn amend(conn: &impl ConnectionTrait, id: i64, after: Value) -> Result<(), ApiError> {
    audit_log::ActiveModel {
        id: Set(id),
        after: Set(Some(after.to_string())),
        ..Default::default()
    }
    .update(conn)
    .await?;
    Ok(())
}

/// Newest first, within the admin's scope.
pub async fn list(
    conn: &impl ConnectionTrait,
    scope: &AdminScope,
    filter: AuditFilter,
    page: &PageQuery,
) -> Result<Page<AuditEntry>, ApiError> {
    let mut query = audit_log::Entity::find().filter(scope.filter(audit_log::Column::ScopePath));
    if let Some(actor) = filter.actor_id {
        query = query.filter(audit_log::Column::ActorId.eq(actor));
    }
    if let Some(kind) = filter.entity_type {
        query = query.filter(audit_log::Column::EntityType.eq(kind));
    }
    if let Some(id) = filter.entity_id {
        query = query.filter(audit_log::Column::EntityId.eq(id));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_log::Column::CreatedAt.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(audit_log::Column::CreatedAt.lt(to));
    }
    let rows = page
        .window(query, audit_log::Column::Id, Order::Desc)?
        .all(conn)
        .await?;
    Ok(Page::from_rows(
        rows,
        page.limit(),
        |r| r.id,
        |r| AuditEntry {
            id: r.id,
            actor_id: r.actor_id,
            action: r.action,
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            before: r.before.and_then(|s| serde_json::from_str(&s).ok()),
            after: r.after.and_then(|s| serde_json::from_str(&s).ok()),
            created_at: r.created_at.into(),
        },
    ))
}
