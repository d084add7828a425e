//! Writing to a member's inbox and reading it back.
use chrono::{DateTime, Utc};
use entity::notifications;
use entity::time::UtcTime;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter,
};

use crate::db::Db;
use crate::error::ApiError;
use crate::http::paging::{Page, PageQuery};

use super::dto::{Inbox, Notification};

/// A message to send.
pub struct Message<'a> {
    pub member_id: i64,
    pub kind: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub subject_kind: &'a str,
    pub subject_id: i64,
}

/// Puts `message` in the member's inbox, inside the caller's transaction.
pub async fn notify(
    conn: &impl ConnectionTrait,
    message: Message<'_>,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    notifications::ActiveModel {
        member_id: Set(message.member_id),
        kind: Set(message.kind.to_owned()),
        title: Set(message.title.chars().take(64).collect()),
        body: Set(message.body.chars().take(256).collect()),
        subject_kind: Set(message.subject_kind.to_owned()),
        subject_id: Set(message.subject_id),
        read_at: Set(None),
        created_at: Set(now.into()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

fn view(n: notifications::Model) -> Notification {
    Notification {
        id: n.id,
        kind: n.kind,
        title: n.title,
        body: n.body,
        subject_kind: n.subject_kind,
        subject_id: n.subject_id,
        read: n.read_at.is_some(),
        created_at: n.created_at.into(),
    }
}

/// My messages, newest first, and how many are unread.
pub async fn inbox(
    conn: &impl ConnectionTrait,
    member_id: i64,
    page: &PageQuery,
) -> Result<Inbox, ApiError> {
    let mine = notifications::Entity::find().filter(notifications::Column::MemberId.eq(member_id));
    let rows = page
        .window(
            mine.clone(),
            notifications::Column::Id,
            sea_orm::Order::Desc,
        )?
        .all(conn)
        .await?;
    let unread = mine
        .filter(notifications::Column::ReadAt.is_null())
        .count(conn)
        .await?;
    let Page { items, next_cursor } = Page::from_rows(rows, page.limit(), |n| n.id, view);
    Ok(Inbox {
        items,
        next_cursor,
        unread,
    })
}

/// Marks one of my messages read (again is harmless); another member's is `not_found`.
pub async fn mark_read(
    db: &Db,
    member_id: i64,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Notification, ApiError> {
    db.write(|tx| async move {
        let found = notifications::Entity::find_by_id(id)
            .filter(notifications::Column::MemberId.eq(member_id))
            .one(tx.as_ref())
            .await?
            .ok_or(ApiError::NotFound)?;
        if found.read_at.is_some() {
            return Ok(view(found));
        }
        let mut row: notifications::ActiveModel = found.into();
        row.read_at = Set(Some(now.into()));
        Ok(view(row.update(tx.as_ref()).await?))
    })
    .await
}

/// Marks all my messages read; answers how many were unread.
pub async fn mark_all_read(db: &Db, member_id: i64, now: DateTime<Utc>) -> Result<u64, ApiError> {
    db.write(|tx| async move {
        let done = notifications::Entity::update_many()
            .col_expr(
                notifications::Column::ReadAt,
                Expr::value(UtcTime::from(now)),
            )
            .filter(notifications::Column::MemberId.eq(member_id))
            .filter(notifications::Column::ReadAt.is_null())
            .exec(tx.as_ref())
            .await?;
        Ok(done.rows_affected)
    })
    .await
}
