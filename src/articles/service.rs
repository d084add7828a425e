//! Articles and series: admin definitions (sanitized bodies, scheduled publishing), what
//! members see with their progress, the reading heartbeat (counted time → completion → the
//! reading point and the streak day) and study figures for admins.
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use entity::{article_reads, article_series, articles, study_sessions};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{self, Set},
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;

use crate::audit::service::{Change, record};
use crate::auth::scope::AdminScope;
use crate::clock::local_date;
use crate::db::{Db, int_type};
use crate::error::{ApiError, FieldErrors, FieldIssue};
use crate::http::paging::{Page, PageQuery, cut_offset, offset_cursor};
use crate::points::dto::Source;
use crate::points::service::{Payout, award};
use crate::study::dto::Via;
use crate::study::service::{self as study, Item};

use super::dto::{
    Article, ArticleCard, ArticleFilter, ArticleHead, ArticleStats, ArticleStatus, ArticleView,
    MediaKind, MyReading, NewArticle, NewSeries, ReadingBeat, ReadingCredit, ReadingFigures,
    Series, SeriesStats, SeriesView,
};
use super::html::{default_min_read, sanitize, text_chars};

fn head(a: &articles::Model) -> ArticleHead {
    ArticleHead {
        id: a.id,
        title: a.title.clone(),
        summary: a.summary.clone(),
        cover_url: a.cover_url.clone(),
        category: a.category.clone(),
        series_id: a.series_id,
        series_position: a.series_position,
        author: a.author.clone(),
        source: a.source.clone(),
        published_at: a.published_at.into(),
        min_read_seconds: a.min_read_seconds,
        media_kind: a.media_kind.as_deref().and_then(MediaKind::parse),
    }
}

fn to_admin(a: articles::Model) -> Article {
    Article {
        head: head(&a),
        status: ArticleStatus::parse(&a.status).unwrap_or(ArticleStatus::Draft),
        created_at: a.created_at.into(),
        updated_at: a.updated_at.map(Into::into),
        body: a.body,
        media_url: a.media_url,
        media_seconds: a.media_seconds,
    }
}

/// The pairs a schema cannot state: a series with a place in it, media with its kind.
fn check(new: &NewArticle) -> Result<(), ApiError> {
    let mut problems = FieldErrors::new();
    if new.series_id.is_some() != new.series_position.is_some() {
        let field = if new.series_id.is_some() {
            "series_position"
        } else {
            "series_id"
        };
        problems
            .entry(field.to_owned())
            .or_default()
            .push(FieldIssue::new("required"));
    }
    if new.media_url.is_some() != new.media_kind.is_some() {
        problems
            .entry("media_url".to_owned())
            .or_default()
            .push(FieldIssue::new("media_pair"));
    }
    if let Some(at) = new.published_at {
        crate::http::validate::storable_instant("published_at", at)?;
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(problems))
    }
}

fn position_taken() -> ApiError {
    ApiError::field("series_position", FieldIssue::new("position_taken"))
}

