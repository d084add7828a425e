//! Paying points and reading them back.
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use entity::{
    members, org_members, orgs, point_adjustments, point_day_source, point_rules, point_totals,
    points_ledger,
};
use sea_orm::Order;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend,
    DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;

use crate::audit::service::{Change, record};
use crate::auth::Admin;
use crate::auth::scope::members_under;
use crate::db::{Db, insert_unless_duplicate, raw};
use crate::error::{ApiError, FieldIssue};
use crate::http::paging::{Page, PageQuery};
use crate::members::service as members_service;

use super::dto::{
    Adjusted, BoardScope, CreateAdjustment, Leaderboard, LeaderboardQuery, LedgerEntry, MyPoints,
    MyRank, OrgLeaderboard, OrgLeaderboardQuery, OrgRanked, Period, PointRule, Ranked, Source,
    TodaySource, UpdatePointRule,
};

/// One event that may pay.
pub struct Payout<'a> {
    pub member_id: i64,
    pub source: Source,
    /// Unique per member and source: the same id never pays twice.
    pub source_id: &'a str,
    /// How many of the rule's units the event is worth (for `adjustment`: the points).
    pub units: i32,
    /// The local day the event happened. A payout made later (a check-in approved tomorrow)
    /// still counts against that day's cap.
    pub local_date: NaiveDate,
    pub note: Option<&'a str>,
}

/// What a payout paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Awarded {
    pub points: i32,
    /// A cap cut the payout (maybe to 0); the event itself still succeeded.
    pub capped: bool,
    /// This source id had paid before; `points` is what it paid then.
    pub replayed: bool,
    /// Badges this payout earned.
    pub badges: Vec<&'static str>,
}

