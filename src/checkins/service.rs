//! Verifying, recording and reviewing check-ins.
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use entity::time::UtcTime;
use entity::{checkins, sites};
use sea_orm::Order;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde_json::json;

use crate::audit::service::{Change, record};
use crate::auth::Admin;
use crate::auth::scope::AdminScope;
use crate::clock::local_date;
use crate::db::{Db, insert_unless_duplicate, raw};
use crate::error::{ApiError, FieldIssue};
use crate::geo::{Point, distance_m};
use crate::http::paging::{Page, PageQuery};
use crate::media::service::{self as media, Holder};
use crate::members::service as members_service;
use crate::points::dto::Source;
use crate::points::service::{Awarded, Payout, award};
use crate::sites::service as sites_service;

use super::dto::{
    CheckinFilter, CheckinResult, CheckinStatus, CheckinView, Decision, Footprint, MyCheckin,
    MyFootprint, NewCheckin, Review,
};

/// How much of the phone's reported accuracy is allowed for, at most.
const MAX_ACCURACY_ALLOWANCE_M: f64 = 100.0;
/// Offline check-ins may be submitted this late...
const MAX_CAPTURE_AGE: Duration = Duration::hours(24);
/// ...and phone clocks may run this far ahead.
const MAX_CLOCK_SKEW: Duration = Duration::minutes(5);
/// Faster than this between two check-ins is not a hike.
const MAX_PLAUSIBLE_KMH: f64 = 300.0;

fn round_dm(metres: f64) -> f64 {
    (metres * 10.0).round() / 10.0
}

/// Why a check-in looks implausible, judged against the member's nearest check-ins before and
/// after it in `captured_at` order: sending check-ins out of order (an offline one captured
/// between two others) must not hide impossible travel. Both neighbours come in one query.
async fn implausibility(
    tx: &DatabaseTransaction,
    member_id: i64,
    site_id: i64,
    here: Point,
    at: DateTime<Utc>,
) -> Result<Option<&'static str>, ApiError> {
    // Each side is a derived table: SQLite allows no ORDER BY/LIMIT on a bare UNION member.
    // `side` orders the two (a UNION ALL promises no order): the one before is judged first.
    const NEIGHBOURS: &str = "SELECT * FROM (SELECT 0 AS side, checkins.* FROM checkins \
         WHERE member_id = ? AND status <> ? AND captured_at <= ? \
         ORDER BY captured_at DESC LIMIT 1) AS before_it \
         UNION ALL SELECT * FROM (SELECT 1 AS side, checkins.* FROM checkins \
         WHERE member_id = ? AND status <> ? AND captured_at > ? \
         ORDER BY captured_at ASC LIMIT 1) AS after_it ORDER BY side";
    let rejected = CheckinStatus::Rejected.as_str();
    let at = UtcTime::from(at);
    let values = [
        member_id.into(),
        rejected.into(),
        at.into(),
        member_id.into(),
        rejected.into(),
        at.into(),
    ];
    let neighbours = checkins::Entity::find()
        .from_raw_sql(raw(tx.get_database_backend(), NEIGHBOURS, values))
        .all(tx)
        .await?;
    Ok(neighbours
        .iter()
        .find_map(|other| against(other, site_id, here, *at)))
}

/// Whether being at `here` at `at` is implausible given `other` check-in.
fn against(
    other: &checkins::Model,
    site_id: i64,
    here: Point,
    at: DateTime<Utc>,
) -> Option<&'static str> {
    // A phone replaying one fix everywhere reports the same coordinates to the last digit.
    if other.site_id != site_id && other.lat == here.lat && other.lng == here.lng {
        return Some("repeated_coordinates");
    }
    let there = Point {
        lat: other.lat,
        lng: other.lng,
    };
    let metres = distance_m(there, here);
    let seconds = (at - *other.captured_at).num_milliseconds().abs() as f64 / 1000.0;
    let kmh = if seconds > 0.0 {
        metres / seconds * 3.6
    } else if metres > 0.0 {
        f64::INFINITY
    } else {
        0.0
    };
    (kmh > MAX_PLAUSIBLE_KMH).then_some("impossible_travel")
}

