//! `redtrail seed bench`: a large, realistic data set for the scale benchmark (issue 15), on a
//! fresh database. Rows are written in bulk (multi-row inserts, one transaction per batch of
//! members) and built with the rules the services apply one request at a time: the caps of
//! `points::service::under_caps` from the stored point rules, the day/week/month/all totals of
//! `points::service::periods`, badges from `badges::service::earned_by`, quiz rows from
//! `quiz::service::answered_daily`, question rows from `questions::service::row_of`. So
//! `redtrail points verify` passes on it and every read sees what real use would have left.
//!
//! What it leaves out, on purpose: routes and their completions, exams, classes, media, likes,
//! wrong-answer books (every seeded quiz answer is right), make-up cards, idempotency keys,
//! study sessions and `reading_time` payouts (reading pays only the completion point), and the
//! sites approved proposals would have made.
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use entity::{
    article_reads, articles, checkins, member_badges, members, org_members, orgs, point_day_source,
    point_rules, point_totals, points_ledger, questions, sites, streak_days, submissions,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend,
    DatabaseTransaction, EntityTrait, Iterable, PaginatorTrait, QuerySelect,
};

use crate::auth::roles::{Role, RoleGrant};
use crate::checkins::dto::CheckinStatus;
use crate::clock::{local_date, start_of_day};
use crate::db::Db;
use crate::error::ApiError;
use crate::geo::{Point, distance_m};
use crate::orgs::dto::OrgKind;
use crate::points::dto::Source;
use crate::points::service::{periods, under_caps};
use crate::questions::dto::{AuthoredOption, NewQuestion, QuestionType};
use crate::questions::service::{Stored, check as check_question, row_of};
use crate::sessions::service::create_admin_account;
use crate::sites::dto::SiteCategory;
use crate::study::dto::Via;
use crate::submissions::dto::{Moderation, SubmissionKind, SubmissionStatus};
use crate::submissions::service as submissions_service;

use super::SYSTEM;

/// The committee's admin account, with [`PASSWORD`] (printed: this is benchmark data, refused
/// in production).
pub const COMMITTEE_ADMIN: &str = "bench-committee";
/// The admin account of the first branch.
pub const BRANCH_ADMIN: &str = "bench-branch";
pub const PASSWORD: &str = "bench-password-2026";
/// Members are WeChat members with openids `bench-member-1` … so dev login reaches them.
pub const OPENID_PREFIX: &str = "bench-member-";

/// How much to generate.
#[derive(Debug, Clone)]
pub struct Plan {
    pub members: u64,
    /// Orgs in a three-level tree: one committee, a tenth enterprises, the rest branches.
    pub orgs: u64,
    pub sites: u64,
    pub checkins: u64,
    pub questions: u64,
    pub quiz_attempts: u64,
    pub articles: u64,
    /// Days on which a member completed an article (each one a streak day).
    pub reading_days: u64,
    pub submissions: u64,
    /// Activity falls on the last `days` local days, today included.
    pub days: u32,
    /// The random generator's seed: one seed, one data set.
    pub seed: u64,
}

impl Plan {
    /// The scale: 100,000 members, 1,000,000 check-ins …
    pub const FULL: Plan = Plan {
        members: 100_000,
        orgs: 1_000,
        sites: 10_000,
        checkins: 1_000_000,
        questions: 10_000,
        quiz_attempts: 100_000,
        articles: 1_000,
        reading_days: 300_000,
        submissions: 50_000,
        days: 365,
        seed: 2026,
    };

    /// Every count times `factor` (at least the few a tree and a quiz need).
    pub fn scaled(&self, factor: f64) -> Plan {
        let by = |n: u64, least: u64| ((n as f64 * factor).round() as u64).max(least);
        Plan {
            members: by(self.members, 1),
            orgs: by(self.orgs, 3),
            sites: by(self.sites, 1),
            checkins: by(self.checkins, 0),
            questions: by(self.questions, DAILY_QUESTIONS as u64),
            quiz_attempts: by(self.quiz_attempts, 0),
            articles: by(self.articles, 1),
            reading_days: by(self.reading_days, 0),
            submissions: by(self.submissions, 0),
            days: self.days,
            seed: self.seed,
        }
    }
}

impl Plan {
    /// Counts the generator can honour.
    pub fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(self.members >= 1, "at least one member");
        anyhow::ensure!(
            self.orgs >= 3,
            "at least 3 orgs (a committee, an enterprise, a branch)"
        );
        anyhow::ensure!(
            self.sites >= 1 && self.articles >= 1,
            "at least one site and article"
        );
        anyhow::ensure!(
            self.questions >= DAILY_QUESTIONS as u64,
            "at least {DAILY_QUESTIONS} questions (one daily quiz)"
        );
        anyhow::ensure!(
            self.days >= 1 && self.days <= 3_650,
            "days between 1 and 3,650"
        );
        Ok(())
    }
}

