//! Routes, progress along them, and completing them (once, paid once).
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{checkins, route_completions, route_sites, routes, sites};
use sea_orm::Order;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::json;

use crate::audit::service::{Change, record};
use crate::db::{Db, insert_unless_duplicate};
use crate::error::{ApiError, FieldIssue};
use crate::http::paging::{Page, PageQuery};
use crate::points::dto::Source;
use crate::points::service::{Payout, award};

use super::dto::{NewRoute, Progress, Route, RouteStop};

/// The sites that count, given the member's accepted check-ins at the route's sites sorted by
/// `captured_at`. Only check-ins inside the route's window count; on an ordered route a site
/// counts only when visited after the previous counted one.
fn visited(
    route: &routes::Model,
    stops: &[route_sites::Model],
    visits: &[checkins::Model],
) -> Vec<i64> {
    let in_window = |v: &&checkins::Model| {
        route.starts_at.is_none_or(|s| v.captured_at >= s)
            && route.ends_at.is_none_or(|e| v.captured_at <= e)
    };
    if !route.ordered {
        let seen: HashSet<i64> = visits.iter().filter(in_window).map(|v| v.site_id).collect();
        return stops
            .iter()
            .map(|s| s.site_id)
            .filter(|id| seen.contains(id))
            .collect();
    }
    let mut counted = Vec::new();
    let mut after: Option<DateTime<Utc>> = None;
    for stop in stops {
        let next = visits
            .iter()
            .filter(in_window)
            .find(|v| v.site_id == stop.site_id && after.is_none_or(|t| v.captured_at > t));
        let Some(visit) = next else { break };
        counted.push(stop.site_id);
        after = Some(visit.captured_at.into());
    }
    counted
}

async fn stops_of(
    conn: &impl ConnectionTrait,
    route_ids: &[i64],
) -> Result<HashMap<i64, Vec<route_sites::Model>>, ApiError> {
    let mut stops: HashMap<i64, Vec<route_sites::Model>> = HashMap::new();
    for s in route_sites::Entity::find()
        .filter(route_sites::Column::RouteId.is_in(route_ids.to_vec()))
        .order_by_asc(route_sites::Column::Position)
        .all(conn)
        .await?
    {
        stops.entry(s.route_id).or_default().push(s);
    }
    Ok(stops)
}

/// The member's accepted check-ins at these sites, oldest first.
async fn visits_of(
    conn: &impl ConnectionTrait,
    member_id: i64,
    site_ids: Vec<i64>,
) -> Result<Vec<checkins::Model>, ApiError> {
    Ok(checkins::Entity::find()
        .filter(checkins::Column::MemberId.eq(member_id))
        .filter(checkins::Column::SiteId.is_in(site_ids))
        .filter(checkins::Column::Status.eq("accepted"))
        .order_by_asc(checkins::Column::CapturedAt)
        .all(conn)
        .await?)
}

/// Called when a check-in becomes accepted (on arrival, or approved on review), in its
/// transaction: records and pays every route it completes. Returns the route ids and badges.
pub async fn after_accepted(
    tx: &DatabaseTransaction,
    checkin: &checkins::Model,
    now: DateTime<Utc>,
) -> Result<(Vec<i64>, Vec<&'static str>), ApiError> {
    let route_ids: Vec<i64> = route_sites::Entity::find()
        .filter(route_sites::Column::SiteId.eq(checkin.site_id))
        .all(tx)
        .await?
        .into_iter()
        .map(|s| s.route_id)
        .collect();
    if route_ids.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let done: HashSet<i64> = route_completions::Entity::find()
        .filter(route_completions::Column::MemberId.eq(checkin.member_id))
        .filter(route_completions::Column::RouteId.is_in(route_ids.clone()))
        .all(tx)
        .await?
        .into_iter()
        .map(|c| c.route_id)
        .collect();
    let open: Vec<i64> = route_ids
        .into_iter()
        .filter(|id| !done.contains(id))
        .collect();
    if open.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let stops = stops_of(tx, &open).await?;
    let routes = routes::Entity::find()
        .filter(routes::Column::Id.is_in(open))
        .all(tx)
        .await?;
    // One query for every candidate route: `visited` looks only at its own route's sites.
    let all_sites: Vec<i64> = stops.values().flatten().map(|s| s.site_id).collect();
    let visits = visits_of(tx, checkin.member_id, all_sites).await?;
    let (mut completed, mut badges) = (Vec::new(), Vec::new());
    for route in routes {
        let stops = stops.get(&route.id).map(Vec::as_slice).unwrap_or_default();
        if stops.is_empty() || visited(&route, stops, &visits).len() < stops.len() {
            continue;
        }
        let completion = route_completions::ActiveModel {
            route_id: Set(route.id),
            member_id: Set(checkin.member_id),
            checkin_id: Set(checkin.id),
            completed_at: Set(now.into()),
        };
        if insert_unless_duplicate(tx, completion).await?.is_none() {
            continue;
        }
        let source_id = route.id.to_string();
        let payout = Payout {
            member_id: checkin.member_id,
            source: Source::Route,
            source_id: &source_id,
            units: 1,
            local_date: checkin.local_date,
            note: None,
        };
        badges.extend(award(tx, payout, now).await?.badges);
        completed.push(route.id);
    }
    Ok((completed, badges))
}