/// Pays an accepted check-in and completes the routes it finishes; returns the payout (its
/// badges include the routes') and the completed route ids.
async fn accept(
    tx: &DatabaseTransaction,
    checkin: &checkins::Model,
    now: DateTime<Utc>,
) -> Result<(Awarded, Vec<i64>), ApiError> {
    let mut awarded = pay(tx, checkin, now).await?;
    let (routes, badges) = crate::routes::service::after_accepted(tx, checkin, now).await?;
    awarded.badges.extend(badges);
    Ok((awarded, routes))
}

async fn pay(
    tx: &DatabaseTransaction,
    checkin: &checkins::Model,
    now: DateTime<Utc>,
) -> Result<Awarded, ApiError> {
    let source_id = checkin.id.to_string();
    let payout = Payout {
        member_id: checkin.member_id,
        source: Source::Checkin,
        source_id: &source_id,
        units: 1,
        // The day the member was there, so a late approval counts against that day's cap.
        local_date: checkin.local_date,
        note: None,
    };
    let awarded = award(tx, payout, now).await?;
    checkins::Entity::update_many()
        .col_expr(checkins::Column::PointsAwarded, Expr::value(awarded.points))
        .filter(checkins::Column::Id.eq(checkin.id))
        .exec(tx)
        .await?;
    Ok(awarded)
}

/// Verifies and records a check-in in `tx`, and pays it if it is plausible and on time.
///
/// The day comes from `captured_at` (an offline check-in counts for the day it happened), but
/// the phone does not choose it: one captured on an earlier local day than the one it arrives
/// on is stored `flagged` (`late_capture`) and pays nothing until an admin approves it.
pub async fn check_in(
    tx: &DatabaseTransaction,
    member_id: i64,
    new: &NewCheckin,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<CheckinResult, ApiError> {
    let captured_at = new.captured_at.unwrap_or(now);
    if captured_at < now - MAX_CAPTURE_AGE || captured_at > now + MAX_CLOCK_SKEW {
        return Err(ApiError::field(
            "captured_at",
            FieldIssue::new("captured_window"),
        ));
    }
    // A clock running ahead is forgiven, not believed: a capture "just after midnight" sent
    // before midnight must not open tomorrow's check-in.
    let captured_at = captured_at.min(now);
    let site = sites_service::find_open(tx, new.site_id).await?;
    crate::members::service::lock(tx, member_id).await?;
    let here = Point {
        lat: new.lat,
        lng: new.lng,
    };
    let distance = distance_m(
        here,
        Point {
            lat: site.lat,
            lng: site.lng,
        },
    );
    if distance - new.accuracy_m.min(MAX_ACCURACY_ALLOWANCE_M) > f64::from(site.radius_m) {
        return Err(ApiError::CheckinTooFar {
            distance_m: round_dm(distance),
            radius_m: site.radius_m,
        });
    }
    let day = local_date(captured_at, tz);
    let flag = match implausibility(tx, member_id, site.id, here, captured_at).await? {
        Some(reason) => Some(reason),
        None if day < local_date(now, tz) => Some("late_capture"),
        None => None,
    };
    let status = if flag.is_some() {
        CheckinStatus::Flagged
    } else {
        CheckinStatus::Accepted
    };
    let row = checkins::ActiveModel {
        member_id: Set(member_id),
        site_id: Set(site.id),
        lat: Set(new.lat),
        lng: Set(new.lng),
        accuracy_m: Set(new.accuracy_m),
        distance_m: Set(round_dm(distance)),
        local_date: Set(day),
        captured_at: Set(captured_at.into()),
        status: Set(status.as_str().to_owned()),
        flag_reason: Set(flag.map(str::to_owned)),
        photo_media_id: Set(new.photo_media_id),
        note: Set(new
            .note
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned)),
        points_awarded: Set(0),
        created_at: Set(now.into()),
        ..Default::default()
    };
    // The unique (member, site, day) index decides: a second check-in, or a racing one, is 409.
    let checkin = insert_unless_duplicate(tx, row)
        .await?
        .ok_or(ApiError::AlreadyCheckedIn)?;
    if let Some(photo) = new.photo_media_id {
        let holder = Holder::Checkin(checkin.id);
        media::attach(tx, member_id, &[photo], holder, true, "photo_media_id").await?;
    }
    let (awarded, completed_route_ids) = match status {
        CheckinStatus::Accepted => {
            let (awarded, routes) = accept(tx, &checkin, now).await?;
            (Some(awarded), routes)
        }
        _ => (None, Vec::new()),
    };
    Ok(CheckinResult {
        id: checkin.id,
        status,
        flag_reason: checkin.flag_reason,
        distance_m: checkin.distance_m,
        local_date: day,
        points_awarded: awarded.as_ref().map_or(0, |a| a.points),
        points_capped: awarded.as_ref().is_some_and(|a| a.capped),
        completed_route_ids,
        badges: awarded.map(|a| a.badges).unwrap_or_default(),
    })
}

