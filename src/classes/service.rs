//! Online classes: definitions (org-scoped like exams), what members see, the attendance
//! heartbeat and the attendance report with its peak.
use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use entity::{class_attendance, class_orgs, classes, members, org_members, orgs, study_sessions};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;

use crate::audit::service::{Change, record};
use crate::auth::scope::{
    AdminScope, audience, member_org_and_ancestors, orgs_by_item, reaching, visible_orgs,
};
use crate::db::{Db, int_type};
use crate::error::{ApiError, FieldErrors, FieldIssue};
use crate::http::paging::{Page, PageQuery, cut_offset, offset_cursor};
use crate::study::dto::Via;
use crate::study::service::{self as study, Item};

use super::dto::{
    AttendanceCredit, Attendee, Class, ClassAttendance, ClassBeat, ClassHead, MyAttendance,
    NewClass, OpenClass,
};
use super::peak::peak;

/// The longest class.
const MAX_LENGTH: Duration = Duration::hours(24);
/// The default threshold's ceiling.
const DEFAULT_MIN_CEILING: i64 = 30 * 60;

fn head(c: &classes::Model) -> ClassHead {
    ClassHead {
        id: c.id,
        title: c.title.clone(),
        speaker: c.speaker.clone(),
        description: c.description.clone(),
        starts_at: c.starts_at.into(),
        ends_at: c.ends_at.into(),
        stream_url: c.stream_url.clone(),
        replay_url: c.replay_url.clone(),
        attend_min_seconds: c.attend_min_seconds,
        campaign_id: c.campaign_id,
    }
}

fn to_dto(c: classes::Model, org_ids: Vec<i64>) -> Class {
    Class {
        head: head(&c),
        org_ids,
        created_at: c.created_at.into(),
    }
}

/// The window and the threshold within it.
fn check(new: &NewClass) -> Result<i32, ApiError> {
    crate::http::validate::storable_instant("starts_at", new.starts_at)?;
    crate::http::validate::storable_instant("ends_at", new.ends_at)?;
    let mut problems = FieldErrors::new();
    let length = new.ends_at - new.starts_at;
    if length <= Duration::zero() {
        problems
            .entry("ends_at".to_owned())
            .or_default()
            .push(FieldIssue::new("after_start"));
    } else if length > MAX_LENGTH {
        problems
            .entry("ends_at".to_owned())
            .or_default()
            .push(FieldIssue::new("range"));
    }
    let seconds = length.num_seconds();
    let min = match new.attend_min_seconds {
        Some(min) if i64::from(min) > seconds && seconds > 0 => {
            problems
                .entry("attend_min_seconds".to_owned())
                .or_default()
                .push(FieldIssue::new("range").with("max", seconds.to_string()));
            min
        }
        Some(min) => min,
        None => (seconds / 2).clamp(1, DEFAULT_MIN_CEILING) as i32,
    };
    if problems.is_empty() {
        Ok(min)
    } else {
        Err(ApiError::Validation(problems))
    }
}

/// (class, org) rows, of `ids` or of every class.
async fn pairs(
    conn: &impl ConnectionTrait,
    ids: Option<Vec<i64>>,
) -> Result<Vec<(i64, i64)>, ApiError> {
    let mut query = class_orgs::Entity::find()
        .select_only()
        .column(class_orgs::Column::ClassId)
        .column(class_orgs::Column::OrgId);
    if let Some(ids) = ids {
        query = query.filter(class_orgs::Column::ClassId.is_in(ids));
    }
    Ok(query.into_tuple().all(conn).await?)
}

