//! Writing to a member's inbox and reading it back.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::time::UtcTime;
use entity::{members, notifications, outbox, subscribe_credits};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::db::{Db, insert_unless_duplicate};
use crate::error::ApiError;
use crate::http::paging::{Page, PageQuery};
use crate::wechat::{WechatClient, WechatError};

use super::dto::{Credits, Inbox, Notification};

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
        // Conditional: a read-all racing this keeps its own moment.
        notifications::Entity::update_many()
            .col_expr(
                notifications::Column::ReadAt,
                Expr::value(UtcTime::from(now)),
            )
            .filter(notifications::Column::Id.eq(id))
            .filter(notifications::Column::ReadAt.is_null())
            .exec(tx.as_ref())
            .await?;
        Ok(Notification {
            read: true,
            ..view(found)
        })
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

/// Most send credits one member holds for one template: consents are one-off, and a burst of
/// taps should not bank hundreds.
const MAX_CREDITS: i32 = 50;
/// Sends tried before a message is given up.
const MAX_ATTEMPTS: i32 = 5;
const PENDING: &str = "pending";

/// Records one consent given in `wx.requestSubscribeMessage` for `template_id`: one more send
/// credit (at most 50 held). Answers the credits now held.
pub async fn grant(
    tx: &DatabaseTransaction,
    member_id: i64,
    template_id: &str,
    now: DateTime<Utc>,
) -> Result<Credits, ApiError> {
    let row = subscribe_credits::ActiveModel {
        member_id: Set(member_id),
        template_id: Set(template_id.to_owned()),
        credits: Set(0),
        updated_at: Set(now.into()),
    };
    insert_unless_duplicate(tx, row).await?;
    subscribe_credits::Entity::update_many()
        .col_expr(
            subscribe_credits::Column::Credits,
            Expr::col(subscribe_credits::Column::Credits).add(1),
        )
        .col_expr(
            subscribe_credits::Column::UpdatedAt,
            Expr::value(UtcTime::from(now)),
        )
        .filter(subscribe_credits::Column::MemberId.eq(member_id))
        .filter(subscribe_credits::Column::TemplateId.eq(template_id))
        .filter(subscribe_credits::Column::Credits.lt(MAX_CREDITS))
        .exec(tx)
        .await?;
    let credits = subscribe_credits::Entity::find_by_id((member_id, template_id.to_owned()))
        .one(tx)
        .await?
        .map_or(0, |c| c.credits);
    Ok(Credits {
        template_id: template_id.to_owned(),
        credits,
    })
}

