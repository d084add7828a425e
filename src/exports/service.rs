//! What each dataset holds (its columns, typed, with Chinese headers, and its query), the
//! subject and period it covers, and the audit row of an export.
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use futures_util::{Stream, StreamExt};
use sea_orm::{ConnectionTrait, DatabaseConnection, QueryResult, StreamTrait, Value};
use serde_json::json;

use super::dto::{Dataset, DatasetQuery, Phones};
use crate::audit::service::{Change, amend, record_returning_id};
use crate::auth::scope::AdminScope;
use crate::db::{self, Db};
use crate::error::{ApiError, FieldIssue};
use crate::http::export::{Cell, Format, Outcome};
use crate::members::service::mask_phone;
use crate::stats::dto::{Figures, OverviewQuery};
use crate::stats::service::{self as stats, Roots, Subject, period};
use crate::stats::sql::{Fact, from_where};

/// How a column's value is read and shown.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// A whole number (read as a 64-bit integer whatever its column type).
    Int,
    Float,
    Text,
    Date,
    /// A UTC instant, shown in the server's timezone.
    Time,
    /// 是 / 否.
    Bool,
    /// A phone number, masked unless the caller may see it whole.
    Phone,
    /// Minutes, shown as hours to two decimals.
    Hours,
}

#[derive(Clone, Copy)]
struct Column {
    header: &'static str,
    expr: &'static str,
    kind: Kind,
}

const fn col(header: &'static str, expr: &'static str, kind: Kind) -> Column {
    Column { header, expr, kind }
}

/// A dataset read from one query: rows `f` of `from`, whose member column is `member`.
struct Source {
    columns: &'static [Column],
    from: String,
    member: &'static str,
    day: Option<&'static str>,
    filter: Option<&'static str>,
    order: &'static str,
}

const WHO: [Column; 3] = [
    col("成员ID", "m.id", Kind::Int),
    col("昵称", "m.nickname", Kind::Text),
    col("组织", "o.name", Kind::Text),
];

const MEMBERS: [Column; 11] = [
    col("成员ID", "m.id", Kind::Int),
    col("昵称", "m.nickname", Kind::Text),
    col("姓名", "m.real_name", Kind::Text),
    col("手机号", "m.phone", Kind::Phone),
    col("政治面貌", "m.political_status", Kind::Text),
    col("流动党员", "m.is_mobile_member", Kind::Bool),
    col("流动所在地", "m.mobile_city", Kind::Text),
    col("组织ID", "o.id", Kind::Int),
    col("组织", "o.name", Kind::Text),
    col("加入时间", "om.joined_at", Kind::Time),
    col("志愿服务时长(小时)", "m.volunteer_minutes", Kind::Hours),
];

const CHECKINS: [Column; 11] = [
    col("打卡ID", "f.id", Kind::Int),
    col("日期", "f.local_date", Kind::Date),
    WHO[0],
    WHO[1],
    WHO[2],
    col("遗址ID", "f.site_id", Kind::Int),
    col("遗址", "s.name", Kind::Text),
    col("状态", "f.status", Kind::Text),
    col("距离(米)", "f.distance_m", Kind::Float),
    col("积分", "f.points_awarded", Kind::Int),
    col("打卡时间", "f.captured_at", Kind::Time),
];

const QUIZ: [Column; 12] = [
    col("答题ID", "f.id", Kind::Int),
    col("日期", "f.local_date", Kind::Date),
    WHO[0],
    WHO[1],
    WHO[2],
    col("状态", "f.status", Kind::Text),
    col("得分", "f.score", Kind::Int),
    col("满分", "f.max_score", Kind::Int),
    col("答对题数", "f.correct_count", Kind::Int),
    col("开始时间", "f.started_at", Kind::Time),
    col("交卷时间", "f.finished_at", Kind::Time),
    col("用时过短", "f.too_fast", Kind::Bool),
];

