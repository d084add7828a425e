//! Statistics of an org subtree, 一企一档 and campaign reports: every figure is one aggregate
//! query over indexed columns ([`super::sql`]), grouped in the database by day, by child org or
//! by item; nothing loads the rows it counts.
use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use entity::{
    campaign_orgs, campaign_routes, campaigns, class_orgs, classes, exam_orgs, exams, orgs, routes,
    sites,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Value};

use super::dto::{
    CampaignReport, ChildFigures, ClassFigures, DayFigures, EnteredAndCounted, EnterpriseRecord,
    ExamFigures, Figure, Figures, MonthActivity, OrgProfile, Overview, OverviewQuery, Participant,
    ParticipantPage, ParticipatingOrg, ProfileChild, ProfileFigures, RouteFigures, SiteCheckins,
    SortOrder, SubmissionCounts, ThemeFigures, Totals,
};
use super::sql::{Fact, Key, from_where, statement, within};
use crate::auth::scope::{AdminScope, reaching};
use crate::clock::local_date;
use crate::error::{ApiError, FieldIssue};
use crate::http::paging::{Page, PageQuery};

/// The longest period an overview covers.
pub const MAX_DAYS: i64 = 366;

/// Who is counted: members whose org lies under these paths (`None`: every member in an org).
pub type Roots = Option<Vec<String>>;

/// Local days, first and last (inclusive).
pub type Days = (NaiveDate, NaiveDate);

/// A row's group.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Group {
    Id(i64),
    Day(NaiveDate),
    Text(Option<String>),
}