/// What was written.
#[derive(Debug, Default)]
pub struct Report {
    pub orgs: u64,
    pub members: u64,
    pub sites: u64,
    pub checkins: u64,
    pub questions: u64,
    pub quiz_attempts: u64,
    pub articles: u64,
    pub reading_days: u64,
    pub submissions: u64,
    pub ledger: u64,
    pub totals: u64,
    pub committee_id: i64,
    pub branch_id: i64,
}

const DAILY_QUESTIONS: usize = 5;
/// Members per transaction: big enough that commits are rare, small enough that a batch's rows
/// (some 30 per member) stay a few megabytes.
const BATCH: u64 = 1_000;
/// Bound values per statement: SQLite allows 32,766.
const VALUES_PER_STATEMENT: usize = 30_000;
/// Sites lie on a grid this far apart: a 5 km nearby search finds about 80 whatever the count.
const SITE_SPACING_M: f64 = 1_000.0;
/// Tianhe, Guangzhou: the grid runs north and east from here.
const ORIGIN: (f64, f64) = (23.10, 113.30);
const CATEGORIES: [&str; 4] = ["党史", "理论", "行业党建", "时事"];

/// Writes the data set. Refused (409) unless the database has no orgs and no members.
pub async fn bench(db: &Db, plan: &Plan, now: DateTime<Utc>, tz: Tz) -> Result<Report, ApiError> {
    if orgs::Entity::find().count(db.conn()).await? > 0
        || members::Entity::find().count(db.conn()).await? > 0
    {
        return Err(ApiError::Conflict);
    }
    let mut rng = StdRng::seed_from_u64(plan.seed);
    let tree = Tree::new(plan.orgs);
    let mut report = Report {
        orgs: plan.orgs,
        committee_id: tree.committee(),
        branch_id: tree.branch(0),
        ..Default::default()
    };
    let org_rows = tree.rows(now);
    let site_rows = site_rows(plan.sites, now);
    let question_rows = question_rows(plan.questions, now)?;
    let article_rows = article_rows(plan.articles, now);
    db.write(|tx| {
        let (org_rows, site_rows) = (&org_rows, &site_rows);
        let (question_rows, article_rows) = (&question_rows, &article_rows);
        async move {
            put(&tx, org_rows).await?;
            put(&tx, site_rows).await?;
            put(&tx, question_rows).await?;
            put(&tx, article_rows).await?;
            Ok(())
        }
    })
    .await?;
    report.sites = plan.sites;
    report.questions = plan.questions;
    report.articles = plan.articles;
    restart_ids(db, &["orgs", "sites", "questions", "articles"]).await?;

    let grant = |org| RoleGrant {
        role: Role::OrgAdmin,
        org_id: Some(org),
    };
    let committee_admin =
        create_admin_account(db, COMMITTEE_ADMIN, PASSWORD, grant(tree.committee()), now).await?;
    create_admin_account(db, BRANCH_ADMIN, PASSWORD, grant(tree.branch(0)), now).await?;

    let world = World {
        plan,
        tree: &tree,
        tz,
        now,
        today: local_date(now, tz),
        sites: site_points(plan.sites),
        questions: questions::Entity::find()
            .all(db.conn())
            .await?
            .into_iter()
            .map(Stored::parse)
            .collect::<Result<_, _>>()?,
        min_read_seconds: 60,
        rules: point_rules::Entity::find()
            .all(db.conn())
            .await?
            .into_iter()
            .map(|r| (r.source.clone(), r))
            .collect(),
        reviewer: committee_admin.id,
        first_member: members::Entity::find()
            .select_only()
            .expr(members::Column::Id.max())
            .into_tuple::<Option<i64>>()
            .one(db.conn())
            .await?
            .flatten()
            .unwrap_or(0)
            + 1,
    };
    let mut ids = Ids::default();
    let mut from = 0;
    while from < plan.members {
        let to = (from + BATCH).min(plan.members);
        let batch = world.batch(from..to, &mut ids, &mut rng)?;
        report.members += to - from;
        report.checkins += batch.checkins.len() as u64;
        report.quiz_attempts += batch.attempts.len() as u64;
        report.reading_days += batch.streak.len() as u64;
        report.submissions += batch.submissions.len() as u64;
        report.ledger += batch.ledger.len() as u64;
        report.totals += batch.totals.len() as u64;
        db.write(|tx| {
            let batch = &batch;
            async move { batch.insert(&tx).await }
        })
        .await?;
        from = to;
        if from % (20 * BATCH) == 0 || from == plan.members {
            tracing::info!(members = from, of = plan.members, "seeding");
        }
    }
    restart_ids(db, &["members", "checkins", "quiz_attempts", "submissions"]).await?;
    analyze(db).await?;
    Ok(report)
}