async fn save(
    tx: &DatabaseTransaction,
    mut row: classes::ActiveModel,
    new: &NewClass,
    attend_min: i32,
    now: DateTime<Utc>,
) -> Result<(classes::Model, Vec<i64>), ApiError> {
    let org_ids = audience(tx, &new.org_ids, new.campaign_id).await?;
    row.title = Set(new.title.trim().to_owned());
    row.speaker = Set(new.speaker.clone());
    row.description = Set(new.description.clone());
    row.starts_at = Set(new.starts_at.into());
    row.ends_at = Set(new.ends_at.into());
    row.stream_url = Set(new.stream_url.clone());
    row.replay_url = Set(new.replay_url.clone());
    row.attend_min_seconds = Set(attend_min);
    row.campaign_id = Set(new.campaign_id);
    let class = if row.id.is_not_set() {
        row.insert(tx).await?
    } else {
        row.updated_at = Set(Some(now.into()));
        row.update(tx).await?
    };
    class_orgs::Entity::delete_many()
        .filter(class_orgs::Column::ClassId.eq(class.id))
        .exec(tx)
        .await?;
    class_orgs::Entity::insert_many(org_ids.iter().map(|org| class_orgs::ActiveModel {
        class_id: Set(class.id),
        org_id: Set(*org),
    }))
    .exec_without_returning(tx)
    .await?;
    Ok((class, org_ids))
}

async fn audit(
    tx: &DatabaseTransaction,
    actor: i64,
    action: &str,
    class: &classes::Model,
    org_ids: &[i64],
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    record(
        tx,
        Change {
            actor_id: actor,
            action,
            entity_type: "class",
            entity_id: class.id,
            scope_path: None,
            before: None,
            after: Some(json!({
                "title": class.title,
                "org_ids": org_ids,
                "starts_at": class.starts_at.to_string(),
                "ends_at": class.ends_at.to_string(),
                "attend_min_seconds": class.attend_min_seconds,
            })),
        },
        now,
    )
    .await
}