/// The named figures of one group; a figure never counted is 0.
#[derive(Debug, Default)]
pub struct Named(HashMap<&'static str, i64>);

impl Named {
    pub fn get(&self, name: &str) -> i64 {
        self.0.get(name).copied().unwrap_or(0)
    }
}

static NOTHING: LazyLock<Named> = LazyLock::new(Named::default);

/// Figures by group.
#[derive(Debug, Default)]
pub struct Counts(HashMap<Group, Named>);

impl Counts {
    pub fn of(&self, group: &Group) -> &Named {
        self.0.get(group).unwrap_or(&NOTHING)
    }

    /// The group of an id (an org, a site…); with [`Key::Total`], `id(0)` is everything.
    pub fn id(&self, id: i64) -> &Named {
        self.of(&Group::Id(id))
    }

    pub fn ids(&self) -> Vec<i64> {
        self.0
            .keys()
            .filter_map(|g| match g {
                Group::Id(id) => Some(*id),
                _ => None,
            })
            .collect()
    }
}

/// Runs each of `facts` grouped by `key` over the members under `roots` (and, for facts with
/// days, the days `days`), and names their aggregates.
async fn counts(
    conn: &impl ConnectionTrait,
    facts: &[Fact],
    key: Key<'_>,
    roots: &Roots,
    days: Option<Days>,
) -> Result<Counts, ApiError> {
    let mut out = Counts::default();
    let backend = conn.get_database_backend();
    for fact in facts {
        let st = statement(backend, fact, key, roots.as_deref(), days);
        for row in conn.query_all_raw(st).await? {
            let group = match key {
                Key::Day => Group::Day(row.try_get_by_index(0)?),
                Key::Text(_) => Group::Text(row.try_get_by_index(0)?),
                _ => Group::Id(row.try_get_by_index(0)?),
            };
            let named = &mut out.0.entry(group).or_default().0;
            for (i, (name, _)) in fact.aggs.iter().enumerate() {
                *named.entry(name).or_default() += row.try_get_by_index::<i64>(i + 1)?;
            }
        }
    }
    Ok(out)
}

fn ratio(part: i64, whole: i64, places: i32) -> Option<f64> {
    (whole > 0).then(|| round(part as f64 / whole as f64, places))
}

fn round(x: f64, places: i32) -> f64 {
    let k = 10f64.powi(places);
    (x * k).round() / k
}

/// The tables whose rows are a member's activity on a local day.
const ACTIVITY: [&str; 5] = [
    "checkins",
    "quiz_attempts",
    "article_reads",
    "class_attendance",
    "submissions",
];

/// Members' activity on the days `days` as rows `f(member_id, d)`.
fn activity(days: Days) -> Fact {
    let union = ACTIVITY
        .iter()
        .map(|t| {
            format!("SELECT member_id, local_date AS d FROM {t} WHERE local_date >= ? AND local_date <= ?")
        })
        .collect::<Vec<_>>()
        .join(" UNION ");
    let values = ACTIVITY
        .iter()
        .flat_map(|_| [Value::from(days.0), Value::from(days.1)])
        .collect();
    Fact::new(
        format!("({union}) f"),
        "f.member_id",
        vec![("active_members", "COUNT(DISTINCT f.member_id)")],
    )
    .values(values)
    .day("f.d")
}

/// Submissions by status, as aggregates named after the statuses.
const BY_STATUS: [(&str, &str); 5] = [
    (
        "pending",
        "SUM(CASE WHEN f.status = 'pending' THEN 1 ELSE 0 END)",
    ),
    (
        "approved",
        "SUM(CASE WHEN f.status = 'approved' THEN 1 ELSE 0 END)",
    ),
    (
        "featured",
        "SUM(CASE WHEN f.status = 'featured' THEN 1 ELSE 0 END)",
    ),
    (
        "rejected",
        "SUM(CASE WHEN f.status = 'rejected' THEN 1 ELSE 0 END)",
    ),
    (
        "withdrawn",
        "SUM(CASE WHEN f.status = 'withdrawn' THEN 1 ELSE 0 END)",
    ),
];

fn by_status(n: &Named) -> SubmissionCounts {
    SubmissionCounts {
        pending: n.get("pending"),
        approved: n.get("approved"),
        featured: n.get("featured"),
        rejected: n.get("rejected"),
        withdrawn: n.get("withdrawn"),
    }
}

/// Reading: completions and counted seconds.
fn reading() -> Fact {
    Fact::new(
        "article_reads f",
        "f.member_id",
        vec![
            (
                "articles_completed",
                "SUM(CASE WHEN f.completed_at IS NOT NULL THEN 1 ELSE 0 END)",
            ),
            ("reading_seconds", "SUM(f.credited_seconds)"),
        ],
    )
    .day("f.local_date")
}

/// The overview's facts.
fn overview_facts(days: Days) -> Vec<Fact> {
    vec![
        activity(days),
        Fact::new(
            "checkins f",
            "f.member_id",
            vec![
                ("checkins", "COUNT(*)"),
                ("distinct_sites", "COUNT(DISTINCT f.site_id)"),
            ],
        )
        .day("f.local_date")
        .filter("f.status = 'accepted'", vec![]),
        Fact::new(
            "route_completions f JOIN checkins c ON c.id = f.checkin_id",
            "f.member_id",
            vec![("route_completions", "COUNT(*)")],
        )
        .day("c.local_date"),
        Fact::new(
            "quiz_attempts f",
            "f.member_id",
            vec![
                (
                    "quiz_attempts",
                    "SUM(CASE WHEN f.kind = 'daily' THEN 1 ELSE 0 END)",
                ),
                (
                    "quiz_participants",
                    "COUNT(DISTINCT CASE WHEN f.kind = 'daily' THEN f.member_id END)",
                ),
                (
                    "quiz_score_sum",
                    "SUM(CASE WHEN f.kind = 'daily' THEN f.score ELSE 0 END)",
                ),
                (
                    "exam_attempts",
                    "SUM(CASE WHEN f.kind = 'exam' THEN 1 ELSE 0 END)",
                ),
                (
                    "exam_passed",
                    "SUM(CASE WHEN f.kind = 'exam' AND f.score >= f.pass_score THEN 1 ELSE 0 END)",
                ),
            ],
        )
        .day("f.local_date")
        .filter("f.status <> 'open' AND f.kind IN ('daily', 'exam')", vec![]),
        reading(),
        Fact::new(
            "class_attendance f",
            "f.member_id",
            vec![
                (
                    "class_attendances",
                    "SUM(CASE WHEN f.attended_at IS NOT NULL THEN 1 ELSE 0 END)",
                ),
                ("class_seconds", "SUM(f.credited_seconds)"),
            ],
        )
        .day("f.local_date"),
        Fact::new("submissions f", "f.member_id", BY_STATUS.to_vec()).day("f.local_date"),
        Fact::new(
            "submissions f",
            "f.member_id",
            vec![("volunteer_minutes", "SUM(f.service_minutes)")],
        )
        .day("f.service_date")
        .filter(
            "f.kind = 'volunteer_service' AND f.paid_at IS NOT NULL",
            vec![],
        ),
        Fact::new(
            "points_ledger f",
            "f.member_id",
            vec![("points_paid", "SUM(f.points)")],
        )
        .day("f.local_date"),
    ]
}

fn figures(n: &Named) -> Figures {
    let quiz_attempts = n.get("quiz_attempts");
    let volunteer_minutes = n.get("volunteer_minutes");
    Figures {
        active_members: n.get("active_members"),
        checkins: n.get("checkins"),
        distinct_sites: n.get("distinct_sites"),
        route_completions: n.get("route_completions"),
        quiz_attempts,
        quiz_participants: n.get("quiz_participants"),
        quiz_average_score: ratio(n.get("quiz_score_sum"), quiz_attempts, 2),
        exam_attempts: n.get("exam_attempts"),
        exam_passed: n.get("exam_passed"),
        exam_pass_rate: ratio(n.get("exam_passed"), n.get("exam_attempts"), 4),
        articles_completed: n.get("articles_completed"),
        study_seconds: n.get("reading_seconds") + n.get("class_seconds"),
        class_attendances: n.get("class_attendances"),
        volunteer_minutes,
        volunteer_hours: round(volunteer_minutes as f64 / 60.0, 2),
        points_paid: n.get("points_paid"),
        submissions: by_status(n),
    }
}
fn figure_of(f: &Figures, by: Figure) -> f64 {
    match by {
        Figure::ActiveMembers => f.active_members as f64,
        Figure::Checkins => f.checkins as f64,
        Figure::DistinctSites => f.distinct_sites as f64,
        Figure::RouteCompletions => f.route_completions as f64,
        Figure::QuizAttempts => f.quiz_attempts as f64,
        Figure::ExamAttempts => f.exam_attempts as f64,
        Figure::ArticlesCompleted => f.articles_completed as f64,
        Figure::StudySeconds => f.study_seconds as f64,
        Figure::ClassAttendances => f.class_attendances as f64,
        Figure::VolunteerHours => f.volunteer_minutes as f64,
        Figure::PointsPaid => f.points_paid as f64,
    }
}

/// The period asked for: `to` defaults to today, `from` to 29 days before it.
pub fn period(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<Days, ApiError> {
    let earliest = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(NaiveDate::MIN);
    let latest = NaiveDate::from_ymd_opt(2100, 12, 31).unwrap_or(NaiveDate::MAX);
    for (field, day) in [("from", from), ("to", to)] {
        if day.is_some_and(|d| d < earliest || d > latest) {
            return Err(ApiError::field(field, FieldIssue::new("day_out_of_range")));
        }
    }
    let to = to.unwrap_or(today);
    let from = from.unwrap_or(to - Duration::days(29));
    if from > to {
        return Err(ApiError::field("from", FieldIssue::new("after_to")));
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(ApiError::field("to", FieldIssue::new("period_too_long")));
    }
    Ok((from, to))
}

/// The subject of a figure: the org asked for (checked against the scope) or the whole scope,
/// and the orgs that get a row of their own beside it.
pub struct Subject {
    pub org: Option<orgs::Model>,
    pub roots: Roots,
    pub children: Vec<orgs::Model>,
}

impl Subject {
    pub async fn of(
        conn: &impl ConnectionTrait,
        scope: &AdminScope,
        org_id: Option<i64>,
    ) -> Result<Self, ApiError> {
        if let Some(id) = org_id {
            // Outside the scope: not found, as if it did not exist.
            let org = scope.find_org(conn, id).await?;
            let children = orgs::Entity::find()
                .filter(orgs::Column::ParentId.eq(id))
                .order_by_asc(orgs::Column::Id)
                .all(conn)
                .await?;
            return Ok(Subject {
                roots: Some(vec![org.path.clone()]),
                org: Some(org),
                children,
            });
        }
        let children = match scope {
            AdminScope::Platform => {
                orgs::Entity::find()
                    .filter(orgs::Column::ParentId.is_null())
                    .order_by_asc(orgs::Column::Id)
                    .all(conn)
                    .await?
            }
            AdminScope::Orgs(paths) => {
                orgs::Entity::find()
                    .filter(orgs::Column::Path.is_in(paths.clone()))
                    .order_by_asc(orgs::Column::Id)
                    .all(conn)
                    .await?
            }
        };
        // An admin of an org and of another below it: the lower one is inside the upper.
        let outermost = |paths: &[String]| -> Vec<String> {
            paths
                .iter()
                .filter(|p| !paths.iter().any(|q| q != *p && p.starts_with(q.as_str())))
                .cloned()
                .collect()
        };
        let roots = match scope {
            AdminScope::Platform => None,
            AdminScope::Orgs(paths) => Some(outermost(paths)),
        };
        let children = match &roots {
            Some(roots) => children
                .into_iter()
                .filter(|o| roots.contains(&o.path))
                .collect(),
            None => children,
        };
        Ok(Subject {
            org: None,
            roots,
            children,
        })
    }

    fn trees(&self) -> Vec<(i64, String)> {
        self.children
            .iter()
            .map(|o| (o.id, o.path.clone()))
            .collect()
    }
}

/// Points by ledger source over the period.
async fn points_by_source(
    conn: &impl ConnectionTrait,
    roots: &Roots,
    days: Days,
) -> Result<BTreeMap<String, i64>, ApiError> {
    let fact = Fact::new(
        "points_ledger f",
        "f.member_id",
        vec![("points", "SUM(f.points)")],
    )
    .day("f.local_date");
    let by_source = counts(conn, &[fact], Key::Text("f.source"), roots, Some(days)).await?;
    Ok(by_source
        .0
        .iter()
        .filter_map(|(g, n)| match g {
            Group::Text(Some(source)) => Some((source.clone(), n.get("points"))),
            _ => None,
        })
        .collect())
}

pub async fn overview(
    conn: &impl ConnectionTrait,
    scope: &AdminScope,
    query: &OverviewQuery,
    today: NaiveDate,
) -> Result<Overview, ApiError> {
    let days = period(query.from, query.to, today)?;
    let subject = Subject::of(conn, scope, query.org_id).await?;
    let facts = overview_facts(days);
    let roots = &subject.roots;
    let total = counts(conn, &facts, Key::Total, roots, Some(days)).await?;
    let by_day = counts(conn, &facts, Key::Day, roots, Some(days)).await?;
    let trees = subject.trees();
    let by_child = counts(conn, &facts, Key::Subtrees(&trees), roots, Some(days)).await?;
    let mut children: Vec<ChildFigures> = subject
        .children
        .iter()
        .map(|o| ChildFigures {
            org_id: o.id,
            name: o.name.clone(),
            kind: o.kind.clone(),
            figures: figures(by_child.id(o.id)),
        })
        .collect();
    if let Some(by) = query.sort {
        let desc = query.order != Some(SortOrder::Asc);
        children.sort_by(|a, b| {
            let (x, y) = (figure_of(&a.figures, by), figure_of(&b.figures, by));
            let ord = if desc {
                y.total_cmp(&x)
            } else {
                x.total_cmp(&y)
            };
            ord.then(a.org_id.cmp(&b.org_id))
        });
    }
    Ok(Overview {
        org_id: subject.org.as_ref().map(|o| o.id),
        from: days.0,
        to: days.1,
        totals: Totals {
            figures: figures(total.id(0)),
            points_by_source: points_by_source(conn, roots, days).await?,
        },
        by_day: days
            .0
            .iter_days()
            .take_while(|d| *d <= days.1)
            .map(|date| DayFigures {
                date,
                figures: figures(by_day.of(&Group::Day(date))),
            })
            .collect(),
        children,
    })
}

// ---- 一企一档 ----

const POLITICAL: [&str; 5] = [
    "party_member",
    "probationary",
    "activist",
    "applicant",
    "masses",
];

/// The profile's facts; those with days count this month.
fn profile_facts(month: Days) -> Vec<Fact> {
    let orgs = Fact {
        member: None,
        ..Fact::new(
            "orgs o",
            "",
            vec![
                (
                    "enterprises",
                    "SUM(CASE WHEN o.kind = 'party_org' THEN 1 ELSE 0 END)",
                ),
                (
                    "branches",
                    "SUM(CASE WHEN o.kind = 'branch' THEN 1 ELSE 0 END)",
                ),
                // Entered figures: a sum, and how many enterprises entered one.
                (
                    "staff_entered",
                    "SUM(CASE WHEN o.kind = 'party_org' THEN o.staff_count END)",
                ),
                (
                    "staff_entered_n",
                    "COUNT(CASE WHEN o.kind = 'party_org' THEN o.staff_count END)",
                ),
                (
                    "party_entered",
                    "SUM(CASE WHEN o.kind = 'party_org' THEN o.party_member_count END)",
                ),
                (
                    "party_entered_n",
                    "COUNT(CASE WHEN o.kind = 'party_org' THEN o.party_member_count END)",
                ),
                (
                    "branches_entered",
                    "SUM(CASE WHEN o.kind = 'party_org' THEN COALESCE(o.branch_count, 0) + COALESCE(o.joint_branch_count, 0) END)",
                ),
                (
                    "branches_entered_n",
                    "COUNT(CASE WHEN o.kind = 'party_org' AND (o.branch_count IS NOT NULL OR o.joint_branch_count IS NOT NULL) THEN 1 END)",
                ),
                (
                    "joint_entered",
                    "SUM(CASE WHEN o.kind = 'party_org' THEN o.joint_branch_count END)",
                ),
                (
                    "joint_entered_n",
                    "COUNT(CASE WHEN o.kind = 'party_org' THEN o.joint_branch_count END)",
                ),
            ],
        )
    };
    let members = Fact::new(
        "members f",
        "f.id",
        vec![
            ("members", "COUNT(*)"),
            (
                "party_member",
                "SUM(CASE WHEN f.political_status = 'party_member' THEN 1 ELSE 0 END)",
            ),
            (
                "probationary",
                "SUM(CASE WHEN f.political_status = 'probationary' THEN 1 ELSE 0 END)",
            ),
            (
                "activist",
                "SUM(CASE WHEN f.political_status = 'activist' THEN 1 ELSE 0 END)",
            ),
            (
                "applicant",
                "SUM(CASE WHEN f.political_status = 'applicant' THEN 1 ELSE 0 END)",
            ),
            (
                "masses",
                "SUM(CASE WHEN f.political_status = 'masses' THEN 1 ELSE 0 END)",
            ),
            (
                "mobile_members",
                "SUM(CASE WHEN f.is_mobile_member THEN 1 ELSE 0 END)",
            ),
        ],
    );
    let member_count = |name, from: &str, filter| {
        Fact::new(
            from.to_owned(),
            "f.member_id",
            vec![(name, "COUNT(DISTINCT f.member_id)")],
        )
        .day("f.local_date")
        .filter(filter, vec![])
    };
    vec![
        orgs,
        members,
        Fact::new(
            "points_ledger f",
            "f.member_id",
            vec![("points_ever", "SUM(f.points)")],
        ),
        activity(month),
        member_count("checkin_members", "checkins f", "f.status = 'accepted'"),
        member_count(
            "quiz_members",
            "quiz_attempts f",
            "f.kind = 'daily' AND f.status <> 'open'",
        ),
        member_count("reading_members", "article_reads f", "1 = 1"),
        Fact::new(
            "points_ledger f",
            "f.member_id",
            vec![("points_month", "SUM(f.points)")],
        )
        .day("f.local_date"),
    ]
}

/// The last local day of any activity, per group: each table asked only about the members
/// under `roots`.
async fn last_active(
    conn: &impl ConnectionTrait,
    key: Key<'_>,
    roots: &Roots,
) -> Result<HashMap<i64, NaiveDate>, ApiError> {
    let mut values = Vec::new();
    let mut parts = Vec::new();
    for table in ACTIVITY {
        let mine = match roots {
            Some(roots) => format!(
                " WHERE member_id IN (SELECT om.member_id FROM org_members om \
                 JOIN orgs o ON o.id = om.org_id WHERE {})",
                within(roots, &mut values)
            ),
            None => String::new(),
        };
        parts.push(format!(
            "SELECT member_id, MAX(local_date) AS d FROM {table}{mine} GROUP BY member_id"
        ));
    }
    let fact = Fact {
        raw: true,
        ..Fact::new(
            format!("({}) f", parts.join(" UNION ALL ")),
            "f.member_id",
            vec![("last", "MAX(f.d)")],
        )
        .values(values)
    };
    let st = statement(
        conn.get_database_backend(),
        &fact,
        key,
        roots.as_deref(),
        None,
    );
    let mut out = HashMap::new();
    for row in conn.query_all_raw(st).await? {
        if let Some(day) = row.try_get_by_index::<Option<NaiveDate>>(1)? {
            out.insert(row.try_get_by_index(0)?, day);
        }
    }
    Ok(out)
}

fn entered(n: &Named, name: &str) -> Option<i64> {
    (n.get(&format!("{name}_n")) > 0).then(|| n.get(name))
}

fn profile_figures(n: &Named, last: Option<NaiveDate>, month: Days) -> ProfileFigures {
    let members = n.get("members");
    let mut by_status: BTreeMap<String, i64> = POLITICAL
        .iter()
        .map(|s| ((*s).to_owned(), n.get(s)))
        .collect();
    let known: i64 = POLITICAL.iter().map(|s| n.get(s)).sum();
    by_status.insert("unknown".to_owned(), members - known);
    let party_members = EnteredAndCounted {
        entered: entered(n, "party_entered"),
        counted: n.get("party_member") + n.get("probationary"),
    };
    let branches = EnteredAndCounted {
        entered: entered(n, "branches_entered"),
        counted: n.get("branches"),
    };
    let stale = party_members.entered != Some(party_members.counted);
    let rate = |name| ratio(n.get(name), members, 4);
    ProfileFigures {
        enterprises: n.get("enterprises"),
        staff: EnteredAndCounted {
            entered: entered(n, "staff_entered"),
            counted: members,
        },
        party_members,
        branches,
        joint_branches: entered(n, "joint_entered"),
        members,
        members_by_political_status: by_status,
        mobile_members: n.get("mobile_members"),
        points_per_member: ratio(n.get("points_ever"), members, 2),
        last_active_on: last,
        month: MonthActivity {
            from: month.0,
            to: month.1,
            active_members: n.get("active_members"),
            active_rate: rate("active_members"),
            checkin_members: n.get("checkin_members"),
            checkin_rate: rate("checkin_members"),
            quiz_members: n.get("quiz_members"),
            quiz_rate: rate("quiz_members"),
            reading_members: n.get("reading_members"),
            reading_rate: rate("reading_members"),
            points_per_member: ratio(n.get("points_month"), members, 2),
        },
        stale,
    }
}

pub async fn profile(
    conn: &impl ConnectionTrait,
    scope: &AdminScope,
    org_id: i64,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<OrgProfile, ApiError> {
    let org = scope.find_org(conn, org_id).await?;
    let subject = Subject::of(conn, scope, Some(org_id)).await?;
    let today = local_date(now, tz);
    let month = (today.with_day(1).unwrap_or(today), today);
    let trees = subject.trees();
    let roots = &subject.roots;
    let facts = profile_facts(month);
    let total = counts(conn, &facts, Key::Total, roots, Some(month)).await?;
    let by_child = counts(conn, &facts, Key::Subtrees(&trees), roots, Some(month)).await?;
    let last_total = last_active(conn, Key::Total, roots).await?;
    let last_child = last_active(conn, Key::Subtrees(&trees), roots).await?;
    let children = subject
        .children
        .iter()
        .map(|o| ProfileChild {
            org_id: o.id,
            name: o.name.clone(),
            kind: o.kind.clone(),
            figures: profile_figures(by_child.id(o.id), last_child.get(&o.id).copied(), month),
        })
        .collect();
    let enterprise = (org.kind == "party_org").then(|| EnterpriseRecord {
        enterprise_name: org.enterprise_name.clone(),
        credit_code: org.credit_code.clone(),
        region: org.region.clone(),
        staff_count: org.staff_count,
        party_member_count: org.party_member_count,
        branch_count: org.branch_count,
        joint_branch_count: org.joint_branch_count,
        output_value: org.output_value.clone(),
    });
    Ok(OrgProfile {
        org_id: org.id,
        name: org.name,
        kind: org.kind,
        enterprise,
        figures: profile_figures(total.id(0), last_total.get(&0).copied(), month),
        children,
        computed_at: now,
    })
}

// ---- campaign reports ----

/// The subtrees in both `a` and `b` (`None`: everything).
pub fn intersect(a: &Roots, b: &Roots) -> Roots {
    let (Some(a), Some(b)) = (a, b) else {
        return a.clone().or_else(|| b.clone());
    };
    let mut out: Vec<String> = a
        .iter()
        .flat_map(|x| {
            b.iter().filter_map(move |y| {
                if x.starts_with(y.as_str()) {
                    Some(x.clone())
                } else if y.starts_with(x.as_str()) {
                    Some(y.clone())
                } else {
                    None
                }
            })
        })
        .collect();
    out.sort();
    out.dedup();
    Some(out)
}

/// The members who took part in campaign `id` on the days `days` (see [`CampaignReport`]),
/// as a `FROM` item `f(member_id)` with its values.
pub fn participants_from(id: i64, days: Days) -> (String, Vec<Value>) {
    let sql = "(SELECT c.member_id FROM checkins c WHERE c.status = 'accepted' \
        AND c.local_date >= ? AND c.local_date <= ? AND c.site_id IN (SELECT rs.site_id \
        FROM route_sites rs JOIN campaign_routes cr ON cr.route_id = rs.route_id \
        WHERE cr.campaign_id = ?) \
        UNION SELECT q.member_id FROM quiz_attempts q JOIN exams e ON e.id = q.exam_id \
        WHERE e.campaign_id = ? AND q.status <> 'open' \
        UNION SELECT s.member_id FROM submissions s WHERE s.campaign_id = ? \
        AND s.status <> 'withdrawn' \
        UNION SELECT a.member_id FROM class_attendance a JOIN classes k ON k.id = a.class_id \
        WHERE k.campaign_id = ? AND a.attended_at IS NOT NULL) f";
    let values = vec![
        days.0.into(),
        days.1.into(),
        id.into(),
        id.into(),
        id.into(),
        id.into(),
    ];
    (sql.to_owned(), values)
}

/// Campaign `id` as the caller may see it (404 unless it reaches their scope: given to an
/// org in it or above it): the campaign, the members counted (in both its orgs' subtrees and
/// the scope) and its local days.
pub async fn campaign_scope(
    conn: &impl ConnectionTrait,
    scope: &AdminScope,
    id: i64,
    tz: Tz,
) -> Result<(campaigns::Model, Roots, Days), ApiError> {
    let campaign = campaigns::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(ApiError::NotFound)?;
    let org_ids: Vec<i64> = campaign_orgs::Entity::find()
        .filter(campaign_orgs::Column::CampaignId.eq(id))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| r.org_id)
        .collect();
    let pairs = org_ids.iter().map(|o| (id, *o)).collect();
    if !scope.is_platform() && !reaching(conn, scope, pairs).await?.contains(&id) {
        return Err(ApiError::NotFound);
    }
    let paths = orgs::Entity::find()
        .filter(orgs::Column::Id.is_in(org_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|o| o.path)
        .collect();
    let scope_roots = match scope {
        AdminScope::Platform => None,
        AdminScope::Orgs(paths) => Some(paths.clone()),
    };
    let days = (
        local_date(*campaign.starts_at, tz),
        local_date(*campaign.ends_at, tz),
    );
    Ok((campaign, intersect(&Some(paths), &scope_roots), days))
}

/// The participating orgs: each member's org rolled up to the enterprise above it (or
/// itself), else kept as it is.
async fn participating_orgs(
    conn: &impl ConnectionTrait,
    scope: &AdminScope,
    by_org: &Counts,
) -> Result<Vec<ParticipatingOrg>, ApiError> {
    let member_orgs = orgs::Entity::find()
        .filter(orgs::Column::Id.is_in(by_org.ids()))
        .all(conn)
        .await?;
    let ancestors: Vec<i64> = member_orgs
        .iter()
        .flat_map(|o| o.path.split('/').filter_map(|s| s.parse::<i64>().ok()))
        .collect();
    let enterprises: HashMap<i64, orgs::Model> = orgs::Entity::find()
        .filter(orgs::Column::Id.is_in(ancestors))
        .filter(orgs::Column::Kind.eq("party_org"))
        .all(conn)
        .await?
        .into_iter()
        // An enterprise above the caller's scope is not theirs to name.
        .filter(|o| scope.covers(&o.path))
        .map(|o| (o.id, o))
        .collect();
    let mut rolled: BTreeMap<i64, ParticipatingOrg> = BTreeMap::new();
    for org in &member_orgs {
        let up = org
            .path
            .split('/')
            .filter_map(|s| s.parse::<i64>().ok())
            .find_map(|id| enterprises.get(&id))
            .unwrap_or(org);
        rolled
            .entry(up.id)
            .or_insert_with(|| ParticipatingOrg {
                org_id: up.id,
                name: up.name.clone(),
                kind: up.kind.clone(),
                members: 0,
            })
            .members += by_org.id(org.id).get("members");
    }
    Ok(rolled.into_values().collect())
}

/// Campaign `id`'s items as (id, name) in id order: its routes, and the exams and classes
/// of it that are not withdrawn and reach the scope (as their own lists show them).
async fn campaign_items(
    conn: &impl ConnectionTrait,
    scope: &AdminScope,
    id: i64,
) -> Result<[Vec<(i64, String)>; 3], ApiError> {
    let route_ids: Vec<i64> = campaign_routes::Entity::find()
        .filter(campaign_routes::Column::CampaignId.eq(id))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| r.route_id)
        .collect();
    let routes = routes::Entity::find()
        .filter(routes::Column::Id.is_in(route_ids))
        .order_by_asc(routes::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    let exams: Vec<(i64, String)> = exams::Entity::find()
        .filter(exams::Column::CampaignId.eq(id))
        .filter(exams::Column::DeletedAt.is_null())
        .order_by_asc(exams::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|e| (e.id, e.title))
        .collect();
    let classes: Vec<(i64, String)> = classes::Entity::find()
        .filter(classes::Column::CampaignId.eq(id))
        .filter(classes::Column::DeletedAt.is_null())
        .order_by_asc(classes::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|k| (k.id, k.title))
        .collect();
    if scope.is_platform() {
        return Ok([routes, exams, classes]);
    }
    let exam_pairs = exam_orgs::Entity::find()
        .filter(exam_orgs::Column::ExamId.is_in(exams.iter().map(|e| e.0)))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.exam_id, r.org_id))
        .collect();
    let class_pairs = class_orgs::Entity::find()
        .filter(class_orgs::Column::ClassId.is_in(classes.iter().map(|k| k.0)))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.class_id, r.org_id))
        .collect();
    let seen_exams = reaching(conn, scope, exam_pairs).await?;
    let seen_classes = reaching(conn, scope, class_pairs).await?;
    Ok([
        routes,
        exams
            .into_iter()
            .filter(|e| seen_exams.contains(&e.0))
            .collect(),
        classes
            .into_iter()
            .filter(|k| seen_classes.contains(&k.0))
            .collect(),
    ])
}