const EXAMS: [Column; 13] = [
    col("答卷ID", "f.id", Kind::Int),
    col("竞赛ID", "f.exam_id", Kind::Int),
    col("竞赛", "e.title", Kind::Text),
    col("第几次", "f.attempt_no", Kind::Int),
    WHO[0],
    WHO[1],
    WHO[2],
    col("得分", "f.score", Kind::Int),
    col("及格分", "f.pass_score", Kind::Int),
    col("满分", "f.max_score", Kind::Int),
    col("开始时间", "f.started_at", Kind::Time),
    col("交卷时间", "f.finished_at", Kind::Time),
    col("用时过短", "f.too_fast", Kind::Bool),
];

const READING: [Column; 8] = [
    WHO[0],
    WHO[1],
    WHO[2],
    col("文章ID", "f.article_id", Kind::Int),
    col("文章", "a.title", Kind::Text),
    col("日期", "f.local_date", Kind::Date),
    col("学习时长(秒)", "f.credited_seconds", Kind::Int),
    col("读完时间", "f.completed_at", Kind::Time),
];

const CLASSES: [Column; 8] = [
    col("课堂ID", "f.class_id", Kind::Int),
    col("课堂", "k.title", Kind::Text),
    WHO[0],
    WHO[1],
    WHO[2],
    col("日期", "f.local_date", Kind::Date),
    col("听课时长(秒)", "f.credited_seconds", Kind::Int),
    col("达标时间", "f.attended_at", Kind::Time),
];

const SUBMISSIONS: [Column; 15] = [
    col("投稿ID", "f.id", Kind::Int),
    col("日期", "f.local_date", Kind::Date),
    WHO[0],
    WHO[1],
    WHO[2],
    col("类型", "f.kind", Kind::Text),
    col("标题", "f.title", Kind::Text),
    col("活动ID", "f.campaign_id", Kind::Int),
    col("主题", "f.theme", Kind::Text),
    col("状态", "f.status", Kind::Text),
    col("服务日期", "f.service_date", Kind::Date),
    col("服务时长(小时)", "f.service_minutes", Kind::Hours),
    col("积分", "f.points_awarded", Kind::Int),
    col("点赞", "f.likes", Kind::Int),
    col("提交时间", "f.created_at", Kind::Time),
];

const LEDGER: [Column; 9] = [
    col("流水ID", "f.id", Kind::Int),
    col("日期", "f.local_date", Kind::Date),
    WHO[0],
    WHO[1],
    WHO[2],
    col("来源", "f.source", Kind::Text),
    col("来源编号", "f.source_id", Kind::Text),
    col("积分", "f.points", Kind::Int),
    col("时间", "f.created_at", Kind::Time),
];

const PARTICIPANTS: [Column; 5] = [
    col("成员ID", "m.id", Kind::Int),
    col("昵称", "m.nickname", Kind::Text),
    col("姓名", "m.real_name", Kind::Text),
    col("组织ID", "o.id", Kind::Int),
    col("组织", "o.name", Kind::Text),
];

