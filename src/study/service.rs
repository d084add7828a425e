//! Counted study time, streak days and make-up cards.
//!
//! Every function that writes takes the member's row lock first (`members::service::lock`),
//! so one member's heartbeats — on two articles at once, or an article and a class — are
//! credited one after another against one study clock.
use chrono::{DateTime, Datelike, Days, Months, NaiveDate, Utc};
use chrono_tz::Tz;
use entity::{makeup_cards, members, point_rules, streak_days, study_clocks, study_sessions};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::badges::service::after_streak;
use crate::clock::local_date;
use crate::db::insert_unless_duplicate;
use crate::error::{ApiError, FieldIssue};
use crate::http::paging::{Page, PageQuery};
use crate::members::service::lock;
use crate::points::dto::Source;
use crate::points::service::{Payout, award};

use super::credit::{Beat, credit};
use super::dto::{Calendar, MakeupCard, Streak, Via};

/// Make-up cards a member may hold at once.
pub const MAX_CARDS: u64 = 3;
/// A card is earned for each this many consecutive days.
pub const CARD_EVERY: i32 = 7;
/// How far back a card reaches.
pub const MAKEUP_DAYS: u64 = 7;

/// What is being studied.
#[derive(Debug, Clone, Copy)]
pub enum Item {
    Article(i64),
    Class(i64),
}

impl Item {
    /// `study_sessions.item_kind` of an article.
    pub const ARTICLE: &'static str = "article";
    /// `study_sessions.item_kind` of an online class.
    pub const CLASS: &'static str = "class";

    pub fn kind(self) -> &'static str {
        match self {
            Item::Article(_) => Self::ARTICLE,
            Item::Class(_) => Self::CLASS,
        }
    }

    pub fn id(self) -> i64 {
        match self {
            Item::Article(id) | Item::Class(id) => id,
        }
    }
}

/// What one heartbeat earned.
#[derive(Debug, Clone, Copy)]
pub struct Credited {
    /// Seconds counted for this heartbeat.
    pub seconds: i32,
    /// The local day they count on.
    pub day: NaiveDate,
    /// The instant the heartbeat counts at: the request's, or the member's latest heartbeat
    /// on the item when that one got the lock first. Callers stamp what follows with it.
    pub at: DateTime<Utc>,
    /// `reading_time` points paid by this heartbeat.
    pub points: i32,
    pub capped: bool,
}