pub async fn campaign_report(
    conn: &impl ConnectionTrait,
    scope: &AdminScope,
    id: i64,
    page: &PageQuery,
    tz: Tz,
) -> Result<CampaignReport, ApiError> {
    let (campaign, roots, days) = campaign_scope(conn, scope, id, tz).await?;
    let roots = &roots;
    let (from, values) = participants_from(id, days);
    let people = || {
        Fact::new(
            from.clone(),
            "f.member_id",
            vec![("members", "COUNT(DISTINCT f.member_id)")],
        )
        .values(values.clone())
    };
    let by_org = counts(conn, &[people()], Key::Id("o.id"), roots, None).await?;
    let people = counts(conn, &[people()], Key::Total, roots, None).await?;
    let orgs = participating_orgs(conn, scope, &by_org).await?;

    let checkins = Fact::new(
        "checkins f",
        "f.member_id",
        vec![
            ("checkins", "COUNT(*)"),
            ("members", "COUNT(DISTINCT f.member_id)"),
        ],
    )
    .day("f.local_date")
    .filter(
        "f.status = 'accepted' AND f.site_id IN (SELECT rs.site_id FROM route_sites rs \
         JOIN campaign_routes cr ON cr.route_id = rs.route_id WHERE cr.campaign_id = ?)",
        vec![id.into()],
    );
    let checkins = [checkins];
    let by_site = counts(conn, &checkins, Key::Id("f.site_id"), roots, Some(days)).await?;
    let checkin_total = counts(conn, &checkins, Key::Total, roots, Some(days)).await?;
    let mut sites: Vec<SiteCheckins> = sites::Entity::find()
        .filter(sites::Column::Id.is_in(by_site.ids()))
        .all(conn)
        .await?
        .into_iter()
        .map(|s| SiteCheckins {
            site_id: s.id,
            checkins: by_site.id(s.id).get("checkins"),
            members: by_site.id(s.id).get("members"),
            name: s.name,
        })
        .collect();
    sites.sort_by_key(|s| s.site_id);

    let completions = Fact::new(
        "route_completions f JOIN checkins c ON c.id = f.checkin_id",
        "f.member_id",
        vec![("completions", "COUNT(*)")],
    )
    .day("c.local_date")
    .filter(
        "f.route_id IN (SELECT cr.route_id FROM campaign_routes cr WHERE cr.campaign_id = ?)",
        vec![id.into()],
    );
    let by_route = counts(
        conn,
        &[completions],
        Key::Id("f.route_id"),
        roots,
        Some(days),
    )
    .await?;
    let exam_attempts = Fact::new(
        "quiz_attempts f",
        "f.member_id",
        vec![
            ("attempts", "COUNT(*)"),
            ("members", "COUNT(DISTINCT f.member_id)"),
            (
                "passed",
                "COUNT(DISTINCT CASE WHEN f.score >= f.pass_score THEN f.member_id END)",
            ),
        ],
    )
    .filter(
        "f.status <> 'open' AND f.exam_id IN (SELECT e.id FROM exams e WHERE e.campaign_id = ?)",
        vec![id.into()],
    );
    let by_exam = counts(conn, &[exam_attempts], Key::Id("f.exam_id"), roots, None).await?;
    let attendance = Fact::new(
        "class_attendance f",
        "f.member_id",
        vec![("attended", "COUNT(*)")],
    )
    .filter(
        "f.attended_at IS NOT NULL AND f.class_id IN (SELECT k.id FROM classes k WHERE k.campaign_id = ?)",
        vec![id.into()],
    );
    let by_class = counts(conn, &[attendance], Key::Id("f.class_id"), roots, None).await?;
    let [route_items, exam_items, class_items] = campaign_items(conn, scope, id).await?;
    let routes: Vec<RouteFigures> = route_items
        .into_iter()
        .map(|(route_id, name)| RouteFigures {
            route_id,
            name,
            completions: by_route.id(route_id).get("completions"),
        })
        .collect();
    let exams = exam_items
        .into_iter()
        .map(|(exam_id, title)| {
            let n = by_exam.id(exam_id);
            ExamFigures {
                exam_id,
                title,
                attempts: n.get("attempts"),
                members: n.get("members"),
                passed_members: n.get("passed"),
                pass_rate: ratio(n.get("passed"), n.get("members"), 4),
            }
        })
        .collect();
    let classes: Vec<ClassFigures> = class_items
        .into_iter()
        .map(|(class_id, title)| ClassFigures {
            class_id,
            title,
            attended: by_class.id(class_id).get("attended"),
        })
        .collect();

    let mut theme_aggs = vec![("total", "COUNT(*)")];
    theme_aggs.extend(BY_STATUS);
    theme_aggs.extend([
        // A first-stage decision sets first_reviewed_by; a rejection in that stage also sets
        // reviewed_by to the same admin, while the final stage is always someone else's.
        ("first", "SUM(CASE WHEN f.two_stage AND f.first_reviewed_by IS NOT NULL AND (f.reviewed_by IS NULL OR f.reviewed_by <> f.first_reviewed_by) THEN 1 ELSE 0 END)"),
        ("final", "SUM(CASE WHEN f.status IN ('approved', 'featured') THEN 1 ELSE 0 END)"),
    ]);
    let submissions = Fact::new("submissions f", "f.member_id", theme_aggs)
        .filter("f.campaign_id = ?", vec![id.into()]);
    let by_theme = counts(conn, &[submissions], Key::Text("f.theme"), roots, None).await?;
    let mut themes: Vec<ThemeFigures> = by_theme
        .0
        .iter()
        .filter_map(|(g, n)| match g {
            Group::Text(theme) => Some(ThemeFigures {
                theme: theme.clone(),
                total: n.get("total"),
                by_status: by_status(n),
                passed_first_stage: n.get("first"),
                passed_final: n.get("final"),
            }),
            _ => None,
        })
        .collect();
    themes.sort_by(|a, b| a.theme.cmp(&b.theme));
    let reads = counts(conn, &[reading()], Key::Total, roots, Some(days)).await?;
    Ok(CampaignReport {
        campaign_id: id,
        title: campaign.title,
        from: days.0,
        to: days.1,
        participating_orgs: orgs.len() as i64,
        participating_members: people.id(0).get("members"),
        orgs,
        checkins: checkin_total.id(0).get("checkins"),
        checkin_members: checkin_total.id(0).get("members"),
        sites,
        route_completions: routes.iter().map(|r| r.completions).sum(),
        routes,
        exams,
        submissions: themes.iter().map(|t| t.total).sum(),
        themes,
        reads: reads.id(0).get("articles_completed"),
        study_seconds: reads.id(0).get("reading_seconds"),
        class_attendances: classes.iter().map(|c| c.attended).sum(),
        classes,
        participants: participants_page(conn, id, days, roots, page).await?,
    })
}