/// Planner statistics for the new rows, as a database that grew to this size would have.
async fn analyze(db: &Db) -> Result<(), ApiError> {
    match db.backend() {
        DatabaseBackend::MySql => {
            let tables = [
                "members",
                "org_members",
                "orgs",
                "sites",
                "checkins",
                "points_ledger",
                "point_day_source",
                "point_totals",
                "questions",
                "quiz_attempts",
                "quiz_attempt_questions",
                "articles",
                "article_reads",
                "streak_days",
                "submissions",
                "member_badges",
            ];
            db.conn()
                .execute_unprepared(&format!("ANALYZE TABLE {}", tables.join(", ")))
                .await?;
        }
        // And the visibility map, which a table loaded in bulk lacks until autovacuum comes:
        // without it a count over an index (a board's rank) visits the table too.
        DatabaseBackend::Postgres => {
            db.conn().execute_unprepared("VACUUM ANALYZE").await?;
        }
        _ => {
            db.conn().execute_unprepared("ANALYZE").await?;
        }
    }
    Ok(())
}

/// After rows with explicit ids, PostgreSQL's sequences still start at 1; the others move on
/// by themselves.
async fn restart_ids(db: &Db, tables: &[&str]) -> Result<(), ApiError> {
    if db.backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    for table in tables {
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
             GREATEST((SELECT MAX(id) FROM {table}), 1))"
        );
        db.conn().execute_unprepared(&sql).await?;
    }
    Ok(())
}

/// Inserts `rows` a statement at a time, each under SQLite's limit of bound values.
async fn put<A>(tx: &DatabaseTransaction, rows: &[A]) -> Result<(), ApiError>
where
    A: ActiveModelTrait + Clone + Send,
{
    let columns = <A::Entity as EntityTrait>::Column::iter().count().max(1);
    for chunk in rows.chunks((VALUES_PER_STATEMENT / columns).max(1)) {
        A::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(tx)
            .await?;
    }
    Ok(())
}

/// Ids of the 1 committee, the enterprises below it and the branches below them. A tenth of
/// the orgs are enterprises; branch `b` belongs to enterprise `b % enterprises`.
struct Tree {
    enterprises: u64,
    branches: u64,
}

impl Tree {
    fn new(orgs: u64) -> Self {
        let orgs = orgs.max(3);
        let enterprises = ((orgs - 1) / 10).max(1);
        Tree {
            enterprises,
            branches: orgs - 1 - enterprises,
        }
    }

    fn committee(&self) -> i64 {
        1
    }

    fn enterprise(&self, e: u64) -> i64 {
        2 + e as i64
    }

    fn branch(&self, b: u64) -> i64 {
        2 + (self.enterprises + b) as i64
    }

    fn parent_of_branch(&self, b: u64) -> i64 {
        self.enterprise(b % self.enterprises)
    }

    fn rows(&self, now: DateTime<Utc>) -> Vec<orgs::ActiveModel> {
        let org = |id: i64, parent: Option<i64>, kind: OrgKind, name: String, path: String| {
            orgs::ActiveModel {
                id: Set(id),
                parent_id: Set(parent),
                kind: Set(kind.as_str().to_owned()),
                name: Set(name),
                depth: Set(path.matches('/').count() as i32 - 2),
                path: Set(path),
                enterprise_name: Set(None),
                credit_code: Set(None),
                staff_count: Set(None),
                contact_name: Set(None),
                contact_phone: Set(None),
                region: Set(Some("广州市".into())),
                created_at: Set(now.into()),
                updated_at: Set(now.into()),
                party_member_count: Set(None),
                branch_count: Set(None),
                joint_branch_count: Set(None),
                output_value: Set(None),
            }
        };
        let committee = self.committee();
        let mut rows = vec![org(
            committee,
            None,
            OrgKind::IndustryCommittee,
            "基准测试互联网行业党委".into(),
            format!("/{committee}/"),
        )];
        for e in 0..self.enterprises {
            let id = self.enterprise(e);
            let mut row = org(
                id,
                Some(committee),
                OrgKind::PartyOrg,
                format!("基准企业{}党委", e + 1),
                format!("/{committee}/{id}/"),
            );
            row.enterprise_name = Set(Some(format!("基准网络科技{}有限公司", e + 1)));
            row.staff_count = Set(Some(100 + (e % 50) as i32 * 20));
            row.branch_count = Set(Some(
                (self.branches / self.enterprises + u64::from(e < self.branches % self.enterprises))
                    as i32,
            ));
            rows.push(row);
        }
        for b in 0..self.branches {
            let (id, parent) = (self.branch(b), self.parent_of_branch(b));
            rows.push(org(
                id,
                Some(parent),
                OrgKind::Branch,
                format!("基准第{}党支部", b + 1),
                format!("/{committee}/{parent}/{id}/"),
            ));
        }
        rows
    }
}