/// The periods totals are kept for, with the first day of the one containing `day`.
pub fn periods(day: NaiveDate) -> [(&'static str, NaiveDate); 4] {
    let week = day - Days::new(u64::from(day.weekday().num_days_from_monday()));
    let month = day.with_day(1).unwrap_or(day);
    [
        ("day", day),
        ("week", week),
        ("month", month),
        ("all", NaiveDate::default()),
    ]
}

/// What `units` of `rule` pay after `paid_today` (and `paid_week`, when the rule has a weekly
/// cap) from the same source, and whether a cap cut it.
pub fn under_caps(
    rule: &point_rules::Model,
    units: i32,
    paid_today: i32,
    paid_week: Option<i32>,
) -> (i32, bool) {
    let pay = rule.points.saturating_mul(units);
    let mut left = rule.daily_cap.map(|cap| cap - paid_today);
    if let (Some(weekly), Some(paid)) = (rule.weekly_cap, paid_week) {
        let week_left = weekly - paid;
        left = Some(left.map_or(week_left, |l| std::cmp::min(l, week_left)));
    }
    match left.map(|l| std::cmp::max(l, 0)) {
        Some(left) if pay > left => (left, true),
        _ => (pay, false),
    }
}

/// Pays `payout` inside the caller's transaction: the one way points are written.
///
/// The member's counter row for (day, source) is locked first, so concurrent payouts to one
/// member from one source queue and the cap holds; the ledger's unique (member, source, source
/// id) makes a second payout of one event a replay; totals move in the same transaction.
pub async fn award(
    tx: &DatabaseTransaction,
    payout: Payout<'_>,
    now: DateTime<Utc>,
) -> Result<Awarded, ApiError> {
    let rule = match payout.source {
        Source::Adjustment => None,
        source => Some(
            point_rules::Entity::find_by_id(source.as_str())
                .one(tx)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no point rule for {}", source.as_str()))?,
        ),
    };
    if rule.is_some() && payout.units < 0 {
        return Err(anyhow::anyhow!("only adjustments may pay negative points").into());
    }
    let source = payout.source.as_str();
    let paid_today = lock_counter(tx, payout.member_id, payout.local_date, source).await?;

    let (pay, capped) = match &rule {
        None => (payout.units, false),
        Some(rule) => {
            let paid_week = match rule.weekly_cap {
                Some(_) => {
                    Some(paid_this_week(tx, payout.member_id, source, payout.local_date).await?)
                }
                None => None,
            };
            under_caps(rule, payout.units, paid_today, paid_week)
        }
    };

    let row = points_ledger::ActiveModel {
        member_id: Set(payout.member_id),
        source: Set(source.to_owned()),
        source_id: Set(payout.source_id.to_owned()),
        points: Set(pay),
        local_date: Set(payout.local_date),
        note: Set(payout.note.map(str::to_owned)),
        created_at: Set(now.into()),
        ..Default::default()
    };
    if insert_unless_duplicate(tx, row).await?.is_none() {
        let earlier = points_ledger::Entity::find()
            .filter(points_ledger::Column::MemberId.eq(payout.member_id))
            .filter(points_ledger::Column::Source.eq(source))
            .filter(points_ledger::Column::SourceId.eq(payout.source_id))
            .one(tx)
            .await?
            .ok_or_else(|| anyhow::anyhow!("a payout conflicted but is not in the ledger"))?;
        return Ok(Awarded {
            points: earlier.points,
            capped: false,
            replayed: true,
            badges: Vec::new(),
        });
    }
    if pay != 0 {
        point_day_source::Entity::update_many()
            .col_expr(
                point_day_source::Column::Points,
                Expr::col(point_day_source::Column::Points).add(pay),
            )
            .filter(point_day_source::Column::MemberId.eq(payout.member_id))
            .filter(point_day_source::Column::LocalDate.eq(payout.local_date))
            .filter(point_day_source::Column::Source.eq(source))
            .exec(tx)
            .await?;
    }
    // A payout of nothing moves no total (and creates none), so no total badge can be new.
    let total = match pay {
        0 => None,
        _ => Some(add_to_totals(tx, payout.member_id, payout.local_date, pay).await?),
    };
    let badges = crate::badges::service::after_payout(
        tx,
        payout.member_id,
        payout.source.as_str(),
        total,
        now,
    )
    .await?;
    Ok(Awarded {
        points: pay,
        capped,
        replayed: false,
        badges,
    })
}

/// Creates the member's (day, source) counter if absent, takes its row lock and returns what it
/// holds. The lock is one statement (an upsert that changes nothing): on MySQL, inserting and
/// catching the duplicate left a shared lock that two racers then both tried to upgrade, which
/// deadlocked. PostgreSQL and SQLite return the locked row's count with the same statement;
/// MySQL reads it after (the read then sees the latest committed count). SQLite's IMMEDIATE
/// transaction already holds the database.
async fn lock_counter(
    tx: &DatabaseTransaction,
    member_id: i64,
    day: NaiveDate,
    source: &str,
) -> Result<i32, ApiError> {
    let counter = point_day_source::ActiveModel {
        member_id: Set(member_id),
        local_date: Set(day),
        source: Set(source.to_owned()),
        points: Set(0),
    };
    let upsert = point_day_source::Entity::insert(counter).on_conflict(
        OnConflict::columns([
            point_day_source::Column::MemberId,
            point_day_source::Column::LocalDate,
            point_day_source::Column::Source,
        ])
        // Qualified: in PostgreSQL a bare `points` could also mean the proposed row's.
        .value(
            point_day_source::Column::Points,
            Expr::col((point_day_source::Entity, point_day_source::Column::Points)),
        )
        .to_owned(),
    );
    if tx.get_database_backend() != DatabaseBackend::MySql {
        return Ok(upsert.exec_with_returning(tx).await?.points);
    }
    upsert.exec_without_returning(tx).await?;
    Ok(
        point_day_source::Entity::find_by_id((member_id, day, source.to_owned()))
            .one(tx)
            .await?
            .map_or(0, |c| c.points),
    )
}

async fn paid_this_week(
    tx: &DatabaseTransaction,
    member_id: i64,
    source: &str,
    day: NaiveDate,
) -> Result<i32, ApiError> {
    let (_, monday) = periods(day)[1];
    let rows = point_day_source::Entity::find()
        .filter(point_day_source::Column::MemberId.eq(member_id))
        .filter(point_day_source::Column::Source.eq(source))
        .filter(point_day_source::Column::LocalDate.gte(monday))
        .filter(point_day_source::Column::LocalDate.lt(monday + Days::new(7)))
        .all(tx)
        .await?;
    Ok(rows.iter().map(|r| r.points).sum())
}

/// `points += delta` on the member's day, week, month and all-time totals, creating those
/// absent, in one statement; returns the all-time total after it (read back on MySQL, which
/// has no `RETURNING`).
async fn add_to_totals(
    tx: &DatabaseTransaction,
    member_id: i64,
    day: NaiveDate,
    delta: i32,
) -> Result<i32, ApiError> {
    let backend = tx.get_database_backend();
    let tail = match backend {
        DatabaseBackend::MySql => "ON DUPLICATE KEY UPDATE points = points + VALUES(points)",
        _ => {
            "ON CONFLICT (period, period_start, member_id) \
             DO UPDATE SET points = point_totals.points + excluded.points \
             RETURNING period, points"
        }
    };
    let sql = format!(
        "INSERT INTO point_totals (period, period_start, member_id, points) \
         VALUES (?, ?, ?, ?), (?, ?, ?, ?), (?, ?, ?, ?), (?, ?, ?, ?) {tail}"
    );
    let values = periods(day)
        .into_iter()
        .flat_map(|(period, start)| [period.into(), start.into(), member_id.into(), delta.into()]);
    let statement = raw(backend, &sql, values);
    if backend != DatabaseBackend::MySql {
        for row in tx.query_all_raw(statement).await? {
            if row.try_get::<String>("", "period")? == "all" {
                return Ok(row.try_get("", "points")?);
            }
        }
        return Err(anyhow::anyhow!("the all-time total was not returned").into());
    }
    tx.execute_raw(statement).await?;
    Ok(
        point_totals::Entity::find_by_id(("all".to_owned(), NaiveDate::default(), member_id))
            .one(tx)
            .await?
            .map_or(0, |t| t.points),
    )
}

fn rule_dto(r: point_rules::Model) -> Option<PointRule> {
    Some(PointRule {
        source: Source::parse(&r.source)?,
        points: r.points,
        daily_cap: r.daily_cap,
        weekly_cap: r.weekly_cap,
        unit_seconds: r.unit_seconds,
        updated_at: r.updated_at.map(Into::into),
    })
}

pub async fn rules(conn: &impl ConnectionTrait) -> Result<Vec<PointRule>, ApiError> {
    let rows = point_rules::Entity::find()
        .order_by_asc(point_rules::Column::Source)
        .all(conn)
        .await?;
    Ok(rows.into_iter().filter_map(rule_dto).collect())
}

/// Changes a rule for events from now on. Platform admins only: rules are the same everywhere.
pub async fn update_rule(
    db: &Db,
    actor: i64,
    source: &str,
    edit: UpdatePointRule,
    now: DateTime<Utc>,
) -> Result<PointRule, ApiError> {
    let edit = &edit;
    db.write(|tx| async move {
        let rule = point_rules::Entity::find_by_id(source)
            .one(tx.as_ref())
            .await?
            .ok_or(ApiError::NotFound)?;
        let before = json!({"source": rule.source, "points": rule.points, "daily_cap": rule.daily_cap, "weekly_cap": rule.weekly_cap, "unit_seconds": rule.unit_seconds});
        if edit.unit_seconds.is_some() && rule.unit_seconds.is_none() {
            return Err(ApiError::field("unit_seconds", FieldIssue::new("invalid")));
        }
        let unit = edit.unit_seconds.or(rule.unit_seconds);
        let mut row: point_rules::ActiveModel = rule.into();
        row.unit_seconds = Set(unit);
        row.points = Set(edit.points);
        row.daily_cap = Set(edit.daily_cap);
        row.weekly_cap = Set(edit.weekly_cap);
        row.updated_by = Set(Some(actor));
        row.updated_at = Set(Some(now.into()));
        let saved = row.update(tx.as_ref()).await?;
        record(
            tx.as_ref(),
            Change {
                actor_id: actor,
                action: "point_rule.update",
                entity_type: "point_rule",
                // Rules are keyed by source; the source is in the summaries.
                entity_id: 0,
                scope_path: None,
                before: Some(before),
                after: Some(json!({"source": saved.source, "points": saved.points, "daily_cap": saved.daily_cap, "weekly_cap": saved.weekly_cap, "unit_seconds": saved.unit_seconds})),
            },
            now,
        )
        .await?;
        rule_dto(saved).ok_or(ApiError::NotFound)
    })
    .await
}

pub async fn my_points(
    conn: &impl ConnectionTrait,
    member_id: i64,
    today: NaiveDate,
) -> Result<MyPoints, ApiError> {
    let total =
        point_totals::Entity::find_by_id(("all".to_owned(), NaiveDate::default(), member_id))
            .one(conn)
            .await?
            .map_or(0, |t| i64::from(t.points));
    let paid: HashMap<String, i32> = point_day_source::Entity::find()
        .filter(point_day_source::Column::MemberId.eq(member_id))
        .filter(point_day_source::Column::LocalDate.eq(today))
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (c.source, c.points))
        .collect();
    let mut today_sources: Vec<TodaySource> = rules(conn)
        .await?
        .into_iter()
        .map(|r| TodaySource {
            source: r.source,
            points: paid.get(r.source.as_str()).copied().unwrap_or(0),
            cap: r.daily_cap,
        })
        .collect();
    if let Some(adjusted) = paid.get(Source::Adjustment.as_str()).filter(|p| **p != 0) {
        today_sources.push(TodaySource {
            source: Source::Adjustment,
            points: *adjusted,
            cap: None,
        });
    }
    Ok(MyPoints {
        total,
        today_date: today,
        today: today_sources,
    })
}