/// A page of the campaign's participants by member id.
async fn participants_page(
    conn: &impl ConnectionTrait,
    id: i64,
    days: Days,
    roots: &Roots,
    page: &PageQuery,
) -> Result<ParticipantPage, ApiError> {
    let (from, values) = participants_from(id, days);
    let people = Fact::new(
        format!("{from} JOIN members m ON m.id = f.member_id"),
        "f.member_id",
        Vec::new(),
    )
    .values(values)
    .filter("f.member_id > ?", vec![page.after()?.unwrap_or(0).into()]);
    let limit = page.limit();
    let mut values = Vec::new();
    let sql = format!(
        "SELECT DISTINCT f.member_id, m.nickname, m.real_name, o.id, o.name{} \
         ORDER BY f.member_id LIMIT {}",
        from_where(&people, roots.as_deref(), None, &mut values),
        limit + 1
    );
    let st = crate::db::raw(conn.get_database_backend(), &sql, values);
    let mut items = Vec::new();
    for row in conn.query_all_raw(st).await? {
        items.push(Participant {
            member_id: row.try_get_by_index(0)?,
            nickname: row.try_get_by_index(1)?,
            real_name: row.try_get_by_index(2)?,
            org_id: row.try_get_by_index(3)?,
            org_name: row.try_get_by_index(4)?,
        });
    }
    let page = Page::from_rows(items, limit, |p| p.member_id, |p| p);
    Ok(ParticipantPage {
        items: page.items,
        next_cursor: page.next_cursor,
    })
}