async fn find(conn: &impl ConnectionTrait, id: i64) -> Result<classes::Model, ApiError> {
    classes::Entity::find_by_id(id)
        .filter(classes::Column::DeletedAt.is_null())
        .one(conn)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Schedules a class (platform admins; audited).
pub async fn create(
    db: &Db,
    actor: i64,
    new: NewClass,
    now: DateTime<Utc>,
) -> Result<Class, ApiError> {
    let attend_min = check(&new)?;
    let new = &new;
    db.write(|tx| async move {
        let row = classes::ActiveModel {
            created_by: Set(actor),
            created_at: Set(now.into()),
            updated_at: Set(None),
            deleted_at: Set(None),
            ..Default::default()
        };
        let (class, org_ids) = save(&tx, row, new, attend_min, now).await?;
        audit(&tx, actor, "class.create", &class, &org_ids, now).await?;
        Ok(to_dto(class, org_ids))
    })
    .await
}

/// Replaces a class's definition (platform admins; audited). Attendance so far stays; who
/// attended is not re-judged against a new threshold.
pub async fn update(
    db: &Db,
    actor: i64,
    id: i64,
    new: NewClass,
    now: DateTime<Utc>,
) -> Result<Class, ApiError> {
    let attend_min = check(&new)?;
    let new = &new;
    db.write(|tx| async move {
        let row: classes::ActiveModel = find(tx.as_ref(), id).await?.into();
        let (class, org_ids) = save(&tx, row, new, attend_min, now).await?;
        audit(&tx, actor, "class.update", &class, &org_ids, now).await?;
        Ok(to_dto(class, org_ids))
    })
    .await
}

/// Withdraws a class: members no longer see it; its attendance stays.
pub async fn delete(db: &Db, actor: i64, id: i64, now: DateTime<Utc>) -> Result<(), ApiError> {
    db.write(|tx| async move {
        let class = find(tx.as_ref(), id).await?;
        let mut row: classes::ActiveModel = class.clone().into();
        row.deleted_at = Set(Some(now.into()));
        row.update(tx.as_ref()).await?;
        audit(&tx, actor, "class.delete", &class, &[], now).await
    })
    .await
}

/// Classes for admins, newest first: every one for platform admins; for org admins those
/// reaching an org in their scope.
pub async fn list(
    conn: &impl ConnectionTrait,
    scope: &AdminScope,
    page: &PageQuery,
) -> Result<Page<Class>, ApiError> {
    let mut query = classes::Entity::find().filter(classes::Column::DeletedAt.is_null());
    if !scope.is_platform() {
        let ids = reaching(conn, scope, pairs(conn, None).await?).await?;
        query = query.filter(classes::Column::Id.is_in(ids));
    }
    let rows = page
        .window(query, classes::Column::Id, sea_orm::Order::Desc)?
        .all(conn)
        .await?;
    let by_class = orgs_by_item(pairs(conn, Some(rows.iter().map(|c| c.id).collect())).await?);
    let mut orgs = visible_orgs(conn, scope, by_class).await?;
    Ok(Page::from_rows(
        rows,
        page.limit(),
        |c| c.id,
        |c| {
            let ids = orgs.remove(&c.id).unwrap_or_default();
            to_dto(c, ids)
        },
    ))
}

/// A class in the admin's scope.
async fn find_in_scope(
    conn: &impl ConnectionTrait,
    scope: &AdminScope,
    id: i64,
) -> Result<(classes::Model, Vec<i64>), ApiError> {
    let class = find(conn, id).await?;
    let own = pairs(conn, Some(vec![id])).await?;
    if !reaching(conn, scope, own.clone()).await?.contains(&id) {
        return Err(ApiError::NotFound);
    }
    let ids = visible_orgs(conn, scope, orgs_by_item(own))
        .await?
        .remove(&id)
        .unwrap_or_default();
    Ok((class, ids))
}

pub async fn get(
    conn: &impl ConnectionTrait,
    scope: &AdminScope,
    id: i64,
) -> Result<Class, ApiError> {
    let (class, org_ids) = find_in_scope(conn, scope, id).await?;
    Ok(to_dto(class, org_ids))
}

/// The ids of the classes given to the member's org or an org above it: all of them, or
/// whether `only` is one.
async fn open_to(
    conn: &impl ConnectionTrait,
    member_id: i64,
    only: Option<i64>,
) -> Result<Vec<i64>, ApiError> {
    let ancestors = member_org_and_ancestors(conn, member_id).await?;
    let mut query = class_orgs::Entity::find()
        .select_only()
        .column(class_orgs::Column::ClassId)
        .filter(class_orgs::Column::OrgId.is_in(ancestors))
        .distinct();
    if let Some(id) = only {
        query = query.filter(class_orgs::Column::ClassId.eq(id));
    }
    Ok(query.into_tuple().all(conn).await?)
}

fn open_class(
    c: &classes::Model,
    mine: Option<&class_attendance::Model>,
    now: DateTime<Utc>,
) -> OpenClass {
    OpenClass {
        head: head(c),
        live: c.starts_at <= now && now < DateTime::<Utc>::from(c.ends_at),
        my_attendance: mine.map_or_else(MyAttendance::default, |a| MyAttendance {
            counted_seconds: a.credited_seconds,
            attended: a.attended_at.is_some(),
        }),
    }
}

/// The classes open to my org, latest start first, with my attendance.
pub async fn open_for(
    conn: &impl ConnectionTrait,
    member_id: i64,
    page: &PageQuery,
    now: DateTime<Utc>,
) -> Result<Page<OpenClass>, ApiError> {
    let ids = open_to(conn, member_id, None).await?;
    let (offset, limit) = (page.offset()?, page.limit());
    let rows = classes::Entity::find()
        .filter(classes::Column::Id.is_in(ids))
        .filter(classes::Column::DeletedAt.is_null())
        .order_by_desc(classes::Column::StartsAt)
        .order_by_desc(classes::Column::Id)
        .offset(offset)
        .limit(limit + 1)
        .all(conn)
        .await?;
    let (rows, more) = cut_offset(rows, limit);
    let mine: HashMap<i64, class_attendance::Model> = class_attendance::Entity::find()
        .filter(class_attendance::Column::MemberId.eq(member_id))
        .filter(
            class_attendance::Column::ClassId.is_in(rows.iter().map(|c| c.id).collect::<Vec<_>>()),
        )
        .all(conn)
        .await?
        .into_iter()
        .map(|a| (a.class_id, a))
        .collect();
    Ok(Page {
        items: rows
            .iter()
            .map(|c| open_class(c, mine.get(&c.id), now))
            .collect(),
        next_cursor: more.then(|| offset_cursor(offset + limit)),
    })
}

/// A class open to my org, not withdrawn.
async fn find_open(
    conn: &impl ConnectionTrait,
    member_id: i64,
    id: i64,
) -> Result<classes::Model, ApiError> {
    let class = find(conn, id).await?;
    // The heartbeat's path: one class's rows, not every class of the member's orgs.
    if open_to(conn, member_id, Some(id)).await?.is_empty() {
        return Err(ApiError::NotFound);
    }
    Ok(class)
}

pub async fn get_open(
    conn: &impl ConnectionTrait,
    member_id: i64,
    id: i64,
    now: DateTime<Utc>,
) -> Result<OpenClass, ApiError> {
    let class = find_open(conn, member_id, id).await?;
    let mine = class_attendance::Entity::find_by_id((id, member_id))
        .one(conn)
        .await?;
    Ok(open_class(&class, mine.as_ref(), now))
}

/// One attendance heartbeat, inside the class's window only: counts study time (see
/// `study::beat`), and once the member's credited time in the class reaches its threshold
/// they attended, and the day counts for their streak.
pub async fn attend(
    db: &Db,
    member_id: i64,
    id: i64,
    beat: &ClassBeat,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<AttendanceCredit, ApiError> {
    let claimed = beat.seconds;
    db.write(|tx| async move {
        let class = find_open(tx.as_ref(), member_id, id).await?;
        if now < DateTime::<Utc>::from(class.starts_at) || now >= class.ends_at.into() {
            return Err(ApiError::ClassNotLive);
        }
        let credited = study::beat(&tx, member_id, Item::Class(id), claimed, now, tz).await?;
        let now = credited.at;
        // The member's row lock (taken by `beat`) orders this read-then-write.
        let before = class_attendance::Entity::find_by_id((id, member_id))
            .one(tx.as_ref())
            .await?;
        let counted = before.as_ref().map_or(0, |a| a.credited_seconds) + credited.seconds;
        let was_attended = before.as_ref().is_some_and(|a| a.attended_at.is_some());
        let attends = !was_attended && counted >= class.attend_min_seconds;
        match before {
            Some(row) => {
                let mut row: class_attendance::ActiveModel = row.into();
                row.credited_seconds = Set(counted);
                if attends {
                    row.attended_at = Set(Some(now.into()));
                }
                row.update(tx.as_ref()).await?;
            }
            None => {
                let org_id = org_members::Entity::find_by_id(member_id)
                    .one(tx.as_ref())
                    .await?
                    .map(|m| m.org_id);
                class_attendance::ActiveModel {
                    class_id: Set(id),
                    member_id: Set(member_id),
                    org_id: Set(org_id),
                    credited_seconds: Set(counted),
                    first_beat_at: Set(now.into()),
                    attended_at: Set(attends.then(|| now.into())),
                    local_date: Set(Some(crate::clock::local_date(now, tz))),
                }
                .insert(tx.as_ref())
                .await?;
            }
        }
        if attends {
            study::count_day(&tx, member_id, credited.day, Via::Class, now).await?;
        }
        Ok(AttendanceCredit {
            counted_seconds: counted,
            credited_seconds: credited.seconds,
            attended: was_attended || attends,
            today_done: study::counted(tx.as_ref(), member_id, credited.day).await?,
            points_awarded: credited.points,
            points_capped: credited.capped,
        })
    })
    .await
}

/// Who attended a class among the members in the admin's scope, a page of members at a time,
/// with the totals and the peak number attending at once.
pub async fn attendance(
    conn: &impl ConnectionTrait,
    scope: &AdminScope,
    id: i64,
    page: &PageQuery,
) -> Result<ClassAttendance, ApiError> {
    find_in_scope(conn, scope, id).await?;
    let int = int_type(conn.get_database_backend());
    let (participants, attendees, seconds): (i64, i64, Option<i64>) =
        class_attendance::Entity::find()
            .select_only()
            .column_as(Expr::cust("COUNT(*)"), "participants")
            .column_as(Expr::cust("COUNT(attended_at)"), "attendees")
            .column_as(
                Expr::cust(format!("CAST(SUM(credited_seconds) AS {int})")),
                "seconds",
            )
            .filter(class_attendance::Column::ClassId.eq(id))
            .filter(scope.member_filter(class_attendance::Column::MemberId))
            .into_tuple()
            .one(conn)
            .await?
            .unwrap_or((0, 0, None));
    let sessions: Vec<(entity::time::UtcTime, entity::time::UtcTime)> =
        study_sessions::Entity::find()
            .select_only()
            .column(study_sessions::Column::StartedAt)
            .column(study_sessions::Column::LastBeatAt)
            .filter(study_sessions::Column::CreditedSeconds.gt(0))
            .filter(study_sessions::Column::ItemKind.eq(Item::Class(id).kind()))
            .filter(study_sessions::Column::ItemId.eq(id))
            .filter(scope.member_filter(study_sessions::Column::MemberId))
            .into_tuple()
            .all(conn)
            .await?;
    let sessions: Vec<(DateTime<Utc>, DateTime<Utc>)> = sessions
        .into_iter()
        .map(|(s, e)| (s.into(), e.into()))
        .collect();
    let (peak_concurrent, peak_at) = peak(&sessions);

    let rows = page
        .window(
            class_attendance::Entity::find()
                .filter(class_attendance::Column::ClassId.eq(id))
                .filter(scope.member_filter(class_attendance::Column::MemberId)),
            class_attendance::Column::MemberId,
            sea_orm::Order::Asc,
        )?
        .all(conn)
        .await?;
    let (rows, next_cursor) = crate::http::paging::cut(rows, page.limit(), |a| a.member_id);
    let people: HashMap<i64, members::Model> = members::Entity::find()
        .filter(members::Column::Id.is_in(rows.iter().map(|a| a.member_id).collect::<Vec<_>>()))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    // The org a member attended from, when the admin's scope covers it (they may have moved).
    let org_names: HashMap<i64, String> = orgs::Entity::find()
        .filter(orgs::Column::Id.is_in(rows.iter().filter_map(|a| a.org_id).collect::<Vec<_>>()))
        .all(conn)
        .await?
        .into_iter()
        .filter(|o| scope.covers(&o.path))
        .map(|o| (o.id, o.name))
        .collect();
    let items = rows
        .into_iter()
        .map(|a| {
            let who = people.get(&a.member_id);
            Attendee {
                member_id: a.member_id,
                nickname: who.and_then(|m| m.nickname.clone()),
                real_name: who.and_then(|m| m.real_name.clone()),
                is_mobile_member: who.is_some_and(|m| m.is_mobile_member),
                org_id: a.org_id.filter(|o| org_names.contains_key(o)),
                org_name: a.org_id.and_then(|o| org_names.get(&o).cloned()),
                counted_seconds: a.credited_seconds,
                minutes: a.credited_seconds / 60,
                attended: a.attended_at.is_some(),
                first_beat_at: a.first_beat_at.into(),
            }
        })
        .collect();
    Ok(ClassAttendance {
        class_id: id,
        participants: participants as u64,
        attendees: attendees as u64,
        counted_seconds: seconds.unwrap_or(0),
        peak_concurrent,
        peak_at,
        items,
        next_cursor,
    })
}