/// The k-th site of a square grid [`SITE_SPACING_M`] apart.
fn site_points(n: u64) -> Vec<Point> {
    let width = (n as f64).sqrt().ceil().max(1.0) as u64;
    (0..n)
        .map(|k| {
            let (row, col) = (k / width, k % width);
            let lat = ORIGIN.0 + row as f64 * SITE_SPACING_M / 111_320.0;
            let lng =
                ORIGIN.1 + col as f64 * SITE_SPACING_M / (111_320.0 * ORIGIN.0.to_radians().cos());
            Point {
                lat: (lat * 1e6).round() / 1e6,
                lng: (lng * 1e6).round() / 1e6,
            }
        })
        .collect()
}

fn site_rows(n: u64, now: DateTime<Utc>) -> Vec<sites::ActiveModel> {
    site_points(n)
        .into_iter()
        .enumerate()
        .map(|(k, p)| sites::ActiveModel {
            id: Set(k as i64 + 1),
            name: Set(format!("基准红色遗址{}", k + 1)),
            description: Set(Some("基准测试生成的遗址。".into())),
            address: Set(Some(format!("广州市天河区基准路{}号", k + 1))),
            region: Set(Some("广州市".into())),
            category: Set(SiteCategory::ALL[k % SiteCategory::ALL.len()]
                .as_str()
                .to_owned()),
            lat: Set(p.lat),
            lng: Set(p.lng),
            radius_m: Set(crate::sites::dto::DEFAULT_RADIUS_M),
            opening_hours: Set(Some("09:00-17:00".into())),
            cover_media_id: Set(None),
            status: Set(
                crate::sites::service::status_str(crate::sites::dto::SiteStatus::Active).to_owned(),
            ),
            created_at: Set(now.into()),
            updated_at: Set(now.into()),
            deleted_at: Set(None),
        })
        .collect()
}

fn question_rows(n: u64, now: DateTime<Utc>) -> Result<Vec<questions::ActiveModel>, ApiError> {
    let mut rows = Vec::with_capacity(n as usize);
    for k in 0..n {
        let right = (k % 4) as usize;
        let new = NewQuestion {
            kind: QuestionType::Single,
            stem: format!("基准题{}：番禺区互联网行业党委成立于何时？", k + 1),
            options: Some(
                ["2012年11月", "2018年11月", "2021年7月", "2003年1月"]
                    .iter()
                    .enumerate()
                    .map(|(i, text)| AuthoredOption {
                        text: format!("{text}（{}）", i + 1),
                        correct: i == right,
                    })
                    .collect(),
            ),
            answer: None,
            blanks: None,
            explanation: Some("基准测试生成的题目。".into()),
            category: CATEGORIES[k as usize % CATEGORIES.len()].into(),
            tags: vec!["基准".into()],
            difficulty: 1 + (k % 5) as i16,
            source: None,
            status: None,
        };
        let content = check_question(&new).map_err(ApiError::Validation)?;
        let mut row = row_of(&new, &content)?;
        row.id = Set(k as i64 + 1);
        row.version = Set(1);
        row.created_by = Set(SYSTEM);
        row.created_at = Set(now.into());
        row.updated_by = Set(None);
        row.updated_at = Set(None);
        rows.push(row);
    }
    Ok(rows)
}

fn article_rows(n: u64, now: DateTime<Utc>) -> Vec<articles::ActiveModel> {
    (0..n)
        .map(|k| articles::ActiveModel {
            id: Set(k as i64 + 1),
            title: Set(format!("基准文章{}：重温红色足迹", k + 1)),
            summary: Set(Some("基准测试生成的文章。".into())),
            body: Set("<p>网企党员走进红色遗址，重温革命先辈的奋斗历程。</p>".into()),
            cover_url: Set(None),
            category: Set(CATEGORIES[k as usize % CATEGORIES.len()].into()),
            series_id: Set(None),
            series_position: Set(None),
            author: Set(Some("基准".into())),
            source: Set(None),
            published_at: Set((now - Duration::days(400)).into()),
            status: Set(crate::articles::dto::ArticleStatus::Published
                .as_str()
                .to_owned()),
            min_read_seconds: Set(60),
            media_url: Set(None),
            media_kind: Set(None),
            media_seconds: Set(None),
            created_by: Set(SYSTEM),
            created_at: Set(now.into()),
            updated_at: Set(None),
            deleted_at: Set(None),
        })
        .collect()
}

/// What every batch reads.
struct World<'a> {
    plan: &'a Plan,
    tree: &'a Tree,
    tz: Tz,
    now: DateTime<Utc>,
    today: NaiveDate,
    sites: Vec<Point>,
    questions: Vec<Stored>,
    min_read_seconds: i32,
    rules: HashMap<String, point_rules::Model>,
    reviewer: i64,
    first_member: i64,
}