fn entry_dto(r: points_ledger::Model) -> LedgerEntry {
    LedgerEntry {
        id: r.id,
        source: Source::parse(&r.source).unwrap_or(Source::Adjustment),
        source_id: r.source_id,
        points: r.points,
        local_date: r.local_date,
        note: r.note,
        created_at: r.created_at.into(),
    }
}

/// The member's ledger, newest first.
pub async fn ledger(
    conn: &impl ConnectionTrait,
    member_id: i64,
    page: &PageQuery,
) -> Result<Page<LedgerEntry>, ApiError> {
    let query = points_ledger::Entity::find().filter(points_ledger::Column::MemberId.eq(member_id));
    let rows = page
        .window(query, points_ledger::Column::Id, Order::Desc)?
        .all(conn)
        .await?;
    Ok(Page::from_rows(rows, page.limit(), |r| r.id, entry_dto))
}

/// An admin's correction, paid through the ledger like everything else, with its reason, in
/// `tx`. The adjustment is a row of its own and its payout's `source_id` is that row's id, so
/// the same event can never pay under two ids. Nobody adjusts their own points.
pub async fn adjust(
    tx: &DatabaseTransaction,
    admin: &Admin,
    member_id: i64,
    adjustment: &CreateAdjustment,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Adjusted, ApiError> {
    let (actor, scope) = (admin.member_id, &admin.scope);
    if member_id == actor {
        return Err(ApiError::OwnItem);
    }
    let (_, org) = members_service::find_in_scope(tx, scope, member_id).await?;
    let reason = adjustment.reason.trim();
    let event = point_adjustments::ActiveModel {
        member_id: Set(member_id),
        actor_id: Set(actor),
        points: Set(adjustment.points),
        reason: Set(reason.to_owned()),
        created_at: Set(now.into()),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    let source_id = event.id.to_string();
    let payout = Payout {
        member_id,
        source: Source::Adjustment,
        source_id: &source_id,
        units: adjustment.points,
        local_date: today,
        note: Some(reason),
    };
    let awarded = award(tx, payout, now).await?;
    record(
        tx,
        Change {
            actor_id: actor,
            action: "points.adjust",
            entity_type: "member",
            entity_id: member_id,
            scope_path: org.as_ref().map(|o| o.path.as_str()),
            before: None,
            after: Some(
                json!({"adjustment_id": event.id, "points": adjustment.points, "reason": reason}),
            ),
        },
        now,
    )
    .await?;
    let row = points_ledger::Entity::find()
        .filter(points_ledger::Column::MemberId.eq(member_id))
        .filter(points_ledger::Column::Source.eq(Source::Adjustment.as_str()))
        .filter(points_ledger::Column::SourceId.eq(source_id.as_str()))
        .one(tx)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the adjustment is not in the ledger"))?;
    Ok(Adjusted {
        entry: entry_dto(row),
        points_awarded: awarded.points,
    })
}

/// Members whose ledger, counters and totals `verify` holds in memory at once.
const VERIFY_MEMBERS: u64 = 5_000;

/// Recomputes every counter and total from the ledger and lists where the kept values differ.
/// Works through the members a few thousand at a time (by id, as they are), so memory holds
/// one slice's sums whatever the ledger's size. Ledger rows name a member (a foreign key);
/// counters and totals of no member are looked for at the end.
pub async fn verify(conn: &impl ConnectionTrait) -> Result<Vec<String>, ApiError> {
    use sea_orm::QuerySelect;
    let mut problems = Vec::new();
    let mut after = i64::MIN;
    loop {
        let ids: Vec<i64> = members::Entity::find()
            .select_only()
            .column(members::Column::Id)
            .filter(members::Column::Id.gt(after))
            .order_by_asc(members::Column::Id)
            .limit(VERIFY_MEMBERS)
            .into_tuple()
            .all(conn)
            .await?;
        let (Some(first), Some(last)) = (ids.first(), ids.last()) else {
            break;
        };
        verify_members(conn, *first..last + 1, &mut problems).await?;
        after = *last;
    }
    let nobody = || {
        sea_orm::sea_query::Query::select()
            .column(members::Column::Id)
            .from(members::Entity)
            .to_owned()
    };
    let orphans = point_day_source::Entity::find()
        .filter(point_day_source::Column::Points.ne(0))
        .filter(point_day_source::Column::MemberId.not_in_subquery(nobody()))
        .count(conn)
        .await?
        + point_totals::Entity::find()
            .filter(point_totals::Column::Points.ne(0))
            .filter(point_totals::Column::MemberId.not_in_subquery(nobody()))
            .count(conn)
            .await?;
    if orphans > 0 {
        problems.push(format!(
            "{orphans} counters or totals of no member, but the ledger pays no one else"
        ));
    }
    Ok(problems)
}

/// [`verify`] for the members with ids in `ids`.
async fn verify_members(
    conn: &impl ConnectionTrait,
    ids: std::ops::Range<i64>,
    problems: &mut Vec<String>,
) -> Result<(), ApiError> {
    let mut day_source: BTreeMap<(i64, NaiveDate, String), i64> = BTreeMap::new();
    let mut totals: BTreeMap<(&'static str, NaiveDate, i64), i64> = BTreeMap::new();
    let ledger = points_ledger::Entity::find()
        .filter(points_ledger::Column::MemberId.gte(ids.start))
        .filter(points_ledger::Column::MemberId.lt(ids.end))
        .all(conn)
        .await?;
    for r in ledger {
        for (period, start) in periods(r.local_date) {
            *totals.entry((period, start, r.member_id)).or_default() += i64::from(r.points);
        }
        *day_source
            .entry((r.member_id, r.local_date, r.source))
            .or_default() += i64::from(r.points);
    }
    let kept_counters = point_day_source::Entity::find()
        .filter(point_day_source::Column::MemberId.gte(ids.start))
        .filter(point_day_source::Column::MemberId.lt(ids.end))
        .all(conn)
        .await?;
    let mut seen = std::collections::BTreeSet::new();
    for c in kept_counters {
        let key = (c.member_id, c.local_date, c.source);
        let expected = day_source.get(&key).copied().unwrap_or(0);
        if expected != i64::from(c.points) {
            problems.push(format!(
                "member {} {} {}: counter {} but the ledger says {expected}",
                key.0, key.1, key.2, c.points
            ));
        }
        seen.insert(key);
    }
    for (key, expected) in day_source
        .iter()
        .filter(|(k, v)| **v != 0 && !seen.contains(*k))
    {
        problems.push(format!(
            "member {} {} {}: no counter but the ledger says {expected}",
            key.0, key.1, key.2
        ));
    }
    // No index leads with member_id here, so each slice reads the whole table once: a few
    // seconds per slice at millions of rows, which a maintenance command can afford.
    let kept_totals = point_totals::Entity::find()
        .filter(point_totals::Column::MemberId.gte(ids.start))
        .filter(point_totals::Column::MemberId.lt(ids.end))
        .all(conn)
        .await?;
    let mut seen = std::collections::BTreeSet::new();
    for t in kept_totals {
        let period = periods(t.period_start)
            .into_iter()
            .map(|(p, _)| p)
            .find(|p| *p == t.period)
            .unwrap_or("unknown");
        let key = (period, t.period_start, t.member_id);
        let expected = totals.get(&key).copied().unwrap_or(0);
        if expected != i64::from(t.points) {
            problems.push(format!(
                "member {} {} from {}: total {} but the ledger says {expected}",
                t.member_id, t.period, t.period_start, t.points
            ));
        }
        seen.insert(key);
    }
    for (key, expected) in totals
        .iter()
        .filter(|(k, v)| **v != 0 && !seen.contains(*k))
    {
        problems.push(format!(
            "member {} {} from {}: no total but the ledger says {expected}",
            key.2, key.0, key.1
        ));
    }
    Ok(())
}

fn period_start(period: Period, today: NaiveDate) -> NaiveDate {
    let [day, week, month, all] = periods(today);
    match period {
        Period::Day => day.1,
        Period::Week => week.1,
        Period::Month => month.1,
        Period::All => all.1,
    }
}

/// Competition ranks for a list sorted by points, highest first: ties share, the next skips.
pub fn competition_ranks(points: &[i64]) -> Vec<u64> {
    let mut ranks = Vec::with_capacity(points.len());
    for (i, p) in points.iter().enumerate() {
        let rank = if i > 0 && points[i - 1] == *p {
            ranks[i - 1]
        } else {
            i as u64 + 1
        };
        ranks.push(rank);
    }
    ranks
}

/// Leaderboard tops by (org or global, period, period start), each kept for a second
/// or so: the top of a board is the same for everyone, and reading it is most of the work.
/// The caller's own rank is never cached.
#[derive(Clone)]
pub struct BoardTops(Option<moka::sync::Cache<TopKey, Arc<Vec<Ranked>>>>);

type TopKey = (Option<i64>, &'static str, NaiveDate);

/// The most places a board shows (`limit` is clamped to it).
const BOARD_MAX_LIMIT: u64 = 100;

impl BoardTops {
    /// Zero keeps nothing.
    pub fn new(keep: std::time::Duration) -> Self {
        Self((!keep.is_zero()).then(|| {
            moka::sync::Cache::builder()
                .max_capacity(1_000)
                .time_to_live(keep)
                .build()
        }))
    }

    fn is_on(&self) -> bool {
        self.0.is_some()
    }

    fn get(&self, key: &TopKey) -> Option<Arc<Vec<Ranked>>> {
        self.0.as_ref()?.get(key)
    }

    fn insert(&self, key: TopKey, items: Arc<Vec<Ranked>>) {
        if let Some(cache) = &self.0 {
            cache.insert(key, items);
        }
    }
}

/// The board's first `limit` places, with nicknames and shared ranks.
async fn top_of(
    conn: &impl ConnectionTrait,
    scope: Condition,
    limit: u64,
) -> Result<Vec<Ranked>, ApiError> {
    let top = point_totals::Entity::find()
        .filter(scope)
        .order_by_desc(point_totals::Column::Points)
        .order_by_asc(point_totals::Column::MemberId)
        .limit(limit)
        .all(conn)
        .await?;
    let nicknames: HashMap<i64, Option<String>> = members::Entity::find()
        .filter(members::Column::Id.is_in(top.iter().map(|t| t.member_id).collect::<Vec<_>>()))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| (m.id, m.nickname))
        .collect();
    let points: Vec<i64> = top.iter().map(|t| i64::from(t.points)).collect();
    Ok(top
        .iter()
        .zip(competition_ranks(&points))
        .map(|(t, rank)| Ranked {
            rank,
            member_id: t.member_id,
            nickname: nicknames.get(&t.member_id).cloned().flatten(),
            points: i64::from(t.points),
        })
        .collect())
}

pub async fn leaderboard(
    conn: &impl ConnectionTrait,
    tops: &BoardTops,
    caller_id: i64,
    query: LeaderboardQuery,
    today: NaiveDate,
) -> Result<Leaderboard, ApiError> {
    let period = query.period.unwrap_or_default();
    let start = period_start(period, today);
    let limit = query.limit.unwrap_or(20).clamp(1, BOARD_MAX_LIMIT);
    let mut scope = Condition::all()
        .add(point_totals::Column::Period.eq(period.as_str()))
        .add(point_totals::Column::PeriodStart.eq(start));
    let mut scope_key = None;
    if query.scope.unwrap_or_default() == BoardScope::Org {
        let org_id = match query.org_id {
            Some(id) => id,
            None => org_members::Entity::find_by_id(caller_id)
                .one(conn)
                .await?
                .map(|m| m.org_id)
                .ok_or_else(|| ApiError::field("org_id", FieldIssue::new("required")))?,
        };
        let org = orgs::Entity::find_by_id(org_id)
            .one(conn)
            .await?
            .ok_or(ApiError::NotFound)?;
        scope = scope.add(point_totals::Column::MemberId.in_subquery(members_under(&org.path)));
        scope_key = Some(org.id);
    }

    // The top BOARD_MAX_LIMIT is kept whatever `limit` asks, so every limit shares one entry.
    let key = (scope_key, period.as_str(), start);
    let top = match tops.get(&key) {
        Some(top) => top,
        None => {
            // Without a cache, read only what this request shows.
            let want = if tops.is_on() { BOARD_MAX_LIMIT } else { limit };
            let top = Arc::new(top_of(conn, scope.clone(), want).await?);
            tops.insert(key, top.clone());
            top
        }
    };
    let items: Vec<Ranked> = top.iter().take(limit as usize).cloned().collect();
    let mine = point_totals::Entity::find_by_id((period.as_str().to_owned(), start, caller_id))
        .one(conn)
        .await?
        .map_or(0, |t| t.points);
    // COUNT of the one indexed column, not of a sub-select of every column: the rank index
    // alone answers it (PostgreSQL's index-only scan).
    let ahead = point_totals::Entity::find()
        .select_only()
        .expr(point_totals::Column::Points.count())
        .filter(scope)
        .filter(point_totals::Column::Points.gt(mine))
        .into_tuple::<i64>()
        .one(conn)
        .await?
        .map_or(0, |n| u64::try_from(n).unwrap_or(0));
    Ok(Leaderboard {
        period,
        period_start: start,
        items,
        me: MyRank {
            rank: ahead + 1,
            points: i64::from(mine),
        },
    })
}

/// The child orgs of `parent_id`, by average points per member in the period: one grouped
/// query over each child's subtree, whatever the number of children.
pub async fn org_leaderboard(
    conn: &impl ConnectionTrait,
    query: OrgLeaderboardQuery,
    today: NaiveDate,
) -> Result<OrgLeaderboard, ApiError> {
    let period = query.period.unwrap_or_default();
    let start = period_start(period, today);
    orgs::Entity::find_by_id(query.parent_id)
        .one(conn)
        .await?
        .ok_or(ApiError::NotFound)?;
    let backend = conn.get_database_backend();
    // `d` runs over each child's subtree (the path prefix test, with a range start the path
    // index can use); members with no total in the period count as 0. The average is computed
    // as a float on every backend (SUM is DECIMAL on MySQL and NUMERIC-like elsewhere).
    let sql = format!(
        "SELECT c.id AS id, c.name AS name, COUNT(om.member_id) AS member_count, \
           CASE WHEN COUNT(om.member_id) = 0 THEN 0.0 \
                ELSE CAST(SUM(COALESCE(pt.points, 0)) AS {float}) / COUNT(om.member_id) END AS average \
         FROM orgs c \
         JOIN orgs d ON d.path >= c.path AND SUBSTR(d.path, 1, LENGTH(c.path)) = c.path \
         LEFT JOIN org_members om ON om.org_id = d.id \
         LEFT JOIN point_totals pt ON pt.member_id = om.member_id \
              AND pt.period = ? AND pt.period_start = ? \
         WHERE c.parent_id = ? \
         GROUP BY c.id, c.name \
         ORDER BY average DESC, c.id ASC",
        float = crate::db::float_type(backend)
    );
    let rows = conn
        .query_all_raw(crate::db::raw(
            backend,
            &sql,
            [period.as_str().into(), start.into(), query.parent_id.into()],
        ))
        .await?;
    let mut items: Vec<OrgRanked> = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let average: f64 = row.try_get("", "average")?;
        let average = (average * 100.0).round() / 100.0;
        let rank = match items.last() {
            Some(prev) if prev.average_points == average => prev.rank,
            _ => i as u64 + 1,
        };
        items.push(OrgRanked {
            rank,
            org_id: row.try_get("", "id")?,
            name: row.try_get("", "name")?,
            member_count: u64::try_from(row.try_get::<i64>("", "member_count")?).unwrap_or(0),
            average_points: average,
        });
    }
    Ok(OrgLeaderboard {
        period,
        period_start: start,
        items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_badge_watches_a_source_that_pays() {
        use crate::badges::service::{CATALOGUE, Rule};
        for badge in &CATALOGUE {
            if let Rule::Payouts { source, .. } = badge.rule {
                assert!(
                    Source::ALL.iter().any(|s| s.as_str() == source),
                    "{} watches {source:?}, which no payout is",
                    badge.code
                );
            }
        }
    }

    #[test]
    fn ties_share_a_rank_and_the_next_rank_skips() {
        assert_eq!(
            competition_ranks(&[30, 20, 20, 10, 10, 10, 5]),
            [1, 2, 2, 4, 4, 4, 7]
        );
        assert_eq!(competition_ranks(&[7, 7]), [1, 1]);
        assert!(competition_ranks(&[]).is_empty());
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        // 2026-11-22 is a Sunday.
        let day = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let [d, w, m, a] = periods(day);
        assert_eq!(d, ("day", day));
        assert_eq!(w, ("week", NaiveDate::from_ymd_opt(2026, 11, 16).unwrap()));
        assert_eq!(m, ("month", NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()));
        assert_eq!(a.0, "all");
        let monday = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert_eq!(periods(monday)[1].1, monday);
    }
}