/// Writes `new` into `row`, checking the series and the place in it.
async fn save(
    tx: &DatabaseTransaction,
    mut row: articles::ActiveModel,
    new: NewArticle,
    now: DateTime<Utc>,
) -> Result<articles::Model, ApiError> {
    if let (Some(series), Some(position)) = (new.series_id, new.series_position) {
        if article_series::Entity::find_by_id(series)
            .one(tx)
            .await?
            .is_none()
        {
            return Err(ApiError::field("series_id", FieldIssue::new("invalid")));
        }
        let mut holder = articles::Entity::find()
            .filter(articles::Column::SeriesId.eq(series))
            .filter(articles::Column::SeriesPosition.eq(position));
        if let sea_orm::ActiveValue::Unchanged(id) = row.id {
            holder = holder.filter(articles::Column::Id.ne(id));
        }
        if holder.count(tx).await? > 0 {
            return Err(position_taken());
        }
    }
    let body = sanitize(&new.body);
    // Markup that sanitizes to nothing (only a script, say) is no article.
    if text_chars(&body) == 0 && !body.contains("<img src=") {
        return Err(ApiError::field("body", FieldIssue::new("blank")));
    }
    let min_read = new
        .min_read_seconds
        .unwrap_or_else(|| default_min_read(&body, new.media_seconds));
    row.title = Set(new.title.trim().to_owned());
    row.summary = Set(new.summary);
    row.body = Set(body);
    row.cover_url = Set(new.cover_url);
    row.category = Set(new.category.trim().to_owned());
    row.series_id = Set(new.series_id);
    row.series_position = Set(new.series_position);
    row.author = Set(new.author);
    row.source = Set(new.source);
    // Without a publish time an article is published now, unless it was published already
    // (an edit keeps its place) or is scheduled.
    let was_published =
        matches!(&row.status, ActiveValue::Unchanged(s) if s == ArticleStatus::Published.as_str());
    let scheduled =
        matches!(&row.published_at, ActiveValue::Unchanged(at) if DateTime::<Utc>::from(*at) > now);
    match new.published_at {
        Some(at) => row.published_at = Set(at.into()),
        None if !was_published && !scheduled => row.published_at = Set(now.into()),
        None => {}
    }
    row.status = Set(new.status.as_str().to_owned());
    row.min_read_seconds = Set(min_read);
    row.media_url = Set(new.media_url);
    row.media_kind = Set(new.media_kind.map(|k| k.as_str().to_owned()));
    row.media_seconds = Set(new.media_seconds);
    let saved = if row.id.is_not_set() {
        row.insert(tx).await
    } else {
        row.updated_at = Set(Some(now.into()));
        row.update(tx).await
    };
    // Two admins placing chapters at once: the unique key decides.
    saved.map_err(|e| {
        let err = ApiError::from(e);
        if err.is_unique_violation() {
            position_taken()
        } else {
            err
        }
    })
}

async fn audit(
    tx: &DatabaseTransaction,
    actor: i64,
    action: &str,
    article: &articles::Model,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    record(
        tx,
        Change {
            actor_id: actor,
            action,
            entity_type: "article",
            entity_id: article.id,
            scope_path: None,
            before: None,
            after: Some(json!({
                "title": article.title,
                "status": article.status,
                "series_id": article.series_id,
                "series_position": article.series_position,
                "published_at": article.published_at.to_string(),
                "min_read_seconds": article.min_read_seconds,
            })),
        },
        now,
    )
    .await
}