/// Queues a subscribe message to the member if they hold a credit for `template_id`, taking
/// one (a conditional update decides, so two outcomes at once cannot both spend the last).
/// Inside the caller's transaction: the message is queued exactly when the outcome commits;
/// sending happens later and never touches the outcome. Answers whether it was queued.
pub async fn queue(
    tx: &DatabaseTransaction,
    member_id: i64,
    template_id: &str,
    message: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<bool, ApiError> {
    let taken = subscribe_credits::Entity::update_many()
        .col_expr(
            subscribe_credits::Column::Credits,
            Expr::col(subscribe_credits::Column::Credits).sub(1),
        )
        .filter(subscribe_credits::Column::MemberId.eq(member_id))
        .filter(subscribe_credits::Column::TemplateId.eq(template_id))
        .filter(subscribe_credits::Column::Credits.gt(0))
        .exec(tx)
        .await?;
    if taken.rows_affected != 1 {
        return Ok(false);
    }
    outbox::ActiveModel {
        member_id: Set(member_id),
        template_id: Set(template_id.to_owned()),
        payload: Set(message.to_string()),
        status: Set(PENDING.to_owned()),
        attempts: Set(0),
        next_at: Set(now.into()),
        last_error: Set(None),
        created_at: Set(now.into()),
        sent_at: Set(None),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    Ok(true)
}

/// The wait before sending again after `attempts` failures: 2, 4, 8, 16 minutes.
fn retry_delay(attempts: i32) -> chrono::Duration {
    chrono::Duration::minutes(1 << attempts.clamp(0, 6))
}

/// How long a claimed message is left alone by other senders: far longer than one send can
/// take (WeChat's timeout). A round stops claiming once half of it has passed.
pub const CLAIM: chrono::Duration = chrono::Duration::minutes(2);

/// Sends up to `limit` queued messages whose time has come; answers how many were tried. Each
/// is claimed first by a conditional update (moving its time on by `claim` from the moment it
/// is claimed, and counting the attempt), so two senders never send one message twice, even if
/// a round outlives its lease: a long round claims from the time it is now, not when it began,
/// and leaves the rest to the next round before a claim could run out under a send. Sent ones
/// are marked sent; 43101 (the member's consent is gone) drops the message and the template's
/// remaining credits; WeChat refusing the message itself (a bad field, no such template) fails
/// it at once and gives the credit back; being unreachable is tried again later, five times at
/// most. A fate is recorded only while the claim is still this sender's.
pub async fn send_due(
    db: &Db,
    wechat: &WechatClient,
    now: DateTime<Utc>,
    limit: u64,
    claim: chrono::Duration,
) -> Result<usize, ApiError> {
    let started = std::time::Instant::now();
    let since_start = || chrono::Duration::from_std(started.elapsed()).unwrap_or(claim);
    let due = outbox::Entity::find()
        .filter(outbox::Column::Status.eq(PENDING))
        .filter(outbox::Column::NextAt.lte(UtcTime::from(now)))
        .order_by_asc(outbox::Column::NextAt)
        .limit(limit)
        .all(db.conn())
        .await?;
    let openids: HashMap<i64, String> = members::Entity::find()
        .filter(members::Column::Id.is_in(due.iter().map(|m| m.member_id)))
        .all(db.conn())
        .await?
        .into_iter()
        .filter_map(|m| Some((m.id, m.openid?)))
        .collect();
    let mut tried = 0;
    for message in &due {
        if since_start() * 2 > claim {
            break;
        }
        let at = now + since_start();
        if !take(db, message, at, claim).await? {
            continue;
        }
        tried += 1;
        let outcome = match (
            openids.get(&message.member_id),
            serde_json::from_str::<serde_json::Value>(&message.payload),
        ) {
            (Some(openid), Ok(payload)) => wechat.send_subscribe(openid, &payload).await,
            _ => Err(WechatError::Api {
                errcode: 0,
                errmsg: "no WeChat identity or an unreadable message".into(),
            }),
        };
        if let Err(e) = settle(db, message, outcome, at).await {
            tracing::warn!(message = message.id, error = %e, "recording a subscribe message's fate failed");
        }
    }
    Ok(tried)
}

/// Takes `message` for this sender if nobody has since: its attempt is counted and its time
/// moved `claim` past `at`, so another sender's round skips it.
async fn take(
    db: &Db,
    message: &outbox::Model,
    at: DateTime<Utc>,
    claim: chrono::Duration,
) -> Result<bool, ApiError> {
    db.write(|tx| async move {
        let taken = outbox::Entity::update_many()
            .col_expr(outbox::Column::Attempts, Expr::value(message.attempts + 1))
            .col_expr(
                outbox::Column::NextAt,
                Expr::value(UtcTime::from(at + claim)),
            )
            .filter(outbox::Column::Id.eq(message.id))
            .filter(outbox::Column::Status.eq(PENDING))
            .filter(outbox::Column::Attempts.eq(message.attempts))
            .exec(tx.as_ref())
            .await?;
        Ok(taken.rows_affected == 1)
    })
    .await
}

/// Records what became of a claimed message (its attempt already counted), if it is still
/// this sender's: a sender whose claim ran out must not undo the next one's record.
async fn settle(
    db: &Db,
    message: &outbox::Model,
    outcome: Result<(), WechatError>,
    claimed_at: DateTime<Utc>,
) -> Result<(), ApiError> {
    let outcome = &outcome;
    db.write(|tx| async move {
        let attempts = message.attempts + 1;
        let mut row = outbox::ActiveModel {
            ..Default::default()
        };
        let credits = |change: sea_orm::sea_query::SimpleExpr| {
            subscribe_credits::Entity::update_many()
                .col_expr(subscribe_credits::Column::Credits, change)
                .filter(subscribe_credits::Column::MemberId.eq(message.member_id))
                .filter(subscribe_credits::Column::TemplateId.eq(&message.template_id))
        };
        let credits =
            match outcome {
                Ok(()) => {
                    row.status = Set("sent".to_owned());
                    row.sent_at = Set(Some(claimed_at.into()));
                    None
                }
                Err(WechatError::Api { errcode: 43101, .. }) => {
                    row.status = Set("refused".to_owned());
                    row.last_error = Set(Some("43101".to_owned()));
                    // Not a consent given since the message was claimed.
                    Some(credits(Expr::value(0)).filter(
                        subscribe_credits::Column::UpdatedAt.lte(UtcTime::from(claimed_at)),
                    ))
                }
                // WeChat judged the message, not the moment: sending it again cannot help, and the
                // member's consent was not used.
                Err(e @ WechatError::Api { .. }) => {
                    row.status = Set("failed".to_owned());
                    row.last_error = Set(Some(e.to_string().chars().take(200).collect()));
                    Some(credits(
                        Expr::col(subscribe_credits::Column::Credits).add(1),
                    ))
                }
                Err(e) => {
                    let give_up = attempts >= MAX_ATTEMPTS;
                    row.status = Set(if give_up { "failed" } else { PENDING }.to_owned());
                    row.next_at = Set((claimed_at + retry_delay(attempts)).into());
                    row.last_error = Set(Some(e.to_string().chars().take(200).collect()));
                    None
                }
            };
        let recorded = outbox::Entity::update_many()
            .set(row)
            .filter(outbox::Column::Id.eq(message.id))
            .filter(outbox::Column::Status.eq(PENDING))
            .filter(outbox::Column::Attempts.eq(attempts))
            .exec(tx.as_ref())
            .await?;
        if recorded.rows_affected != 1 {
            tracing::warn!(
                message = message.id,
                "a subscribe message's claim ran out under its send"
            );
            return Ok(());
        }
        if let Some(credits) = credits {
            credits.exec(tx.as_ref()).await?;
        }
        Ok(())
    })
    .await
}