fn source(dataset: Dataset) -> Option<Source> {
    let s = |columns, from: &str, day, filter, order| Source {
        columns,
        from: from.to_owned(),
        member: "f.member_id",
        day,
        filter,
        order,
    };
    Some(match dataset {
        Dataset::Members => Source {
            member: "m.id",
            ..s(&MEMBERS, "members m", None, None, "m.id")
        },
        Dataset::Checkins => s(
            &CHECKINS,
            "checkins f JOIN sites s ON s.id = f.site_id",
            Some("f.local_date"),
            None,
            "f.id",
        ),
        Dataset::QuizResults => s(
            &QUIZ,
            "quiz_attempts f",
            Some("f.local_date"),
            Some("f.kind = 'daily' AND f.status <> 'open'"),
            "f.id",
        ),
        Dataset::ExamResults => s(
            &EXAMS,
            "quiz_attempts f JOIN exams e ON e.id = f.exam_id",
            Some("f.local_date"),
            Some("f.kind = 'exam' AND f.status <> 'open'"),
            "f.id",
        ),
        Dataset::Reading => s(
            &READING,
            "article_reads f JOIN articles a ON a.id = f.article_id",
            Some("f.local_date"),
            None,
            "f.local_date, f.member_id, f.article_id",
        ),
        Dataset::Classes => s(
            &CLASSES,
            "class_attendance f JOIN classes k ON k.id = f.class_id",
            Some("f.local_date"),
            None,
            "f.class_id, f.member_id",
        ),
        Dataset::Submissions => s(
            &SUBMISSIONS,
            "submissions f",
            Some("f.local_date"),
            None,
            "f.id",
        ),
        Dataset::Ledger => s(
            &LEDGER,
            "points_ledger f",
            Some("f.local_date"),
            None,
            "f.id",
        ),
        Dataset::CampaignReport => Source {
            columns: &PARTICIPANTS,
            from: String::new(),
            member: "f.member_id",
            day: None,
            filter: None,
            // By the first column: with DISTINCT, MySQL sorts only by what is selected.
            order: "1",
        },
        Dataset::Overview => return None,
    })
}

/// An export ready to run: its name, header, and where its rows come from.
pub struct Export {
    pub dataset: Dataset,
    pub format: Format,
    pub name: String,
    pub header: Vec<&'static str>,
    rows: Rows,
    /// Who is exporting, and what the audit row says of it.
    actor_id: i64,
    scope_path: Option<String>,
    filters: serde_json::Value,
}

enum Rows {
    Query {
        statement: sea_orm::Statement,
        columns: &'static [Column],
        full_phones: bool,
        tz: Tz,
    },
    Table(Vec<Vec<Cell>>),
}