fn view(c: checkins::Model, site_name: String) -> CheckinView {
    CheckinView {
        status: CheckinStatus::parse(&c.status),
        id: c.id,
        member_id: c.member_id,
        site_id: c.site_id,
        site_name,
        flag_reason: c.flag_reason,
        distance_m: c.distance_m,
        accuracy_m: c.accuracy_m,
        local_date: c.local_date,
        captured_at: c.captured_at.into(),
        note: c.note,
        points_awarded: c.points_awarded,
        review_reason: c.review_reason,
        created_at: c.created_at.into(),
    }
}

/// Check-ins of members in the admin's scope, newest first: `status=flagged` is the review queue.
pub async fn list_for_admin(
    conn: &impl ConnectionTrait,
    scope: &AdminScope,
    filter: CheckinFilter,
    page: &PageQuery,
) -> Result<Page<CheckinView>, ApiError> {
    let mut query = checkins::Entity::find()
        .find_also_related(sites::Entity)
        .filter(scope.member_filter(checkins::Column::MemberId));
    if let Some(status) = filter.status {
        query = query.filter(checkins::Column::Status.eq(status.as_str()));
    }
    let rows = page
        .window(query, checkins::Column::Id, Order::Desc)?
        .all(conn)
        .await?;
    Ok(Page::from_rows(
        rows,
        page.limit(),
        |(c, _)| c.id,
        |(c, site)| view(c, site.map(|s| s.name).unwrap_or_default()),
    ))
}