async fn find(conn: &impl ConnectionTrait, id: i64) -> Result<articles::Model, ApiError> {
    articles::Entity::find_by_id(id)
        .filter(articles::Column::DeletedAt.is_null())
        .one(conn)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Creates an article (platform admins; audited). The body is stored sanitized.
pub async fn create(
    db: &Db,
    actor: i64,
    new: NewArticle,
    now: DateTime<Utc>,
) -> Result<Article, ApiError> {
    check(&new)?;
    let new = &new;
    db.write(|tx| async move {
        let row = articles::ActiveModel {
            created_by: Set(actor),
            created_at: Set(now.into()),
            updated_at: Set(None),
            deleted_at: Set(None),
            ..Default::default()
        };
        let article = save(&tx, row, new.clone(), now).await?;
        audit(&tx, actor, "article.create", &article, now).await?;
        Ok(to_admin(article))
    })
    .await
}

/// Replaces an article (platform admins; audited). Reads and completions stay.
pub async fn update(
    db: &Db,
    actor: i64,
    id: i64,
    new: NewArticle,
    now: DateTime<Utc>,
) -> Result<Article, ApiError> {
    check(&new)?;
    let new = &new;
    db.write(|tx| async move {
        let row: articles::ActiveModel = find(tx.as_ref(), id).await?.into();
        let article = save(&tx, row, new.clone(), now).await?;
        audit(&tx, actor, "article.update", &article, now).await?;
        Ok(to_admin(article))
    })
    .await
}

/// Withdraws an article: it leaves every list and frees its place in the series; its reads,
/// completions and payouts stay.
pub async fn delete(db: &Db, actor: i64, id: i64, now: DateTime<Utc>) -> Result<(), ApiError> {
    db.write(|tx| async move {
        let article = find(tx.as_ref(), id).await?;
        let mut row: articles::ActiveModel = article.clone().into();
        row.deleted_at = Set(Some(now.into()));
        row.series_position = Set(None);
        row.update(tx.as_ref()).await?;
        audit(&tx, actor, "article.delete", &article, now).await
    })
    .await
}

/// Every article for admins, newest first, drafts and scheduled ones included.
pub async fn admin_list(
    conn: &impl ConnectionTrait,
    page: &PageQuery,
) -> Result<Page<Article>, ApiError> {
    let query = articles::Entity::find().filter(articles::Column::DeletedAt.is_null());
    let rows = page
        .window(query, articles::Column::Id, sea_orm::Order::Desc)?
        .all(conn)
        .await?;
    Ok(Page::from_rows(rows, page.limit(), |a| a.id, to_admin))
}

pub async fn admin_get(conn: &impl ConnectionTrait, id: i64) -> Result<Article, ApiError> {
    Ok(to_admin(find(conn, id).await?))
}

/// Published, from its publish time on, not withdrawn: what members may see.
fn visible(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(articles::Column::DeletedAt.is_null())
        .add(articles::Column::Status.eq(ArticleStatus::Published.as_str()))
        .add(articles::Column::PublishedAt.lte(entity::time::UtcTime::from(now)))
}

/// Published or archived since, from its publish time on: what members have been able to read.
fn been_published(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(articles::Column::Status.ne(ArticleStatus::Draft.as_str()))
        .add(articles::Column::PublishedAt.lte(entity::time::UtcTime::from(now)))
}

async fn find_visible(
    conn: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
) -> Result<articles::Model, ApiError> {
    articles::Entity::find_by_id(id)
        .filter(visible(now))
        .one(conn)
        .await?
        .ok_or(ApiError::NotFound)
}

/// The member's progress on each of `ids`.
async fn progress(
    conn: &impl ConnectionTrait,
    member_id: i64,
    ids: Vec<i64>,
    today: NaiveDate,
) -> Result<HashMap<i64, MyReading>, ApiError> {
    let mut mine: HashMap<i64, MyReading> = HashMap::new();
    let rows = article_reads::Entity::find()
        .filter(article_reads::Column::MemberId.eq(member_id))
        .filter(article_reads::Column::ArticleId.is_in(ids))
        .all(conn)
        .await?;
    for r in rows {
        let my = mine.entry(r.article_id).or_default();
        let done = r.completed_at.is_some();
        my.completed |= done;
        if r.local_date == today {
            my.completed_today = done;
            my.today_seconds = r.credited_seconds;
        }
    }
    Ok(mine)
}

async fn cards(
    conn: &impl ConnectionTrait,
    member_id: i64,
    rows: Vec<articles::Model>,
    today: NaiveDate,
) -> Result<Vec<ArticleCard>, ApiError> {
    let mut mine = progress(conn, member_id, rows.iter().map(|a| a.id).collect(), today).await?;
    Ok(rows
        .iter()
        .map(|a| ArticleCard {
            head: head(a),
            my: mine.remove(&a.id).unwrap_or_default(),
        })
        .collect())
}

/// Published articles, newest first (a series' chapters in order), with my progress.
pub async fn list(
    conn: &impl ConnectionTrait,
    member_id: i64,
    filter: &ArticleFilter,
    page: &PageQuery,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<Page<ArticleCard>, ApiError> {
    let mut query = articles::Entity::find().filter(visible(now));
    if let Some(category) = &filter.category {
        let length = category.chars().count();
        if !(1..=64).contains(&length) {
            let issue = FieldIssue::new("length").with("min", 1).with("max", 64);
            return Err(ApiError::field("category", issue));
        }
        query = query.filter(articles::Column::Category.eq(category.as_str()));
    }
    query = match filter.series_id {
        Some(series) => query
            .filter(articles::Column::SeriesId.eq(series))
            .order_by_asc(articles::Column::SeriesPosition),
        None => query.order_by_desc(articles::Column::PublishedAt),
    };
    let (offset, limit) = (page.offset()?, page.limit());
    let rows = query
        .order_by_desc(articles::Column::Id)
        .offset(offset)
        .limit(limit + 1)
        .all(conn)
        .await?;
    let (rows, more) = cut_offset(rows, limit);
    let items = cards(conn, member_id, rows, local_date(now, tz)).await?;
    let next_cursor = more.then(|| offset_cursor(offset + limit));
    Ok(Page { items, next_cursor })
}

/// One published article, with my progress.
pub async fn get(
    conn: &impl ConnectionTrait,
    member_id: i64,
    id: i64,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<ArticleView, ApiError> {
    let a = find_visible(conn, id, now).await?;
    let my = progress(conn, member_id, vec![id], local_date(now, tz))
        .await?
        .remove(&id)
        .unwrap_or_default();
    Ok(ArticleView {
        head: head(&a),
        my,
        body: a.body,
        media_url: a.media_url,
        media_seconds: a.media_seconds,
    })
}

/// One heartbeat on an article: counts study time (see `study::beat`), completes the article
/// for the day once the day's time reaches its minimum, pays the reading point on the first
/// completion ever, and counts the day for the streak.
pub async fn read(
    db: &Db,
    member_id: i64,
    id: i64,
    beat: &ReadingBeat,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<ReadingCredit, ApiError> {
    let claimed = beat.seconds;
    db.write(|tx| async move {
        let article = find_visible(tx.as_ref(), id, now).await?;
        let credited = study::beat(&tx, member_id, Item::Article(id), claimed, now, tz).await?;
        let (day, now) = (credited.day, credited.at);
        let today = article_reads::Entity::find_by_id((member_id, id, day))
            .one(tx.as_ref())
            .await?;
        let counted = today.as_ref().map_or(0, |r| r.credited_seconds) + credited.seconds;
        let was_done = today.as_ref().is_some_and(|r| r.completed_at.is_some());
        let completes = !was_done && counted >= article.min_read_seconds;
        let row = article_reads::ActiveModel {
            member_id: Set(member_id),
            article_id: Set(id),
            local_date: Set(day),
            credited_seconds: Set(counted),
            completed_at: Set(match &today {
                Some(r) if was_done => r.completed_at,
                _ => completes.then(|| now.into()),
            }),
        };
        // The member's row lock (taken by `beat`) orders this read-then-write.
        if today.is_some() {
            row.update(tx.as_ref()).await?;
        } else {
            row.insert(tx.as_ref()).await?;
        }

        let mut points = credited.points;
        let mut capped = credited.capped;
        if completes {
            // Re-reading an article completed on an earlier day counts for the streak only.
            let source_id = id.to_string();
            let paid = award(
                &tx,
                Payout {
                    member_id,
                    source: Source::Reading,
                    source_id: &source_id,
                    units: 1,
                    local_date: day,
                    note: None,
                },
                now,
            )
            .await?;
            if !paid.replayed {
                points += paid.points;
                capped |= paid.capped;
            }
            study::count_day(&tx, member_id, day, Via::Article, now).await?;
        }
        Ok(ReadingCredit {
            counted_seconds: counted,
            credited_seconds: credited.seconds,
            min_read_seconds: article.min_read_seconds,
            completed: was_done || completes,
            today_done: study::counted(tx.as_ref(), member_id, day).await?,
            points_awarded: points,
            points_capped: capped,
        })
    })
    .await
}

fn to_series(s: article_series::Model, article_count: u64) -> Series {
    Series {
        id: s.id,
        title: s.title,
        description: s.description,
        article_count,
    }
}

async fn find_series(
    conn: &impl ConnectionTrait,
    id: i64,
) -> Result<article_series::Model, ApiError> {
    article_series::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Chapters per series (members count only what they may see).
async fn chapter_counts(
    conn: &impl ConnectionTrait,
    ids: Vec<i64>,
    members_at: Option<DateTime<Utc>>,
) -> Result<HashMap<i64, u64>, ApiError> {
    let mut query = articles::Entity::find()
        .select_only()
        .column(articles::Column::SeriesId)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .filter(articles::Column::SeriesId.is_in(ids))
        .filter(articles::Column::DeletedAt.is_null())
        .group_by(articles::Column::SeriesId);
    if let Some(now) = members_at {
        query = query.filter(visible(now));
    }
    let rows: Vec<(i64, i64)> = query.into_tuple().all(conn).await?;
    Ok(rows.into_iter().map(|(s, n)| (s, n as u64)).collect())
}

async fn save_series(
    tx: &DatabaseTransaction,
    actor: i64,
    mut row: article_series::ActiveModel,
    new: &NewSeries,
    now: DateTime<Utc>,
) -> Result<Series, ApiError> {
    row.title = Set(new.title.trim().to_owned());
    row.description = Set(new.description.clone());
    let (series, action) = if row.id.is_not_set() {
        (row.insert(tx).await?, "series.create")
    } else {
        row.updated_at = Set(Some(now.into()));
        (row.update(tx).await?, "series.update")
    };
    record(
        tx,
        Change {
            actor_id: actor,
            action,
            entity_type: "series",
            entity_id: series.id,
            scope_path: None,
            before: None,
            after: Some(json!({"title": series.title})),
        },
        now,
    )
    .await?;
    let count = chapter_counts(tx, vec![series.id], None).await?;
    let n = count.get(&series.id).copied().unwrap_or(0);
    Ok(to_series(series, n))
}

/// Creates a series (platform admins; audited).
pub async fn create_series(
    db: &Db,
    actor: i64,
    new: &NewSeries,
    now: DateTime<Utc>,
) -> Result<Series, ApiError> {
    db.write(|tx| async move {
        let row = article_series::ActiveModel {
            created_by: Set(actor),
            created_at: Set(now.into()),
            updated_at: Set(None),
            ..Default::default()
        };
        save_series(&tx, actor, row, new, now).await
    })
    .await
}

/// Renames a series (platform admins; audited).
pub async fn update_series(
    db: &Db,
    actor: i64,
    id: i64,
    new: &NewSeries,
    now: DateTime<Utc>,
) -> Result<Series, ApiError> {
    db.write(|tx| async move {
        let row: article_series::ActiveModel = find_series(tx.as_ref(), id).await?.into();
        save_series(&tx, actor, row, new, now).await
    })
    .await
}

/// Every series, newest first, with all its chapters counted.
pub async fn list_series(
    conn: &impl ConnectionTrait,
    page: &PageQuery,
) -> Result<Page<Series>, ApiError> {
    let rows = page
        .window(
            article_series::Entity::find(),
            article_series::Column::Id,
            sea_orm::Order::Desc,
        )?
        .all(conn)
        .await?;
    let counts = chapter_counts(conn, rows.iter().map(|s| s.id).collect(), None).await?;
    Ok(Page::from_rows(
        rows,
        page.limit(),
        |s| s.id,
        |s| {
            let n = counts.get(&s.id).copied().unwrap_or(0);
            to_series(s, n)
        },
    ))
}

/// A series as a member follows it: its published chapters in order, how many I completed
/// and the first I have not.
pub async fn series_view(
    conn: &impl ConnectionTrait,
    member_id: i64,
    id: i64,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<SeriesView, ApiError> {
    let series = find_series(conn, id).await?;
    let rows = articles::Entity::find()
        .filter(visible(now))
        .filter(articles::Column::SeriesId.eq(id))
        .order_by_asc(articles::Column::SeriesPosition)
        .all(conn)
        .await?;
    let chapters = cards(conn, member_id, rows, local_date(now, tz)).await?;
    let completed_count = chapters.iter().filter(|c| c.my.completed).count() as u64;
    let next_article_id = chapters.iter().find(|c| !c.my.completed).map(|c| c.head.id);
    Ok(SeriesView {
        series: to_series(series, chapters.len() as u64),
        chapters,
        completed_count,
        next_article_id,
    })
}

/// Reading figures among members in `scope`: per article of `ids`, and over them all.
async fn figures(
    conn: &impl ConnectionTrait,
    scope: &AdminScope,
    ids: &[i64],
) -> Result<(HashMap<i64, ReadingFigures>, ReadingFigures), ApiError> {
    let int = int_type(conn.get_database_backend());
    let sessions: Vec<(i64, i64, i64)> = study_sessions::Entity::find()
        .select_only()
        .column(study_sessions::Column::ItemId)
        .column_as(Expr::cust("COUNT(*)"), "reads")
        .column_as(Expr::cust("COUNT(DISTINCT member_id)"), "readers")
        .filter(study_sessions::Column::CreditedSeconds.gt(0))
        .filter(study_sessions::Column::ItemKind.eq(Item::ARTICLE))
        .filter(study_sessions::Column::ItemId.is_in(ids.to_vec()))
        .filter(scope.member_filter(study_sessions::Column::MemberId))
        .group_by(study_sessions::Column::ItemId)
        .into_tuple()
        .all(conn)
        .await?;
    let reads: Vec<(i64, i64, i64, i64)> = article_reads::Entity::find()
        .select_only()
        .column(article_reads::Column::ArticleId)
        .column_as(Expr::cust("COUNT(completed_at)"), "completions")
        .column_as(
            Expr::cust("COUNT(DISTINCT CASE WHEN completed_at IS NOT NULL THEN member_id END)"),
            "completed_readers",
        )
        .column_as(
            Expr::cust(format!("CAST(SUM(credited_seconds) AS {int})")),
            "seconds",
        )
        .filter(article_reads::Column::ArticleId.is_in(ids.to_vec()))
        .filter(scope.member_filter(article_reads::Column::MemberId))
        .group_by(article_reads::Column::ArticleId)
        .into_tuple()
        .all(conn)
        .await?;
    let mut by_article: HashMap<i64, ReadingFigures> = HashMap::new();
    let mut total = ReadingFigures::default();
    for (id, n, readers) in sessions {
        let f = by_article.entry(id).or_default();
        f.reads = n as u64;
        f.unique_readers = readers as u64;
        total.reads += n as u64;
    }
    for (id, completions, completed_readers, seconds) in reads {
        let f = by_article.entry(id).or_default();
        f.completions = completions as u64;
        f.completed_readers = completed_readers as u64;
        f.counted_seconds = seconds;
        total.completions += completions as u64;
        total.counted_seconds += seconds;
    }
    if ids.len() == 1 {
        total.unique_readers = by_article.get(&ids[0]).map_or(0, |f| f.unique_readers);
        total.completed_readers = by_article.get(&ids[0]).map_or(0, |f| f.completed_readers);
        return Ok((by_article, total));
    }
    // Across chapters a member is one reader.
    let readers: Option<i64> = study_sessions::Entity::find()
        .select_only()
        .column_as(Expr::cust("COUNT(DISTINCT member_id)"), "n")
        .filter(study_sessions::Column::CreditedSeconds.gt(0))
        .filter(study_sessions::Column::ItemKind.eq(Item::ARTICLE))
        .filter(study_sessions::Column::ItemId.is_in(ids.to_vec()))
        .filter(scope.member_filter(study_sessions::Column::MemberId))
        .into_tuple()
        .one(conn)
        .await?;
    let completed: Option<i64> = article_reads::Entity::find()
        .select_only()
        .column_as(Expr::cust("COUNT(DISTINCT member_id)"), "n")
        .filter(article_reads::Column::ArticleId.is_in(ids.to_vec()))
        .filter(article_reads::Column::CompletedAt.is_not_null())
        .filter(scope.member_filter(article_reads::Column::MemberId))
        .into_tuple()
        .one(conn)
        .await?;
    total.unique_readers = readers.unwrap_or(0) as u64;
    total.completed_readers = completed.unwrap_or(0) as u64;
    Ok((by_article, total))
}

/// An article's reading figures among members in the admin's scope.
pub async fn article_stats(
    conn: &impl ConnectionTrait,
    scope: &AdminScope,
    id: i64,
    now: DateTime<Utc>,
) -> Result<ArticleStats, ApiError> {
    // Org admins see the figures of what members have seen: not drafts nor scheduled ones.
    let mut article =
        articles::Entity::find_by_id(id).filter(articles::Column::DeletedAt.is_null());
    if !scope.is_platform() {
        article = article.filter(been_published(now));
    }
    let article = article.one(conn).await?.ok_or(ApiError::NotFound)?;
    let (_, figures) = figures(conn, scope, &[id]).await?;
    Ok(ArticleStats {
        article_id: id,
        title: article.title,
        figures,
    })
}

/// A series' reading figures among members in the admin's scope, as a whole and by chapter.
pub async fn series_stats(
    conn: &impl ConnectionTrait,
    scope: &AdminScope,
    id: i64,
    now: DateTime<Utc>,
) -> Result<SeriesStats, ApiError> {
    find_series(conn, id).await?;
    let mut chapters = articles::Entity::find()
        .filter(articles::Column::SeriesId.eq(id))
        .filter(articles::Column::DeletedAt.is_null());
    if !scope.is_platform() {
        chapters = chapters.filter(been_published(now));
    }
    let chapters = chapters
        .order_by_asc(articles::Column::SeriesPosition)
        .all(conn)
        .await?;
    let ids: Vec<i64> = chapters.iter().map(|a| a.id).collect();
    let (mut by_article, figures) = figures(conn, scope, &ids).await?;
    Ok(SeriesStats {
        series_id: id,
        figures,
        chapters: chapters
            .into_iter()
            .map(|a| ArticleStats {
                article_id: a.id,
                figures: by_article.remove(&a.id).unwrap_or_default(),
                title: a.title,
            })
            .collect(),
    })
}