/// Decides what `dataset` covers for this caller, checking the org, the campaign and the
/// period (422 for each), before anything is sent.
pub async fn prepare(
    conn: &impl ConnectionTrait,
    actor_id: i64,
    scope: &AdminScope,
    dataset: Dataset,
    query: &DatasetQuery,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<Export, ApiError> {
    let today = crate::clock::local_date(now, tz);
    let format = query.format.unwrap_or_default();
    // Whole phone numbers only when a platform admin asks for them.
    let full_phones = query.phones == Some(Phones::Full);
    if full_phones && !scope.is_platform() {
        return Err(ApiError::Forbidden);
    }
    let subject = Subject::of(conn, scope, query.org_id).await?;
    let scope_path = subject
        .org
        .as_ref()
        .map(|o| o.path.clone())
        .or_else(|| subject.roots.as_ref().and_then(|r| r.first().cloned()));
    let dated = !matches!(dataset, Dataset::Members | Dataset::CampaignReport);
    let days = if dated {
        Some(period(query.from, query.to, today)?)
    } else {
        None
    };
    let mut name = dataset.as_str().replace('_', "-");
    if let Some((from, to)) = days {
        name.push_str(&format!("-{from}-{to}"));
    }
    let mut filters = json!({
        "dataset": dataset.as_str(),
        "format": if format == Format::Csv { "csv" } else { "xlsx" },
        "org_id": query.org_id,
        "from": days.map(|d| d.0),
        "to": days.map(|d| d.1),
    });
    let backend = conn.get_database_backend();
    let rows = match dataset {
        Dataset::Overview => {
            let overview = stats::overview(
                conn,
                scope,
                &OverviewQuery {
                    org_id: query.org_id,
                    from: days.map(|d| d.0),
                    to: days.map(|d| d.1),
                    ..Default::default()
                },
                today,
            )
            .await?;
            Rows::Table(
                overview
                    .by_day
                    .into_iter()
                    .map(|d| {
                        let mut row = vec![Cell::Date(d.date)];
                        row.extend(figure_cells(&d.figures));
                        row
                    })
                    .collect(),
            )
        }
        Dataset::CampaignReport => {
            let id = query
                .campaign_id
                .ok_or_else(|| ApiError::field("campaign_id", FieldIssue::new("required")))?;
            let (_, roots, days) = stats::campaign_scope(conn, scope, id, tz).await?;
            // Within the caller's subject too, when an org was named.
            let roots = stats::intersect(&roots, &subject.roots);
            let (from, values) = stats::participants_from(id, days);
            filters["campaign_id"] = json!(id);
            name.push_str(&format!("-{id}"));
            let src = Source {
                from,
                ..source(dataset).ok_or(ApiError::NotFound)?
            };
            query_rows(backend, &src, values, None, &roots, true, full_phones, tz)
        }
        _ => {
            let src = source(dataset).ok_or(ApiError::NotFound)?;
            query_rows(
                backend,
                &src,
                Vec::new(),
                days,
                &subject.roots,
                false,
                full_phones,
                tz,
            )
        }
    };
    let header = match dataset {
        Dataset::Overview => OVERVIEW_HEADER.to_vec(),
        _ => source(dataset)
            .map(|s| s.columns.iter().map(|c| c.header).collect())
            .unwrap_or_default(),
    };
    if dataset == Dataset::Members {
        filters["phones"] = json!(if full_phones { "full" } else { "masked" });
    }
    Ok(Export {
        dataset,
        format,
        name,
        header,
        rows,
        actor_id,
        scope_path,
        filters,
    })
}

#[allow(clippy::too_many_arguments)]
fn query_rows(
    backend: sea_orm::DatabaseBackend,
    src: &Source,
    values: Vec<Value>,
    days: Option<(NaiveDate, NaiveDate)>,
    roots: &Roots,
    distinct: bool,
    full_phones: bool,
    tz: Tz,
) -> Rows {
    let int = db::int_type(backend);
    let select: Vec<String> = src
        .columns
        .iter()
        .map(|c| match c.kind {
            Kind::Int | Kind::Hours => format!("CAST({} AS {int})", c.expr),
            _ => c.expr.to_owned(),
        })
        .collect();
    let from = if src.member == "m.id" {
        src.from.clone()
    } else {
        format!("{} JOIN members m ON m.id = {}", src.from, src.member)
    };
    let fact = Fact {
        day: src.day,
        filter: src.filter,
        ..Fact::new(from, src.member, Vec::new()).values(values)
    };
    let mut values = Vec::new();
    let sql = format!(
        "SELECT {}{}{} ORDER BY {}",
        if distinct { "DISTINCT " } else { "" },
        select.join(", "),
        from_where(&fact, roots.as_deref(), days, &mut values),
        src.order,
    );
    Rows::Query {
        statement: db::raw(backend, &sql, values),
        columns: src.columns,
        full_phones,
        tz,
    }
}

const OVERVIEW_HEADER: [&str; 22] = [
    "日期",
    "活跃人数",
    "打卡次数",
    "打卡遗址数",
    "完成路线",
    "每日答题次数",
    "每日答题人数",
    "每日答题平均分",
    "竞赛答卷",
    "竞赛及格",
    "竞赛及格率",
    "读完文章",
    "学习时长(秒)",
    "云课堂达标",
    "志愿服务时长(小时)",
    "积分",
    "待审投稿",
    "通过投稿",
    "精选投稿",
    "退回投稿",
    "撤回投稿",
    "志愿服务时长(分钟)",
];

fn figure_cells(f: &Figures) -> Vec<Cell> {
    vec![
        f.active_members.into(),
        f.checkins.into(),
        f.distinct_sites.into(),
        f.route_completions.into(),
        f.quiz_attempts.into(),
        f.quiz_participants.into(),
        f.quiz_average_score.into(),
        f.exam_attempts.into(),
        f.exam_passed.into(),
        f.exam_pass_rate.into(),
        f.articles_completed.into(),
        f.study_seconds.into(),
        f.class_attendances.into(),
        f.volunteer_hours.into(),
        f.points_paid.into(),
        f.submissions.pending.into(),
        f.submissions.approved.into(),
        f.submissions.featured.into(),
        f.submissions.rejected.into(),
        f.submissions.withdrawn.into(),
        f.volunteer_minutes.into(),
    ]
}

fn cells(
    row: &QueryResult,
    columns: &[Column],
    full_phones: bool,
    tz: Tz,
) -> Result<Vec<Cell>, sea_orm::DbErr> {
    let mut out = Vec::with_capacity(columns.len());
    for (i, c) in columns.iter().enumerate() {
        let cell = match c.kind {
            Kind::Int => row.try_get_by_index::<Option<i64>>(i)?.into(),
            Kind::Float => row.try_get_by_index::<Option<f64>>(i)?.into(),
            Kind::Text => row.try_get_by_index::<Option<String>>(i)?.into(),
            Kind::Date => row.try_get_by_index::<Option<NaiveDate>>(i)?.into(),
            Kind::Time => row
                .try_get_by_index::<Option<DateTime<Utc>>>(i)?
                .map_or(Cell::Empty, |t| {
                    Cell::Time(t.with_timezone(&tz).naive_local())
                }),
            Kind::Bool => row
                .try_get_by_index::<Option<bool>>(i)?
                .map_or(Cell::Empty, |b| Cell::from(if b { "是" } else { "否" })),
            Kind::Phone => row
                .try_get_by_index::<Option<String>>(i)?
                .map_or(Cell::Empty, |p| {
                    Cell::Text(if full_phones { p } else { mask_phone(&p) })
                }),
            Kind::Hours => row
                .try_get_by_index::<Option<i64>>(i)?
                .map_or(Cell::Empty, |m| {
                    Cell::Number((m as f64 / 60.0 * 100.0).round() / 100.0)
                }),
        };
        out.push(cell);
    }
    Ok(out)
}

/// The export's rows, read as they are sent: a cursor over the database for a query, which
/// holds one pooled connection until the last row.
pub async fn rows(
    conn: &DatabaseConnection,
    export: &mut Export,
) -> Result<std::pin::Pin<Box<dyn Stream<Item = anyhow::Result<Vec<Cell>>>>>, ApiError> {
    match std::mem::replace(&mut export.rows, Rows::Table(Vec::new())) {
        Rows::Table(rows) => Ok(Box::pin(futures_util::stream::iter(
            rows.into_iter().map(Ok),
        ))),
        Rows::Query {
            statement,
            columns,
            full_phones,
            tz,
        } => {
            let cursor = conn.stream_raw(statement).await?;
            Ok(Box::pin(cursor.map(move |row| {
                row.and_then(|row| cells(&row, columns, full_phones, tz))
                    .map_err(anyhow::Error::from)
            })))
        }
    }
}

/// Records the export in the audit log before a byte is sent (who, which dataset, its
/// filters): a failure here refuses the export. Answers the entry's id for [`audit_outcome`].
pub async fn audit_start(db: &Db, export: &Export, now: DateTime<Utc>) -> Result<i64, ApiError> {
    let mut after = export.filters.clone();
    after["rows"] = serde_json::Value::Null;
    after["complete"] = json!(false);
    db.write(|tx| {
        let after = after.clone();
        async move {
            record_returning_id(
                tx.as_ref(),
                Change {
                    actor_id: export.actor_id,
                    action: "data.export",
                    entity_type: "export",
                    entity_id: 0,
                    scope_path: export.scope_path.as_deref(),
                    before: None,
                    after: Some(after),
                },
                now,
            )
            .await
        }
    })
    .await
}

/// Completes the entry: how many rows, and whether all were sent.
pub async fn audit_outcome(
    db: &Db,
    entry: i64,
    export: &Export,
    outcome: Outcome,
) -> Result<(), ApiError> {
    let mut after = export.filters.clone();
    after["rows"] = json!(outcome.rows);
    after["complete"] = json!(outcome.complete);
    db.write(|tx| {
        let after = after.clone();
        async move { amend(tx.as_ref(), entry, after).await }
    })
    .await
}