/// Decides a flagged check-in: approved ones are paid (against the cap of the day they
/// happened) and count for routes; rejected ones are not. The decision is a conditional update
/// of a still-flagged row, so of two racing decisions exactly one wins and the other is 409.
/// Nobody decides their own check-in.
pub async fn review(
    db: &Db,
    admin: &Admin,
    id: i64,
    review: Review,
    now: DateTime<Utc>,
) -> Result<CheckinView, ApiError> {
    let (actor, scope) = (admin.member_id, &admin.scope);
    let review = &review;
    db.write(|tx| async move {
        let (checkin, site) = checkins::Entity::find_by_id(id)
            .find_also_related(sites::Entity)
            .one(tx.as_ref())
            .await?
            .ok_or(ApiError::NotFound)?;
        let (_, org) = members_service::find_in_scope(tx.as_ref(), scope, checkin.member_id).await?;
        if checkin.member_id == actor {
            return Err(ApiError::OwnItem);
        }
        crate::members::service::lock(&tx, checkin.member_id).await?;
        let status = match review.decision {
            Decision::Approve => CheckinStatus::Accepted,
            Decision::Reject => CheckinStatus::Rejected,
        };
        let decided = checkins::Entity::update_many()
            .col_expr(checkins::Column::Status, Expr::value(status.as_str()))
            .col_expr(checkins::Column::ReviewedBy, Expr::value(actor))
            .col_expr(checkins::Column::ReviewedAt, Expr::value(UtcTime::from(now)))
            .col_expr(checkins::Column::ReviewReason, Expr::value(review.reason.clone()))
            .filter(checkins::Column::Id.eq(id))
            .filter(checkins::Column::Status.eq(CheckinStatus::Flagged.as_str()))
            .exec(tx.as_ref())
            .await?;
        if decided.rows_affected != 1 {
            return Err(ApiError::Conflict);
        }
        let mut saved = checkins::Model {
            status: status.as_str().to_owned(),
            reviewed_by: Some(actor),
            reviewed_at: Some(now.into()),
            review_reason: review.reason.clone(),
            ..checkin.clone()
        };
        if status == CheckinStatus::Accepted {
            saved.points_awarded = accept(&tx, &saved, now).await?.0.points;
        }
        record(
            tx.as_ref(),
            Change {
                actor_id: actor,
                action: "checkin.review",
                entity_type: "checkin",
                entity_id: id,
                scope_path: org.as_ref().map(|o| o.path.as_str()),
                before: Some(json!({"status": checkin.status, "flag_reason": checkin.flag_reason})),
                after: Some(json!({"status": status.as_str(), "reason": review.reason, "points_awarded": saved.points_awarded})),
            },
            now,
        )
        .await?;
        Ok(view(saved, site.map(|s| s.name).unwrap_or_default()))
    })
    .await
}

/// My check-ins, newest first, with site names.
pub async fn mine(
    conn: &impl ConnectionTrait,
    member_id: i64,
    page: &PageQuery,
) -> Result<Page<MyCheckin>, ApiError> {
    let query = checkins::Entity::find()
        .find_also_related(sites::Entity)
        .filter(checkins::Column::MemberId.eq(member_id));
    let rows = page
        .window(query, checkins::Column::Id, Order::Desc)?
        .all(conn)
        .await?;
    Ok(Page::from_rows(
        rows,
        page.limit(),
        |(c, _)| c.id,
        |(c, site)| MyCheckin {
            id: c.id,
            site_id: c.site_id,
            site_name: site.map(|s| s.name).unwrap_or_default(),
            status: CheckinStatus::parse(&c.status),
            distance_m: c.distance_m,
            local_date: c.local_date,
            captured_at: c.captured_at.into(),
            points_awarded: c.points_awarded,
            note: c.note,
        },
    ))
}

/// The sites I have visited, with how often and when first and last.
pub async fn footprint(
    conn: &impl ConnectionTrait,
    member_id: i64,
) -> Result<MyFootprint, ApiError> {
    let rows = checkins::Entity::find()
        .find_also_related(sites::Entity)
        .filter(checkins::Column::MemberId.eq(member_id))
        .filter(checkins::Column::Status.eq(CheckinStatus::Accepted.as_str()))
        .order_by_asc(checkins::Column::LocalDate)
        .all(conn)
        .await?;
    let mut by_site: Vec<Footprint> = Vec::new();
    let mut index: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
    for (c, site) in rows {
        let Some(site) = site else { continue };
        match index.get(&c.site_id) {
            Some(&i) => {
                let f = &mut by_site[i];
                f.visits += 1;
                f.last_date = c.local_date;
            }
            None => {
                index.insert(c.site_id, by_site.len());
                by_site.push(Footprint {
                    site_id: site.id,
                    category: crate::sites::dto::SiteCategory::parse(&site.category)
                        .unwrap_or(crate::sites::dto::SiteCategory::Other),
                    name: site.name,
                    lat: site.lat,
                    lng: site.lng,
                    visits: 1,
                    first_date: c.local_date,
                    last_date: c.local_date,
                });
            }
        }
    }
    by_site.sort_by(|a, b| {
        b.last_date
            .cmp(&a.last_date)
            .then(a.site_id.cmp(&b.site_id))
    });
    Ok(MyFootprint { items: by_site })
}