/// The next explicit ids.
#[derive(Default)]
struct Ids {
    checkin: i64,
    attempt: i64,
    submission: i64,
}

impl Ids {
    fn next(counter: &mut i64) -> i64 {
        *counter += 1;
        *counter
    }
}

/// One transaction's rows.
#[derive(Default)]
struct Batch {
    members: Vec<members::ActiveModel>,
    org_members: Vec<org_members::ActiveModel>,
    checkins: Vec<checkins::ActiveModel>,
    attempts: Vec<entity::quiz_attempts::ActiveModel>,
    attempt_questions: Vec<entity::quiz_attempt_questions::ActiveModel>,
    reads: Vec<article_reads::ActiveModel>,
    streak: Vec<streak_days::ActiveModel>,
    submissions: Vec<submissions::ActiveModel>,
    ledger: Vec<points_ledger::ActiveModel>,
    counters: Vec<point_day_source::ActiveModel>,
    totals: Vec<point_totals::ActiveModel>,
    badges: Vec<member_badges::ActiveModel>,
}

impl Batch {
    async fn insert(&self, tx: &DatabaseTransaction) -> Result<(), ApiError> {
        put(tx, &self.members).await?;
        put(tx, &self.org_members).await?;
        put(tx, &self.checkins).await?;
        put(tx, &self.attempts).await?;
        put(tx, &self.attempt_questions).await?;
        put(tx, &self.reads).await?;
        put(tx, &self.streak).await?;
        put(tx, &self.submissions).await?;
        put(tx, &self.ledger).await?;
        put(tx, &self.counters).await?;
        put(tx, &self.totals).await?;
        put(tx, &self.badges).await?;
        Ok(())
    }
}

/// A payout a member earned, before caps.
struct Earned {
    source: Source,
    source_id: i64,
    units: i32,
    day: NaiveDate,
    at: DateTime<Utc>,
    /// Where the payout's amount is written back (the check-in's, attempt's, submission's row).
    back: Back,
}

/// A daily quiz drawn (`picked` indexes the bank), its rows written once it is paid.
struct Quiz {
    id: i64,
    day: NaiveDate,
    started: DateTime<Utc>,
    finished: DateTime<Utc>,
    picked: Vec<usize>,
    paid: (i32, bool),
}

#[derive(Clone, Copy)]
enum Back {
    Checkin(usize),
    Attempt(usize),
    Submission(usize),
    None,
}

/// `n`'s share of `total` spread evenly over `of`.
fn share(total: u64, of: u64, n: u64) -> u64 {
    (n + 1) * total / of - n * total / of
}