/// Credits one heartbeat on `item`: at most the wall time since the member's previous
/// heartbeat on it, never time another item already has (see `credit`), on the local day of
/// `now`; pays `reading_time` for each whole unit of the day's study time it completes.
pub async fn beat(
    tx: &DatabaseTransaction,
    member_id: i64,
    item: Item,
    claimed: i32,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<Credited, ApiError> {
    lock(tx, member_id).await?;
    let clock = study_clocks::Entity::find_by_id(member_id).one(tx).await?;
    let session = study_sessions::Entity::find()
        .filter(study_sessions::Column::MemberId.eq(member_id))
        .filter(study_sessions::Column::ItemKind.eq(item.kind()))
        .filter(study_sessions::Column::ItemId.eq(item.id()))
        .order_by_desc(study_sessions::Column::Id)
        .one(tx)
        .await?;
    // `now` was read before the lock: a later heartbeat may have gone first. Time never runs
    // back for a member's clock, session or day.
    let now = session
        .as_ref()
        .map_or(now, |s| Ord::max(now, s.last_beat_at.into()));
    let got = credit(Beat {
        previous: session.as_ref().map(|s| s.last_beat_at.into()),
        credited_until: clock.as_ref().map(|c| c.credited_until.into()),
        now,
        claimed,
    });

    match session.filter(|_| !got.new_session) {
        Some(session) => {
            let credited = session.credited_seconds + got.seconds;
            let mut row: study_sessions::ActiveModel = session.into();
            row.last_beat_at = Set(now.into());
            row.credited_seconds = Set(credited);
            row.update(tx).await?;
        }
        None => {
            study_sessions::ActiveModel {
                member_id: Set(member_id),
                item_kind: Set(item.kind().to_owned()),
                item_id: Set(item.id()),
                started_at: Set(now.into()),
                last_beat_at: Set(now.into()),
                credited_seconds: Set(0),
                ..Default::default()
            }
            .insert(tx)
            .await?;
        }
    }

    let day = clock.as_ref().map_or(local_date(now, tz), |c| {
        Ord::max(c.day, local_date(now, tz))
    });
    let until = if got.credited_until == DateTime::<Utc>::MIN_UTC {
        now
    } else {
        got.credited_until
    };
    let before = clock
        .as_ref()
        .filter(|c| c.day == day)
        .map_or(0, |c| c.day_seconds);
    let after = before + got.seconds;
    let row = study_clocks::ActiveModel {
        member_id: Set(member_id),
        credited_until: Set(until.into()),
        day: Set(day),
        day_seconds: Set(after),
    };
    if clock.is_some() {
        row.update(tx).await?;
    } else {
        row.insert(tx).await?;
    }

    let (points, capped) = pay_time(tx, member_id, day, before, after, now).await?;
    Ok(Credited {
        seconds: got.seconds,
        day,
        at: now,
        points,
        capped,
    })
}

/// Pays `reading_time` for the units of study time between `before` and `after` seconds of
/// the day. The ledger's source id is the day and the unit reached, so a unit pays once.
async fn pay_time(
    tx: &DatabaseTransaction,
    member_id: i64,
    day: NaiveDate,
    before: i32,
    after: i32,
    now: DateTime<Utc>,
) -> Result<(i32, bool), ApiError> {
    if after == before {
        return Ok((0, false));
    }
    let unit = point_rules::Entity::find_by_id(Source::ReadingTime.as_str())
        .one(tx)
        .await?
        .and_then(|r| r.unit_seconds)
        .filter(|u| *u > 0);
    let Some(unit) = unit else {
        return Ok((0, false));
    };
    let (from, to) = (before / unit, after / unit);
    if to == from {
        return Ok((0, false));
    }
    let source_id = format!("{day}/{to}");
    let paid = award(
        tx,
        Payout {
            member_id,
            source: Source::ReadingTime,
            source_id: &source_id,
            units: to - from,
            local_date: day,
            note: None,
        },
        now,
    )
    .await?;
    if paid.replayed {
        return Ok((0, false));
    }
    Ok((paid.points, paid.capped))
}

/// Counts `day` for the member's streak, unless it already counts: true when it is new.
/// The run lengths of the days after it (a make-up filling a gap) grow with it; a real day
/// may earn a make-up card (`earn_card`); the streak badges are checked.
pub async fn count_day(
    tx: &DatabaseTransaction,
    member_id: i64,
    day: NaiveDate,
    via: Via,
    now: DateTime<Utc>,
) -> Result<bool, ApiError> {
    let before = day.pred_opt().unwrap_or(day);
    let run_before = streak_days::Entity::find_by_id((member_id, before))
        .one(tx)
        .await?
        .map_or(0, |d| d.run);
    let run = run_before + 1;
    let row = streak_days::ActiveModel {
        member_id: Set(member_id),
        local_date: Set(day),
        via: Set(via.as_str().to_owned()),
        run: Set(run),
        created_at: Set(now.into()),
    };
    if insert_unless_duplicate(tx, row).await?.is_none() {
        return Ok(false);
    }

    // The days right after it (only a make-up has any: at most a week of them) now continue
    // its run.
    let after: Vec<streak_days::Model> = streak_days::Entity::find()
        .filter(streak_days::Column::MemberId.eq(member_id))
        .filter(streak_days::Column::LocalDate.gt(day))
        .filter(streak_days::Column::LocalDate.lte(day + Days::new(MAKEUP_DAYS + 1)))
        .order_by_asc(streak_days::Column::LocalDate)
        .all(tx)
        .await?;
    let mut end = day;
    for next in &after {
        if Some(next.local_date) != end.succ_opt() {
            break;
        }
        end = next.local_date;
    }
    let mut longest = run;
    if end > day {
        streak_days::Entity::update_many()
            .col_expr(
                streak_days::Column::Run,
                Expr::col(streak_days::Column::Run).add(run),
            )
            .filter(streak_days::Column::MemberId.eq(member_id))
            .filter(streak_days::Column::LocalDate.gt(day))
            .filter(streak_days::Column::LocalDate.lte(end))
            .exec(tx)
            .await?;
        longest = run + after.iter().filter(|d| d.local_date <= end).count() as i32;
    }

    // A make-up filling a gap leaves every later day's count of real days (back to the gap,
    // now back to the filled day) as it was: only a real day can earn a card.
    if via != Via::Makeup {
        earn_card(tx, member_id, day, run).await?;
    }
    after_streak(tx, member_id, longest as u32, now).await?;
    Ok(true)
}

/// Earns a make-up card on a real `day` that completes a multiple of 7 real days in a row
/// (counted back to the latest filled day or gap, so cards never earn cards), while fewer than
/// 3 are held. One card per day at most (a unique key).
async fn earn_card(
    tx: &DatabaseTransaction,
    member_id: i64,
    day: NaiveDate,
    run: i32,
) -> Result<(), ApiError> {
    let first = day - Days::new(u64::try_from(run - 1).unwrap_or(0));
    let filled: Option<NaiveDate> = streak_days::Entity::find()
        .select_only()
        .column_as(streak_days::Column::LocalDate.max(), "filled")
        .filter(streak_days::Column::MemberId.eq(member_id))
        .filter(streak_days::Column::LocalDate.between(first, day))
        .filter(streak_days::Column::Via.eq(Via::Makeup.as_str()))
        .into_tuple()
        .one(tx)
        .await?
        .flatten();
    let real = filled.map_or(i64::from(run), |f| (day - f).num_days());
    if real == 0 || real % i64::from(CARD_EVERY) != 0 || held(tx, member_id).await? >= MAX_CARDS {
        return Ok(());
    }
    insert_unless_duplicate(
        tx,
        makeup_cards::ActiveModel {
            member_id: Set(member_id),
            earned_on: Set(day),
            spent_for: Set(None),
            spent_at: Set(None),
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}

async fn held(conn: &impl ConnectionTrait, member_id: i64) -> Result<u64, ApiError> {
    Ok(makeup_cards::Entity::find()
        .filter(makeup_cards::Column::MemberId.eq(member_id))
        .filter(makeup_cards::Column::SpentAt.is_null())
        .count(conn)
        .await?)
}

/// Whether `day` counts for the member's streak.
pub async fn counted(
    conn: &impl ConnectionTrait,
    member_id: i64,
    day: NaiveDate,
) -> Result<bool, ApiError> {
    Ok(streak_days::Entity::find_by_id((member_id, day))
        .one(conn)
        .await?
        .is_some())
}

/// The member's streak as of `today`.
pub async fn streak(
    conn: &impl ConnectionTrait,
    member_id: i64,
    today: NaiveDate,
) -> Result<Streak, ApiError> {
    let yesterday = today.pred_opt().unwrap_or(today);
    let recent = streak_days::Entity::find()
        .filter(streak_days::Column::MemberId.eq(member_id))
        .filter(streak_days::Column::LocalDate.between(yesterday, today))
        .all(conn)
        .await?;
    let run_on = |day: NaiveDate| recent.iter().find(|d| d.local_date == day).map(|d| d.run);
    let longest: Option<i32> = streak_days::Entity::find()
        .select_only()
        .column_as(streak_days::Column::Run.max(), "longest")
        .filter(streak_days::Column::MemberId.eq(member_id))
        .into_tuple()
        .one(conn)
        .await?
        .flatten();
    Ok(Streak {
        // Yesterday's run stays current until today is over.
        current: run_on(today).or_else(|| run_on(yesterday)).unwrap_or(0),
        longest: longest.unwrap_or(0),
        today_done: run_on(today).is_some(),
        makeup_cards: held(conn, member_id).await? as i32,
    })
}

/// The first day of `month` (`YYYY-MM`), or of the month of `today` when absent.
fn month_start(month: Option<&str>, today: NaiveDate) -> Result<NaiveDate, ApiError> {
    let Some(month) = month else {
        return Ok(today.with_day(1).unwrap_or(today));
    };
    let bad = || ApiError::field("month", FieldIssue::new("month"));
    let (y, m) = month.split_once('-').ok_or_else(bad)?;
    let valid = y.len() == 4 && m.len() == 2;
    let (y, m) = (
        y.parse::<i32>().map_err(|_| bad())?,
        m.parse::<u32>().map_err(|_| bad())?,
    );
    NaiveDate::from_ymd_opt(y, m, 1)
        .filter(|_| valid && (1970..=9999).contains(&y))
        .ok_or_else(bad)
}

/// The counted days of a month.
pub async fn calendar(
    conn: &impl ConnectionTrait,
    member_id: i64,
    month: Option<&str>,
    today: NaiveDate,
) -> Result<Calendar, ApiError> {
    let first = month_start(month, today)?;
    let next = first + Months::new(1);
    let rows = streak_days::Entity::find()
        .filter(streak_days::Column::MemberId.eq(member_id))
        .filter(streak_days::Column::LocalDate.gte(first))
        .filter(streak_days::Column::LocalDate.lt(next))
        .order_by_asc(streak_days::Column::LocalDate)
        .all(conn)
        .await?;
    Ok(Calendar {
        month: first.format("%Y-%m").to_string(),
        makeup_days: rows
            .iter()
            .filter(|d| d.via == Via::Makeup.as_str())
            .map(|d| d.local_date)
            .collect(),
        days: rows.into_iter().map(|d| d.local_date).collect(),
    })
}

/// Spends a make-up card on `date`: one of the 7 days before today, not before the member
/// joined, not already counted. The day counts for the streak; nothing is paid.
pub async fn makeup(
    tx: &DatabaseTransaction,
    member_id: i64,
    date: NaiveDate,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<Streak, ApiError> {
    lock(tx, member_id).await?;
    let today = local_date(now, tz);
    let joined = members::Entity::find_by_id(member_id)
        .one(tx)
        .await?
        .map(|m| local_date(m.created_at.into(), tz))
        .ok_or(ApiError::NotFound)?;
    let earliest = Ord::max(today - Days::new(MAKEUP_DAYS), joined);
    if date >= today || date < earliest {
        return Err(ApiError::field(
            "date",
            FieldIssue::new("makeup_window")
                .with("min", earliest.to_string())
                .with("max", today.pred_opt().unwrap_or(today).to_string()),
        ));
    }
    if counted(tx, member_id, date).await? {
        return Err(ApiError::DayCounted);
    }
    let card = makeup_cards::Entity::find()
        .filter(makeup_cards::Column::MemberId.eq(member_id))
        .filter(makeup_cards::Column::SpentAt.is_null())
        .order_by_asc(makeup_cards::Column::Id)
        .one(tx)
        .await?
        .ok_or(ApiError::NoMakeupCard)?;
    let spent = makeup_cards::Entity::update_many()
        .col_expr(makeup_cards::Column::SpentFor, Expr::value(date))
        .col_expr(
            makeup_cards::Column::SpentAt,
            Expr::value(entity::time::UtcTime::from(now)),
        )
        .filter(makeup_cards::Column::Id.eq(card.id))
        .filter(makeup_cards::Column::SpentAt.is_null())
        .exec(tx)
        .await?;
    if spent.rows_affected != 1 {
        return Err(ApiError::NoMakeupCard);
    }
    if !count_day(tx, member_id, date, Via::Makeup, now).await? {
        return Err(ApiError::DayCounted);
    }
    streak(tx, member_id, today).await
}

/// My make-up cards, newest first: held and spent (who, which day, when).
pub async fn cards(
    conn: &impl ConnectionTrait,
    member_id: i64,
    page: &PageQuery,
) -> Result<Page<MakeupCard>, ApiError> {
    let query = makeup_cards::Entity::find().filter(makeup_cards::Column::MemberId.eq(member_id));
    let rows = page
        .window(query, makeup_cards::Column::Id, sea_orm::Order::Desc)?
        .all(conn)
        .await?;
    Ok(Page::from_rows(
        rows,
        page.limit(),
        |c| c.id,
        |c| MakeupCard {
            id: c.id,
            earned_on: c.earned_on,
            spent_for: c.spent_for,
            spent_at: c.spent_at.map(Into::into),
        },
    ))
}