/// Routes as the member sees them, with their progress: three queries whatever their number.
async fn to_dtos(
    conn: &impl ConnectionTrait,
    member_id: i64,
    rows: Vec<routes::Model>,
) -> Result<Vec<Route>, ApiError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let stops = stops_of(conn, &ids).await?;
    let site_ids: Vec<i64> = stops.values().flatten().map(|s| s.site_id).collect();
    let names: HashMap<i64, sites::Model> = sites::Entity::find()
        .filter(sites::Column::Id.is_in(site_ids.clone()))
        .all(conn)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let visits = visits_of(conn, member_id, site_ids).await?;
    let completions: HashMap<i64, DateTime<Utc>> = route_completions::Entity::find()
        .filter(route_completions::Column::MemberId.eq(member_id))
        .filter(route_completions::Column::RouteId.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (c.route_id, c.completed_at.0))
        .collect();
    Ok(rows
        .into_iter()
        .map(|route| {
            let stops = stops.get(&route.id).map(Vec::as_slice).unwrap_or_default();
            Route {
                my_progress: Progress {
                    visited_site_ids: visited(&route, stops, &visits),
                    completed_at: completions.get(&route.id).copied(),
                },
                sites: stops
                    .iter()
                    .filter_map(|s| {
                        let site = names.get(&s.site_id)?;
                        Some(RouteStop {
                            position: s.position,
                            site_id: s.site_id,
                            name: site.name.clone(),
                            lat: site.lat,
                            lng: site.lng,
                        })
                    })
                    .collect(),
                id: route.id,
                name: route.name,
                description: route.description,
                ordered: route.ordered,
                starts_at: route.starts_at.map(Into::into),
                ends_at: route.ends_at.map(Into::into),
            }
        })
        .collect())
}

pub async fn list(
    conn: &impl ConnectionTrait,
    member_id: i64,
    page: &PageQuery,
) -> Result<Page<Route>, ApiError> {
    let query = routes::Entity::find();
    let rows = page
        .window(query, routes::Column::Id, Order::Asc)?
        .all(conn)
        .await?;
    let (rows, next_cursor) = crate::http::paging::cut(rows, page.limit(), |r| r.id);
    Ok(Page {
        items: to_dtos(conn, member_id, rows).await?,
        next_cursor,
    })
}

pub async fn get(conn: &impl ConnectionTrait, member_id: i64, id: i64) -> Result<Route, ApiError> {
    let route = routes::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(ApiError::NotFound)?;
    to_dtos(conn, member_id, vec![route])
        .await?
        .pop()
        .ok_or(ApiError::NotFound)
}

/// Creates a route over existing sites (platform admins: sites belong to everyone).
pub async fn create(
    db: &Db,
    actor: i64,
    new: NewRoute,
    now: DateTime<Utc>,
) -> Result<Route, ApiError> {
    let distinct: HashSet<i64> = new.site_ids.iter().copied().collect();
    if distinct.len() != new.site_ids.len() {
        return Err(ApiError::field("site_ids", FieldIssue::new("duplicate")));
    }
    if let (Some(start), Some(end)) = (new.starts_at, new.ends_at)
        && start >= end
    {
        return Err(ApiError::field("ends_at", FieldIssue::new("after_start")));
    }
    for (field, at) in [("starts_at", new.starts_at), ("ends_at", new.ends_at)] {
        if let Some(at) = at {
            crate::http::validate::storable_instant(field, at)?;
        }
    }
    let new = &new;
    let route = db
        .write(|tx| async move {
            let found = sites::Entity::find()
                .filter(sites::Column::Id.is_in(new.site_ids.clone()))
                .filter(sites::Column::DeletedAt.is_null())
                .all(tx.as_ref())
                .await?;
            if found.len() != new.site_ids.len() {
                return Err(ApiError::NotFound);
            }
            let route = routes::ActiveModel {
                name: Set(new.name.trim().to_owned()),
                description: Set(new.description.clone()),
                ordered: Set(new.ordered),
                starts_at: Set(new.starts_at.map(Into::into)),
                ends_at: Set(new.ends_at.map(Into::into)),
                created_at: Set(now.into()),
                updated_at: Set(now.into()),
                ..Default::default()
            }
            .insert(tx.as_ref())
            .await?;
            for (i, site_id) in new.site_ids.iter().enumerate() {
                route_sites::ActiveModel {
                    route_id: Set(route.id),
                    position: Set(i as i32 + 1),
                    site_id: Set(*site_id),
                }
                .insert(tx.as_ref())
                .await?;
            }
            let change = Change {
                actor_id: actor,
                action: "route.create",
                entity_type: "route",
                entity_id: route.id,
                scope_path: None,
                before: None,
                after: Some(
                    json!({"name": route.name, "site_ids": new.site_ids, "ordered": route.ordered}),
                ),
            };
            record(tx.as_ref(), change, now).await?;
            Ok(route)
        })
        .await?;
    get(db.conn(), actor, route.id).await
}