impl World<'_> {
    /// The local day `back` days before today, and an instant on it between `from` and `to`
    /// hours (never after now).
    fn moment(
        &self,
        back: u32,
        (from, to): (i64, i64),
        rng: &mut StdRng,
    ) -> (NaiveDate, DateTime<Utc>) {
        let day = self.today - Duration::days(i64::from(back));
        let start = start_of_day(day, self.tz);
        let at = start + Duration::seconds(rng.random_range(from * 3600..to * 3600));
        let at = if at > self.now {
            start + (self.now - start) / 2
        } else {
            at
        };
        (day, at)
    }

    /// `k` distinct days back from today, at most `self.plan.days` ago.
    fn days(&self, k: u64, rng: &mut StdRng) -> Vec<u32> {
        let k = k.min(u64::from(self.plan.days)) as usize;
        let mut set = HashSet::with_capacity(k);
        while set.len() < k {
            set.insert(rng.random_range(0..self.plan.days));
        }
        let mut days: Vec<u32> = set.into_iter().collect();
        days.sort_unstable_by(|a, b| b.cmp(a));
        days
    }

    fn batch(
        &self,
        range: std::ops::Range<u64>,
        ids: &mut Ids,
        rng: &mut StdRng,
    ) -> Result<Batch, ApiError> {
        let mut b = Batch::default();
        let plan = self.plan;
        for n in range {
            let member_id = self.first_member + n as i64;
            let branch = n % self.tree.branches;
            let joined = self.now - Duration::days(i64::from(plan.days) + 30);
            b.members.push(members::ActiveModel {
                id: Set(member_id),
                openid: Set(Some(format!("{OPENID_PREFIX}{}", n + 1))),
                unionid: Set(None),
                username: Set(None),
                password_hash: Set(None),
                nickname: Set(Some(format!("基准队员{}", n + 1))),
                avatar_url: Set(None),
                real_name: Set(None),
                political_status: Set(Some(
                    crate::members::dto::PoliticalStatus::PartyMember
                        .as_str()
                        .to_owned(),
                )),
                is_mobile_member: Set(n % 20 == 0),
                last_login_at: Set(Some(self.now.into())),
                created_at: Set(joined.into()),
                updated_at: Set(joined.into()),
                phone: Set(None),
                mobile_city: Set(None),
                volunteer_minutes: Set(0),
            });
            b.org_members.push(org_members::ActiveModel {
                member_id: Set(member_id),
                org_id: Set(self.tree.branch(branch)),
                joined_at: Set(joined.into()),
            });
            let (mut earned, mut quizzes) = (Vec::new(), Vec::new());
            self.checkins(&mut b, &mut earned, member_id, n, ids, rng);
            self.quizzes(&mut quizzes, &mut earned, n, ids, rng);
            let streak = self.reading(&mut b, &mut earned, member_id, n, rng);
            self.submissions(&mut b, &mut earned, member_id, n, ids, rng);
            self.pay(&mut b, &mut quizzes, member_id, earned, streak);
            self.attempt_rows(&mut b, member_id, quizzes, rng)?;
        }
        Ok(b)
    }

    fn checkins(
        &self,
        b: &mut Batch,
        earned: &mut Vec<Earned>,
        member_id: i64,
        n: u64,
        ids: &mut Ids,
        rng: &mut StdRng,
    ) {
        let count = share(self.plan.checkins, self.plan.members, n);
        // Each member keeps to a neighbourhood of sites, as people do.
        let home = rng.random_range(0..self.sites.len());
        for back in self.days(count, rng) {
            let site = (home + rng.random_range(0..50)) % self.sites.len();
            let at = self.sites[site];
            let here = Point {
                lat: at.lat + rng.random_range(-0.0005..0.0005),
                lng: at.lng + rng.random_range(-0.0005..0.0005),
            };
            let (day, captured) = self.moment(back, (8, 18), rng);
            let id = Ids::next(&mut ids.checkin);
            // A few arrive a day late and wait for an admin, as late captures do.
            let flagged = rng.random_range(0..100) < 3 && back > 0;
            b.checkins.push(checkins::ActiveModel {
                id: Set(id),
                member_id: Set(member_id),
                site_id: Set(site as i64 + 1),
                lat: Set(here.lat),
                lng: Set(here.lng),
                accuracy_m: Set(15.0),
                distance_m: Set((distance_m(here, at) * 10.0).round() / 10.0),
                local_date: Set(day),
                captured_at: Set(captured.into()),
                status: Set(match flagged {
                    true => CheckinStatus::Flagged,
                    false => CheckinStatus::Accepted,
                }
                .as_str()
                .to_owned()),
                flag_reason: Set(flagged.then(|| "late_capture".to_owned())),
                photo_media_id: Set(None),
                note: Set(None),
                points_awarded: Set(0),
                reviewed_by: Set(None),
                reviewed_at: Set(None),
                review_reason: Set(None),
                created_at: Set((captured + Duration::seconds(2)).into()),
            });
            if !flagged {
                earned.push(Earned {
                    source: Source::Checkin,
                    source_id: id,
                    units: 1,
                    day,
                    at: captured,
                    back: Back::Checkin(b.checkins.len() - 1),
                });
            }
        }
    }

    fn quizzes(
        &self,
        quizzes: &mut Vec<Quiz>,
        earned: &mut Vec<Earned>,
        n: u64,
        ids: &mut Ids,
        rng: &mut StdRng,
    ) {
        let count = share(self.plan.quiz_attempts, self.plan.members, n);
        for back in self.days(count, rng) {
            let (day, started) = self.moment(back, (7, 22), rng);
            let finished = started + Duration::seconds(90);
            let id = Ids::next(&mut ids.attempt);
            let picked = rand::seq::index::sample(
                rng,
                self.questions.len(),
                DAILY_QUESTIONS.min(self.questions.len()),
            )
            .into_vec();
            earned.push(Earned {
                source: Source::QuizDaily,
                source_id: id,
                units: picked.len() as i32,
                day,
                at: finished,
                back: Back::Attempt(quizzes.len()),
            });
            quizzes.push(Quiz {
                id,
                day,
                started,
                finished,
                picked,
                paid: (0, false),
            });
        }
    }

    /// The attempts' rows, once their payouts are known.
    fn attempt_rows(
        &self,
        b: &mut Batch,
        member_id: i64,
        quizzes: Vec<Quiz>,
        rng: &mut StdRng,
    ) -> Result<(), ApiError> {
        for q in quizzes {
            let picked: Vec<Stored> = q
                .picked
                .iter()
                .map(|&i| Stored::parse(self.questions[i].model.clone()))
                .collect::<Result<_, _>>()?;
            let (attempt, rows) = crate::quiz::service::answered_daily(
                q.id,
                member_id,
                q.day,
                (q.started, q.finished),
                &picked,
                q.paid,
                rng,
            )?;
            b.attempts.push(attempt);
            b.attempt_questions.extend(rows);
        }
        Ok(())
    }

    /// A run of reading days (an article completed each day) ending some days back — for many
    /// members yesterday or today, so streaks are alive. Returns the run's length.
    fn reading(
        &self,
        b: &mut Batch,
        earned: &mut Vec<Earned>,
        member_id: i64,
        n: u64,
        rng: &mut StdRng,
    ) -> u32 {
        // Three members in ten read: those with n % 10 < 3, the `reader`-th of `readers`.
        let readers = 3 * (self.plan.members / 10) + (self.plan.members % 10).min(3);
        if n % 10 >= 3 {
            return 0;
        }
        let reader = n / 10 * 3 + n % 10;
        let length = share(self.plan.reading_days, readers, reader)
            .min(u64::from(self.plan.days))
            .min(self.plan.articles) as u32;
        if length == 0 {
            return 0;
        }
        let end = match rng.random_range(0..10) {
            0..5 => 0,
            5..8 => 1,
            _ => rng.random_range(0..=self.plan.days - length),
        };
        let first_article = rng.random_range(0..self.plan.articles);
        for i in 0..length {
            let back = end + length - 1 - i;
            let (day, at) = self.moment(back, (19, 23), rng);
            let article = (first_article + u64::from(i)) % self.plan.articles + 1;
            b.reads.push(article_reads::ActiveModel {
                member_id: Set(member_id),
                article_id: Set(article as i64),
                local_date: Set(day),
                credited_seconds: Set(self.min_read_seconds),
                completed_at: Set(Some(at.into())),
            });
            b.streak.push(streak_days::ActiveModel {
                member_id: Set(member_id),
                local_date: Set(day),
                via: Set(Via::Article.as_str().to_owned()),
                run: Set(i as i32 + 1),
                created_at: Set(at.into()),
            });
            earned.push(Earned {
                source: Source::Reading,
                source_id: article as i64,
                units: 1,
                day,
                at,
                back: Back::None,
            });
        }
        length
    }

    fn submissions(
        &self,
        b: &mut Batch,
        earned: &mut Vec<Earned>,
        member_id: i64,
        n: u64,
        ids: &mut Ids,
        rng: &mut StdRng,
    ) {
        let count = share(self.plan.submissions, self.plan.members, n);
        let org = self.tree.branch(n % self.tree.branches);
        for back in self.days(count, rng) {
            let (day, created) = self.moment(back, (9, 12), rng);
            let id = Ids::next(&mut ids.submission);
            let kind = [
                SubmissionKind::Reflection,
                SubmissionKind::Reflection,
                SubmissionKind::SiteProposal,
                SubmissionKind::VolunteerService,
            ][rng.random_range(0..4)];
            // The newest wait for review; most older ones were decided the same evening.
            let status = match rng.random_range(0..100) {
                _ if back <= 2 => SubmissionStatus::Pending,
                0..10 => SubmissionStatus::Pending,
                10..15 => SubmissionStatus::Rejected,
                15..20 => SubmissionStatus::Featured,
                _ => SubmissionStatus::Approved,
            };
            let decided = created + Duration::hours(8);
            let decided =
                (status != SubmissionStatus::Pending && decided <= self.now).then_some(decided);
            let status = if decided.is_none() {
                SubmissionStatus::Pending
            } else {
                status
            };
            let paid = decided.filter(|_| {
                matches!(
                    status,
                    SubmissionStatus::Approved | SubmissionStatus::Featured
                )
            });
            let site = self.sites[rng.random_range(0..self.sites.len())];
            let minutes =
                (kind == SubmissionKind::VolunteerService).then(|| rng.random_range(1..=8) * 30);
            b.submissions.push(submissions::ActiveModel {
                id: Set(id),
                member_id: Set(member_id),
                org_id: Set(Some(org)),
                kind: Set(kind.as_str().to_owned()),
                title: Set(format!("基准投稿{id}：重走红色路线有感")),
                body: Set("今天和支部的同志们一起走进红色遗址，深受教育。".into()),
                campaign_id: Set(None),
                theme: Set(None),
                site_name: Set(
                    (kind == SubmissionKind::SiteProposal).then(|| format!("基准建议遗址{id}"))
                ),
                lat: Set((kind == SubmissionKind::SiteProposal).then_some(site.lat)),
                lng: Set((kind == SubmissionKind::SiteProposal).then_some(site.lng)),
                address: Set(
                    (kind == SubmissionKind::SiteProposal).then(|| "广州市天河区".to_owned())
                ),
                service_date: Set(minutes.map(|_| day)),
                place: Set(minutes.map(|_| "社区党群服务中心".to_owned())),
                service_minutes: Set(minutes),
                status: Set(submissions_service::status_of(status).as_str().to_owned()),
                stage: Set(None),
                two_stage: Set(false),
                version: Set(1),
                moderation: Set(submissions_service::moderation_str(Moderation::Pass).to_owned()),
                moderation_label: Set(None),
                moderation_tries: Set(1),
                moderation_next_at: Set(None),
                reject_reason: Set((status == SubmissionStatus::Rejected)
                    .then(|| "内容与主题不符，请修改后重新提交。".to_owned())),
                first_reviewed_by: Set(None),
                first_reviewed_at: Set(None),
                reviewed_by: Set(decided.map(|_| self.reviewer)),
                reviewed_at: Set(decided.map(Into::into)),
                points_awarded: Set(0),
                paid_at: Set(paid.map(Into::into)),
                likes: Set(0),
                published_at: Set(paid.map(Into::into)),
                created_at: Set(created.into()),
                updated_at: Set(decided.unwrap_or(created).into()),
                local_date: Set(Some(day)),
            });
            if let Some(at) = paid {
                let (source, units) = match minutes {
                    Some(m) => (Source::VolunteerService, (m / 60).max(1)),
                    None => (Source::Submission, 1),
                };
                earned.push(Earned {
                    source,
                    source_id: id,
                    units,
                    day: local_date(at, self.tz),
                    at,
                    back: Back::Submission(b.submissions.len() - 1),
                });
            }
        }
    }

    /// Pays `earned` in time order under the rules' caps, as `points::service::award` would
    /// have one at a time, and writes the ledger, counters, totals and badges.
    fn pay(
        &self,
        b: &mut Batch,
        quizzes: &mut [Quiz],
        member_id: i64,
        mut earned: Vec<Earned>,
        streak: u32,
    ) {
        earned.sort_by_key(|e| e.at);
        let mut day_source: BTreeMap<(NaiveDate, &'static str), i32> = BTreeMap::new();
        let mut totals: BTreeMap<(&'static str, NaiveDate), i32> = BTreeMap::new();
        let mut payouts: HashMap<&'static str, u64> = HashMap::new();
        let mut minutes = 0i64;
        for e in earned {
            let source = e.source.as_str();
            let Some(rule) = self.rules.get(source) else {
                continue;
            };
            let paid_today = day_source.get(&(e.day, source)).copied().unwrap_or(0);
            let paid_week = rule.weekly_cap.map(|_| {
                let week = periods(e.day)[1].1;
                day_source
                    .range((week, source)..=(e.day, source))
                    .filter(|((_, s), _)| *s == source)
                    .map(|(_, p)| *p)
                    .sum()
            });
            let (points, capped) = under_caps(rule, e.units, paid_today, paid_week);
            *day_source.entry((e.day, source)).or_default() += points;
            *payouts.entry(source).or_default() += 1;
            for (period, start) in periods(e.day) {
                *totals.entry((period, start)).or_default() += points;
            }
            match e.back {
                Back::Checkin(i) => b.checkins[i].points_awarded = Set(points),
                Back::Attempt(i) => quizzes[i].paid = (points, capped),
                Back::Submission(i) => {
                    let s = &mut b.submissions[i];
                    s.points_awarded = Set(points);
                    if let Set(Some(m)) = &s.service_minutes {
                        minutes += i64::from(*m);
                    }
                }
                Back::None => {}
            }
            b.ledger.push(points_ledger::ActiveModel {
                id: sea_orm::ActiveValue::NotSet,
                member_id: Set(member_id),
                source: Set(source.to_owned()),
                source_id: Set(e.source_id.to_string()),
                points: Set(points),
                local_date: Set(e.day),
                note: Set(None),
                created_at: Set(e.at.into()),
            });
        }
        if minutes > 0
            && let Some(m) = b.members.last_mut()
        {
            m.volunteer_minutes = Set(minutes);
        }
        for ((day, source), points) in day_source {
            b.counters.push(point_day_source::ActiveModel {
                member_id: Set(member_id),
                local_date: Set(day),
                source: Set(source.to_owned()),
                points: Set(points),
            });
        }
        let all = totals
            .iter()
            .find(|((period, _), _)| *period == "all")
            .map_or(0, |(_, p)| *p);
        for ((period, start), points) in totals {
            if points != 0 {
                b.totals.push(point_totals::ActiveModel {
                    period: Set(period.to_owned()),
                    period_start: Set(start),
                    member_id: Set(member_id),
                    points: Set(points),
                });
            }
        }
        let held = crate::badges::service::earned_by(
            |source| payouts.get(source).copied().unwrap_or(0),
            all,
            streak,
        );
        for code in held {
            b.badges.push(member_badges::ActiveModel {
                member_id: Set(member_id),
                badge: Set(code.to_owned()),
                awarded_at: Set(self.now.into()),
            });
        }
    }
}
