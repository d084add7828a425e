//! Attempts: drawing questions, fixing them into an attempt, saving answers, grading (on submit,
//! one at a time in a challenge, or when an attempt is left past its deadline), paying points,
//! and the wrong-answer book.
//!
//! Every write that grades takes the member's row lock first (`members::service::lock`), so one
//! member's gradings run one at a time: the wrong-answer book and the attempt's status are then
//! read and written without a race. The attempt's status moves from `open` by a conditional
//! update, and the payout's source id is the attempt's (an exam's, for an exam pass).
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use entity::time::UtcTime;
use entity::{questions, quiz_attempt_questions as aq, quiz_attempts, wrong_questions};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, JoinType, Order, QueryFilter, QueryOrder, QuerySelect, RelationTrait,
};

use crate::clock::{local_date, start_of_day};
use crate::config::QuizSettings;
use crate::db::{Db, Tx, insert_unless_duplicate};
use crate::error::{ApiError, FieldErrors, FieldIssue};
use crate::http::paging::{Page, PageQuery};
use crate::points::dto::Source;
use crate::points::service::{Payout, award};
use crate::questions::dto::{QuestionStatus, QuestionType};
use crate::questions::service::Stored;

use super::dto::{
    AnswerInput, Answers, AskedQuestion, AttemptKind, AttemptResult, AttemptStatus, AttemptView,
    ChallengeStarted, ChallengeStep, Given, GradedQuestion, NewPractice, OpenAttempt, RightAnswer,
    Saved, ShownOption, WrongQuestion,
};
use super::grading::{Snapshot, blank_count, grade, read_given, snapshot};

/// Review intervals of the wrong-answer book, in days: after entering, then after each review.
const LADDER: [u64; 3] = [1, 3, 7];
/// Right answers in a row (at reviews) that take a question out of the book.
const LEAVES_AFTER: i16 = 2;
/// The most grace a challenge question's deadline gets (the network's share).
const CHALLENGE_GRACE: Duration = Duration::seconds(5);
/// A practice attempt's time to submit.
const PRACTICE_WINDOW: Duration = Duration::hours(2);

/// What the quiz needs from the settings, with the server's timezone.
#[derive(Clone, Copy)]
pub struct Rules<'a> {
    pub quiz: &'a QuizSettings,
    pub tz: Tz,
}

impl<'a> Rules<'a> {
    /// The quiz settings and the server's timezone.
    pub fn of(settings: &'a crate::config::Settings) -> Self {
        Rules {
            quiz: &settings.quiz,
            tz: settings.timezone,
        }
    }

    pub fn grace(&self) -> Duration {
        Duration::from_std(self.quiz.grace).unwrap_or_default()
    }

    fn per_question(&self) -> Duration {
        Duration::from_std(self.quiz.challenge_per_question).unwrap_or(Duration::seconds(30))
    }

    /// Past the deadline and its grace: answers no longer count. A challenge question's grace
    /// is at most 5 s: a grace as long as the question's own time would double it.
    pub fn expired(&self, attempt: &quiz_attempts::Model, now: DateTime<Utc>) -> bool {
        let grace = match kind_of(attempt) {
            AttemptKind::Challenge => Ord::min(self.grace(), CHALLENGE_GRACE),
            _ => self.grace(),
        };
        now > DateTime::<Utc>::from(attempt.deadline) + grace
    }
}

fn remaining_s(deadline: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    Ord::max((deadline - now).num_seconds(), 0)
}

fn kind_of(attempt: &quiz_attempts::Model) -> AttemptKind {
    AttemptKind::parse(&attempt.kind).unwrap_or(AttemptKind::Practice)
}

fn is_open(attempt: &quiz_attempts::Model) -> bool {
    attempt.status == AttemptStatus::Open.as_str()
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, ApiError> {
    Ok(serde_json::from_str(text).map_err(anyhow::Error::from)?)
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, ApiError> {
    Ok(serde_json::to_string(value).map_err(anyhow::Error::from)?)
}

/// A stored attempt question, parsed.
struct Held {
    row: aq::Model,
    kind: QuestionType,
    options: Vec<ShownOption>,
    key: RightAnswer,
    saved: Option<Given>,
}

impl Held {
    fn parse(row: aq::Model) -> Result<Self, ApiError> {
        let kind = QuestionType::parse(&row.kind)
            .ok_or_else(|| anyhow::anyhow!("attempt question of unknown type"))?;
        let options = match &row.options {
            Some(text) => from_json(text)?,
            None => Vec::new(),
        };
        let key = from_json(&row.answer_key)?;
        let saved = row.response.as_deref().map(from_json).transpose()?;
        Ok(Self {
            row,
            kind,
            options,
            key,
            saved,
        })
    }

    fn asked(&self) -> AskedQuestion {
        AskedQuestion {
            id: self.row.question_id,
            kind: self.kind,
            stem: self.row.stem.clone(),
            options: self.options.clone(),
            blank_count: (self.kind == QuestionType::Fill).then(|| blank_count(&self.key)),
            score: self.row.score,
            saved: self.saved.clone(),
        }
    }

    fn graded(&self) -> GradedQuestion {
        GradedQuestion {
            question_id: self.row.question_id,
            kind: self.kind,
            stem: self.row.stem.clone(),
            options: self.options.clone(),
            given: self.saved.clone(),
            correct: self.row.correct.unwrap_or(false),
            answer: self.key.clone(),
            explanation: self.row.explanation.clone(),
            score: self.row.score,
            earned: self.row.earned.unwrap_or(0),
        }
    }
}

async fn held(conn: &impl ConnectionTrait, attempt_id: i64) -> Result<Vec<Held>, ApiError> {
    aq::Entity::find()
        .filter(aq::Column::AttemptId.eq(attempt_id))
        .order_by_asc(aq::Column::Position)
        .all(conn)
        .await?
        .into_iter()
        .map(Held::parse)
        .collect()
}

/// The member's own attempt (another's is 404, as if absent).
async fn own(
    conn: &impl ConnectionTrait,
    member_id: i64,
    id: i64,
) -> Result<quiz_attempts::Model, ApiError> {
    quiz_attempts::Entity::find_by_id(id)
        .filter(quiz_attempts::Column::MemberId.eq(member_id))
        .one(conn)
        .await?
        .ok_or(ApiError::NotFound)
}

fn open_view(attempt: &quiz_attempts::Model, held: &[Held], now: DateTime<Utc>) -> OpenAttempt {
    let questions = match kind_of(attempt) {
        // One question at a time: only the one asked and not yet answered.
        AttemptKind::Challenge => held
            .iter()
            .filter(|h| h.row.asked_at.is_some() && h.row.answered_at.is_none())
            .map(Held::asked)
            .collect(),
        _ => held.iter().map(Held::asked).collect(),
    };
    let deadline = attempt.deadline.into();
    OpenAttempt {
        status: AttemptStatus::Open,
        id: attempt.id,
        kind: kind_of(attempt),
        questions,
        deadline,
        remaining_s: remaining_s(deadline, now),
        started_at: attempt.started_at.into(),
        max_score: attempt.max_score,
        exam_id: attempt.exam_id,
    }
}

fn stored_result(
    attempt: &quiz_attempts::Model,
    now: DateTime<Utc>,
) -> Result<AttemptResult, ApiError> {
    let text = attempt
        .result
        .as_deref()
        .ok_or_else(|| anyhow::anyhow!("attempt {} is graded but has no result", attempt.id))?;
    Ok(shown(from_json(text)?, attempt, now))
}

/// The result as the member may see it now: an exam's answers and explanations only once the
/// exam has closed (`reveal_at`), so that neither a retake nor a colleague still sitting it
/// learns them from this attempt; until then the score alone, and when the rest comes.
fn shown(
    mut result: AttemptResult,
    attempt: &quiz_attempts::Model,
    now: DateTime<Utc>,
) -> AttemptResult {
    if let Some(reveal) = attempt.reveal_at.map(DateTime::<Utc>::from)
        && now < reveal
    {
        result.results = Vec::new();
        result.answers_from = Some(reveal);
    }
    result
}

// ---------------------------------------------------------------------------------------------
// Drawing questions.

/// The questions the member's open attempts hold, by attempt. A new attempt never draws one:
/// grading either attempt would show its answer while the other is still open.
pub async fn held_open(
    conn: &impl ConnectionTrait,
    member_id: i64,
) -> Result<HashMap<i64, i64>, ApiError> {
    let rows: Vec<(i64, i64)> = aq::Entity::find()
        .select_only()
        .column(aq::Column::QuestionId)
        .column(aq::Column::AttemptId)
        .join(JoinType::InnerJoin, aq::Relation::QuizAttempts.def())
        .filter(quiz_attempts::Column::MemberId.eq(member_id))
        .filter(quiz_attempts::Column::Status.eq(AttemptStatus::Open.as_str()))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// The questions the member may be asked now: active (maybe of one category), and in none of
/// their open attempts.
async fn askable(
    conn: &impl ConnectionTrait,
    member_id: i64,
    category: Option<&str>,
    now: DateTime<Utc>,
    grace: Duration,
) -> Result<Vec<i64>, ApiError> {
    let held = held_open(conn, member_id).await?;
    let reserved = reserved_by_exams(conn, now, grace).await?;
    let mut ids = active_ids(conn, category).await?;
    ids.retain(|id| !held.contains_key(id) && !reserved.contains(id));
    Ok(ids)
}

/// Every active question's id (maybe of one category).
async fn active_ids(
    conn: &impl ConnectionTrait,
    category: Option<&str>,
) -> Result<Vec<i64>, ApiError> {
    let mut query = questions::Entity::find()
        .select_only()
        .column(questions::Column::Id)
        .filter(questions::Column::Status.eq(QuestionStatus::Active.as_str()));
    if let Some(category) = category {
        query = query.filter(questions::Column::Category.eq(category));
    }
    Ok(query.into_tuple::<i64>().all(conn).await?)
}

/// The questions of fixed-list exams that have not closed: practice, the daily quiz and
/// challenges leave them alone, or their graded answers would be a crib for the exam.
async fn reserved_by_exams(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    grace: Duration,
) -> Result<HashSet<i64>, ApiError> {
    use entity::{exam_questions, exams};
    let ids: Vec<i64> = exam_questions::Entity::find()
        .select_only()
        .column(exam_questions::Column::QuestionId)
        .join(JoinType::InnerJoin, exam_questions::Relation::Exams.def())
        // Until answers to it can no longer be accepted: its close and the grace after it.
        .filter(exams::Column::EndsAt.gt(UtcTime::from(now - grace)))
        .filter(exams::Column::DeletedAt.is_null())
        .into_tuple()
        .all(conn)
        .await?;
    Ok(ids.into_iter().collect())
}

/// When the member last saw each question: the latest attempt that held it (ids grow with time).
async fn last_seen(
    conn: &impl ConnectionTrait,
    member_id: i64,
) -> Result<HashMap<i64, i64>, ApiError> {
    let rows: Vec<(i64, Option<i64>)> = aq::Entity::find()
        .select_only()
        .column(aq::Column::QuestionId)
        .column_as(Expr::col((aq::Entity, aq::Column::AttemptId)).max(), "seen")
        .join(JoinType::InnerJoin, aq::Relation::QuizAttempts.def())
        .filter(quiz_attempts::Column::MemberId.eq(member_id))
        .group_by(aq::Column::QuestionId)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(q, seen)| (q, seen.unwrap_or(0)))
        .collect())
}

/// The member's wrong-answer book, due first (then by due date).
async fn book(
    conn: &impl ConnectionTrait,
    member_id: i64,
) -> Result<Vec<wrong_questions::Model>, ApiError> {
    Ok(wrong_questions::Entity::find()
        .filter(wrong_questions::Column::MemberId.eq(member_id))
        .order_by_asc(wrong_questions::Column::DueOn)
        .order_by_asc(wrong_questions::Column::QuestionId)
        .all(conn)
        .await?)
}

/// `count` questions for a new attempt, in the order [`pick`] gives: `lead` first, then ones
/// the member never saw (at random), then the least recently seen. Members have seen a small
/// part of a large bank, so random ids are probed first and only they are read; the whole
/// bank's ids are read when probing finds too few (a small bank, or a member who saw most).
async fn draw(
    conn: &impl ConnectionTrait,
    member_id: i64,
    category: Option<&str>,
    lead: &[i64],
    count: usize,
    now: DateTime<Utc>,
    grace: Duration,
) -> Result<Vec<i64>, ApiError> {
    let held = held_open(conn, member_id).await?;
    let reserved = reserved_by_exams(conn, now, grace).await?;
    let seen = last_seen(conn, member_id).await?;
    let open = |id: &i64| !held.contains_key(id) && !reserved.contains(id);
    if let Some(ids) = probe(conn, category, lead, count, &seen, &open).await? {
        return Ok(ids);
    }
    let pool = active_ids(conn, category)
        .await?
        .into_iter()
        .filter(open)
        .collect();
    Ok(pick(pool, lead, &seen, count))
}

/// Due wrong-book questions [`probe`] looks up by id at most.
const MAX_PROBED_LEAD: usize = 200;

/// [`draw`] from random ids: `None` unless they give `count` with `lead`'s askable ones.
async fn probe(
    conn: &impl ConnectionTrait,
    category: Option<&str>,
    lead: &[i64],
    count: usize,
    seen: &HashMap<i64, i64>,
    open: &impl Fn(&i64) -> bool,
) -> Result<Option<Vec<i64>>, ApiError> {
    use rand::Rng;
    use rand::seq::SliceRandom;
    let max: Option<i64> = questions::Entity::find()
        .select_only()
        .expr(questions::Column::Id.max())
        .into_tuple::<Option<i64>>()
        .one(conn)
        .await?
        .flatten();
    // A small bank, or a long due list (one `IN` for it all), is read whole instead.
    let Some(max) = max.filter(|m| *m >= 1 && *m as u64 > 8 * count as u64) else {
        return Ok(None);
    };
    if lead.len() > MAX_PROBED_LEAD {
        return Ok(None);
    }
    let mut ids: Vec<i64> = {
        let mut rng = rand::rng();
        (0..4 * count + 16)
            .map(|_| rng.random_range(1..=max))
            .collect()
    };
    ids.extend_from_slice(lead);
    ids.sort_unstable();
    ids.dedup();
    let mut query = questions::Entity::find()
        .select_only()
        .column(questions::Column::Id)
        .filter(questions::Column::Id.is_in(ids))
        .filter(questions::Column::Status.eq(QuestionStatus::Active.as_str()));
    if let Some(category) = category {
        query = query.filter(questions::Column::Category.eq(category));
    }
    let found: HashSet<i64> = query
        .into_tuple::<i64>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    let mut chosen: Vec<i64> = lead
        .iter()
        .copied()
        .filter(|id| found.contains(id) && open(id))
        .take(count)
        .collect();
    let mut fresh: Vec<i64> = found
        .into_iter()
        .filter(|id| open(id) && !seen.contains_key(id) && !chosen.contains(id))
        .collect();
    if chosen.len() + fresh.len() < count {
        return Ok(None);
    }
    fresh.sort_unstable();
    fresh.shuffle(&mut rand::rng());
    let rest = count - chosen.len();
    chosen.extend(fresh.into_iter().take(rest));
    Ok(Some(chosen))
}

/// `count` of `pool` in the order a quiz asks them: `lead` first (in its order), then those the
/// member never saw (shuffled), then the least recently seen.
fn pick(pool: Vec<i64>, lead: &[i64], seen: &HashMap<i64, i64>, count: usize) -> Vec<i64> {
    use rand::seq::SliceRandom;
    let in_pool: HashSet<i64> = pool.iter().copied().collect();
    let mut chosen: Vec<i64> = lead
        .iter()
        .copied()
        .filter(|id| in_pool.contains(id))
        .take(count)
        .collect();
    let taken: HashSet<i64> = chosen.iter().copied().collect();
    let mut rest: Vec<i64> = pool.into_iter().filter(|id| !taken.contains(id)).collect();
    rest.shuffle(&mut rand::rng());
    // Stable: equally recent ones stay shuffled.
    rest.sort_by_key(|id| seen.get(id).copied().unwrap_or(0));
    chosen.extend(rest.into_iter().take(count - chosen.len()));
    chosen
}

/// The chosen questions, in the order chosen, fixed for a new attempt (each worth `score`).
async fn fix(
    conn: &impl ConnectionTrait,
    ids: &[i64],
    score: impl Fn(&Stored) -> i32,
) -> Result<Vec<Snapshot>, ApiError> {
    let mut by_id: HashMap<i64, Stored> = questions::Entity::find()
        .filter(questions::Column::Id.is_in(ids.to_vec()))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| Stored::parse(m).map(|s| (s.model.id, s)))
        .collect::<Result<_, _>>()?;
    let mut rng = rand::rng();
    Ok(ids
        .iter()
        .filter_map(|id| by_id.remove(id))
        .map(|q| snapshot(&q, score(&q), &mut rng))
        .collect())
}

/// What a new attempt is.
pub struct NewAttempt {
    pub member_id: i64,
    pub kind: AttemptKind,
    pub exam_id: Option<i64>,
    pub attempt_no: Option<i32>,
    pub category: Option<String>,
    pub deadline: DateTime<Utc>,
    pub partial_credit: bool,
    pub pass_score: Option<i32>,
    /// Exams: when answers may be shown (the exam's close).
    pub reveal_at: Option<DateTime<Utc>>,
}

fn attempt_row(
    new: &NewAttempt,
    questions: &[Snapshot],
    today: NaiveDate,
    now: DateTime<Utc>,
) -> quiz_attempts::ActiveModel {
    quiz_attempts::ActiveModel {
        member_id: Set(new.member_id),
        kind: Set(new.kind.as_str().to_owned()),
        exam_id: Set(new.exam_id),
        attempt_no: Set(new.attempt_no),
        daily_on: Set((new.kind == AttemptKind::Daily).then_some(today)),
        category: Set(new.category.clone()),
        local_date: Set(today),
        status: Set(AttemptStatus::Open.as_str().to_owned()),
        started_at: Set(now.into()),
        deadline: Set(new.deadline.into()),
        finished_at: Set(None),
        question_count: Set(questions.len() as i32),
        max_score: Set(questions.iter().map(|q| q.score).sum()),
        score: Set(None),
        correct_count: Set(None),
        points_awarded: Set(None),
        points_capped: Set(false),
        too_fast: Set(None),
        partial_credit: Set(new.partial_credit),
        pass_score: Set(new.pass_score),
        reveal_at: Set(new.reveal_at.map(Into::into)),
        result: Set(None),
        ..Default::default()
    }
}

/// The rows of the attempt's questions; the first is marked asked at `ask_first` (challenge).
fn question_rows(
    attempt_id: i64,
    questions: &[Snapshot],
    ask_first: Option<DateTime<Utc>>,
) -> Result<Vec<aq::ActiveModel>, ApiError> {
    let mut rows = Vec::with_capacity(questions.len());
    for (i, q) in questions.iter().enumerate() {
        rows.push(aq::ActiveModel {
            attempt_id: Set(attempt_id),
            position: Set(i as i32),
            question_id: Set(q.question_id),
            question_version: Set(q.version),
            kind: Set(q.kind.as_str().to_owned()),
            stem: Set(q.stem.clone()),
            options: Set((q.kind != QuestionType::Fill)
                .then(|| to_json(&q.options))
                .transpose()?),
            answer_key: Set(to_json(&q.key)?),
            explanation: Set(q.explanation.clone()),
            score: Set(q.score),
            response: Set(None),
            correct: Set(None),
            earned: Set(None),
            asked_at: Set(ask_first.filter(|_| i == 0).map(Into::into)),
            answered_at: Set(None),
        });
    }
    Ok(rows)
}

/// Inserts the attempt's questions; the first is marked asked now when `ask_first` (challenge).
async fn insert_questions(
    tx: &DatabaseTransaction,
    attempt_id: i64,
    questions: &[Snapshot],
    ask_first: Option<DateTime<Utc>>,
) -> Result<(), ApiError> {
    aq::Entity::insert_many(question_rows(attempt_id, questions, ask_first)?)
        .exec_without_returning(tx)
        .await?;
    Ok(())
}

/// A daily quiz of `questions` (choice or judge) submitted at `finished` with every answer
/// right and `paid` points, as the rows a real one leaves: for `redtrail seed bench`, which
/// writes attempts in bulk. The rows come from the functions a real attempt goes through.
pub fn answered_daily(
    id: i64,
    member_id: i64,
    day: NaiveDate,
    (started, finished): (DateTime<Utc>, DateTime<Utc>),
    questions: &[Stored],
    paid: (i32, bool),
    rng: &mut impl rand::Rng,
) -> Result<(quiz_attempts::ActiveModel, Vec<aq::ActiveModel>), ApiError> {
    let snapshots: Vec<Snapshot> = questions.iter().map(|q| snapshot(q, 1, rng)).collect();
    let new = NewAttempt::daily(member_id, finished);
    let mut rows = question_rows(id, &snapshots, None)?;
    let mut results = Vec::with_capacity(snapshots.len());
    for (row, q) in rows.iter_mut().zip(&snapshots) {
        let given = match &q.key {
            RightAnswer::Keys(keys) => Given::Keys(keys.clone()),
            RightAnswer::Blanks(blanks) => {
                Given::Blanks(blanks.iter().map(|b| b[0].clone()).collect())
            }
        };
        let (correct, earned) = grade(&q.key, Some(&given), q.score, false);
        row.response = Set(Some(to_json(&given)?));
        row.correct = Set(Some(correct));
        row.earned = Set(Some(earned));
        row.answered_at = Set(Some(finished.into()));
        results.push(GradedQuestion {
            question_id: q.question_id,
            kind: q.kind,
            stem: q.stem.clone(),
            options: q.options.clone(),
            given: Some(given),
            correct,
            answer: q.key.clone(),
            explanation: q.explanation.clone(),
            score: q.score,
            earned,
        });
    }
    let score = results.iter().map(|r| r.earned).sum();
    let correct_count = results.iter().filter(|r| r.correct).count() as i32;
    let result = AttemptResult {
        id,
        kind: AttemptKind::Daily,
        status: AttemptStatus::Submitted,
        score,
        max_score: score,
        correct_count,
        results,
        points_awarded: paid.0,
        points_capped: paid.1,
        passed: None,
        started_at: started,
        finished_at: finished,
        answers_from: None,
        duration_s: (finished - started).num_seconds(),
    };
    let mut attempt = attempt_row(&new, &snapshots, day, started);
    attempt.id = Set(id);
    attempt.status = Set(AttemptStatus::Submitted.as_str().to_owned());
    attempt.finished_at = Set(Some(finished.into()));
    attempt.score = Set(Some(score));
    attempt.correct_count = Set(Some(correct_count));
    attempt.points_awarded = Set(Some(paid.0));
    attempt.points_capped = Set(paid.1);
    attempt.too_fast = Set(Some(false));
    attempt.result = Set(Some(to_json(&result)?));
    Ok((attempt, rows))
}

impl NewAttempt {
    /// A member's daily quiz, open until `deadline`.
    fn daily(member_id: i64, deadline: DateTime<Utc>) -> Self {
        NewAttempt {
            member_id,
            kind: AttemptKind::Daily,
            exam_id: None,
            attempt_no: None,
            category: None,
            deadline,
            partial_credit: false,
            pass_score: None,
            reveal_at: None,
        }
    }
}

/// Creates an attempt holding `questions` (none: 409 `quiz.no_questions`), in the caller's
/// transaction. Exams start theirs through this too.
pub async fn start(
    tx: &DatabaseTransaction,
    new: &NewAttempt,
    questions: &[Snapshot],
    rules: Rules<'_>,
    now: DateTime<Utc>,
) -> Result<quiz_attempts::Model, ApiError> {
    if questions.is_empty() {
        return Err(ApiError::NoQuestions);
    }
    let today = local_date(now, rules.tz);
    let attempt = attempt_row(new, questions, today, now).insert(tx).await?;
    let ask_first = (new.kind == AttemptKind::Challenge).then_some(now);
    insert_questions(tx, attempt.id, questions, ask_first).await?;
    Ok(attempt)
}

/// Fixes bank questions (each worth `score`) for an exam attempt.
pub async fn fix_for_exam(
    conn: &impl ConnectionTrait,
    picked: &[(i64, i32)],
) -> Result<Vec<Snapshot>, ApiError> {
    let scores: HashMap<i64, i32> = picked.iter().copied().collect();
    let ids: Vec<i64> = picked.iter().map(|(id, _)| *id).collect();
    fix(conn, &ids, |q| {
        scores.get(&q.model.id).copied().unwrap_or(1)
    })
    .await
}

pub async fn open_attempt(
    conn: &impl ConnectionTrait,
    attempt: &quiz_attempts::Model,
    now: DateTime<Utc>,
) -> Result<OpenAttempt, ApiError> {
    Ok(open_view(attempt, &held(conn, attempt.id).await?, now))
}

// ---------------------------------------------------------------------------------------------
// Daily, practice, challenge.

async fn find_daily(
    conn: &impl ConnectionTrait,
    member_id: i64,
    today: NaiveDate,
) -> Result<Option<quiz_attempts::Model>, ApiError> {
    Ok(quiz_attempts::Entity::find()
        .filter(quiz_attempts::Column::MemberId.eq(member_id))
        .filter(quiz_attempts::Column::DailyOn.eq(today))
        .one(conn)
        .await?)
}

fn still_open(attempt: quiz_attempts::Model) -> Result<quiz_attempts::Model, ApiError> {
    if is_open(&attempt) {
        Ok(attempt)
    } else {
        Err(ApiError::DailyQuizDone)
    }
}

/// Today's daily quiz: the unfinished one, or a new one. After today's is graded: 409
/// `quiz.daily_done`. The unique (member, day) decides between concurrent first calls.
pub async fn daily(
    db: &Db,
    rules: Rules<'_>,
    member_id: i64,
    now: DateTime<Utc>,
) -> Result<OpenAttempt, ApiError> {
    let today = local_date(now, rules.tz);
    if let Some(attempt) = find_daily(db.conn(), member_id, today).await? {
        let attempt = still_open(attempt)?;
        return open_attempt(db.conn(), &attempt, now).await;
    }
    let tomorrow = today.succ_opt().unwrap_or(today);
    db.write(|tx| async move {
        // Under the member's lock, so a concurrent draw of theirs (another attempt) sees this
        // one's questions as held once it gets its turn.
        crate::members::service::lock(&tx, member_id).await?;
        // Again inside the write: one committed since the read is here now (its questions are
        // held, so the draw below would find none).
        if let Some(attempt) = find_daily(tx.as_ref(), member_id, today).await? {
            let attempt = still_open(attempt)?;
            return open_attempt(tx.as_ref(), &attempt, now).await;
        }
        let due: Vec<i64> = book(tx.as_ref(), member_id)
            .await?
            .into_iter()
            .filter(|w| w.due_on <= today)
            .map(|w| w.question_id)
            .collect();
        let count = rules.quiz.daily_count;
        let ids = draw(
            tx.as_ref(),
            member_id,
            None,
            &due,
            count,
            now,
            rules.grace(),
        )
        .await?;
        let questions = fix(tx.as_ref(), &ids, |_| 1).await?;
        if questions.is_empty() {
            // Nothing to draw because a concurrent call's daily quiz holds the questions: it
            // has committed (only committed rows hold), so it is found now.
            return match find_daily(tx.as_ref(), member_id, today).await? {
                Some(attempt) => open_attempt(tx.as_ref(), &still_open(attempt)?, now).await,
                None => Err(ApiError::NoQuestions),
            };
        }
        let new = NewAttempt::daily(member_id, start_of_day(tomorrow, rules.tz));
        let row = attempt_row(&new, &questions, today, now);
        let Some(attempt) = insert_unless_duplicate(&tx, row).await? else {
            // Another request created today's first: it is committed now.
            let attempt = find_daily(tx.as_ref(), member_id, today)
                .await?
                .ok_or_else(|| anyhow::anyhow!("the daily attempt conflicted but is absent"))?;
            let attempt = still_open(attempt)?;
            return open_attempt(tx.as_ref(), &attempt, now).await;
        };
        insert_questions(&tx, attempt.id, &questions, None).await?;
        open_attempt(tx.as_ref(), &attempt, now).await
    })
    .await
}

/// A practice attempt (run inside the request's idempotent write).
pub async fn practice(
    tx: &Tx,
    rules: Rules<'_>,
    member_id: i64,
    new: &NewPractice,
    now: DateTime<Utc>,
) -> Result<OpenAttempt, ApiError> {
    crate::members::service::lock(tx, member_id).await?;
    let count = new.count as usize;
    let category = new.category.as_deref().map(str::trim);
    let ids = if new.from_wrong_book {
        let active: HashSet<i64> = askable(tx.as_ref(), member_id, category, now, rules.grace())
            .await?
            .into_iter()
            .collect();
        book(tx.as_ref(), member_id)
            .await?
            .into_iter()
            .map(|w| w.question_id)
            .filter(|id| active.contains(id))
            .take(count)
            .collect()
    } else {
        draw(
            tx.as_ref(),
            member_id,
            category,
            &[],
            count,
            now,
            rules.grace(),
        )
        .await?
    };
    let questions = fix(tx.as_ref(), &ids, |_| 1).await?;
    let attempt = NewAttempt {
        member_id,
        kind: AttemptKind::Practice,
        exam_id: None,
        attempt_no: None,
        category: category.map(str::to_owned),
        deadline: now + PRACTICE_WINDOW,
        partial_credit: false,
        pass_score: None,
        reveal_at: None,
    };
    let attempt = start(tx, &attempt, &questions, rules, now).await?;
    open_attempt(tx.as_ref(), &attempt, now).await
}

/// A challenge run: its questions are drawn now, but only the first is sent.
pub async fn challenge(
    tx: &Tx,
    rules: Rules<'_>,
    member_id: i64,
    now: DateTime<Utc>,
) -> Result<ChallengeStarted, ApiError> {
    crate::members::service::lock(tx, member_id).await?;
    let count = rules.quiz.challenge_max;
    let ids = draw(tx.as_ref(), member_id, None, &[], count, now, rules.grace()).await?;
    let questions = fix(tx.as_ref(), &ids, |_| 1).await?;
    let new = NewAttempt {
        member_id,
        kind: AttemptKind::Challenge,
        exam_id: None,
        attempt_no: None,
        category: None,
        deadline: now + rules.per_question(),
        partial_credit: false,
        pass_score: None,
        reveal_at: None,
    };
    let attempt = start(tx, &new, &questions, rules, now).await?;
    let first = held(tx.as_ref(), attempt.id)
        .await?
        .into_iter()
        .next()
        .ok_or(ApiError::NoQuestions)?;
    let deadline = attempt.deadline.into();
    Ok(ChallengeStarted {
        id: attempt.id,
        question: first.asked(),
        deadline,
        remaining_s: remaining_s(deadline, now),
        max_questions: attempt.question_count,
    })
}

// ---------------------------------------------------------------------------------------------
// Reading, saving and submitting.

/// The attempt, open or graded. An attempt found past its deadline is graded first.
pub async fn get(
    db: &Db,
    rules: Rules<'_>,
    member_id: i64,
    id: i64,
    now: DateTime<Utc>,
) -> Result<AttemptView, ApiError> {
    let attempt = own(db.conn(), member_id, id).await?;
    if !is_open(&attempt) {
        return Ok(AttemptView::Graded(stored_result(&attempt, now)?));
    }
    if !rules.expired(&attempt, now) {
        return Ok(AttemptView::Open(
            open_attempt(db.conn(), &attempt, now).await?,
        ));
    }
    let result = db
        .write(|tx| async move {
            crate::members::service::lock(&tx, member_id).await?;
            let attempt = own(tx.as_ref(), member_id, id).await?;
            if !is_open(&attempt) {
                return stored_result(&attempt, now);
            }
            expire(&tx, rules, attempt, now).await
        })
        .await?;
    Ok(AttemptView::Graded(result))
}

/// Reads each answer against the attempt's questions: 422 naming `answers[i]` for a question
/// outside the attempt, a repeated one, or an answer of the wrong shape.
fn read_answers(
    answers: &[AnswerInput],
    held: &[Held],
) -> Result<HashMap<i64, Option<Given>>, ApiError> {
    let by_id: HashMap<i64, &Held> = held.iter().map(|h| (h.row.question_id, h)).collect();
    let mut read = HashMap::new();
    let mut problems = FieldErrors::new();
    for (i, answer) in answers.iter().enumerate() {
        let at = format!("answers[{i}]");
        let Some(h) = by_id.get(&answer.question_id) else {
            problems
                .entry(format!("{at}.question_id"))
                .or_default()
                .push(FieldIssue::new("unknown_question"));
            continue;
        };
        match read_given(answer, h.kind, &h.options, blank_count(&h.key)) {
            Ok(given) => {
                if read.insert(answer.question_id, given).is_some() {
                    problems
                        .entry(format!("{at}.question_id"))
                        .or_default()
                        .push(FieldIssue::new("duplicate"));
                }
            }
            Err((field, issue)) => problems
                .entry(format!("{at}.{field}"))
                .or_default()
                .push(issue),
        }
    }
    if problems.is_empty() {
        Ok(read)
    } else {
        Err(ApiError::Validation(problems))
    }
}

/// The open, unexpired attempt of a submit or a save, under the member's lock; an expired one
/// is graded (committed) and answered 409 `quiz.expired`.
enum Found {
    Open(quiz_attempts::Model),
    /// Graded already.
    Graded(quiz_attempts::Model),
    Expired,
}

async fn find_for_answers(
    tx: &Tx,
    rules: Rules<'_>,
    member_id: i64,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Found, ApiError> {
    crate::members::service::lock(tx, member_id).await?;
    let attempt = own(tx.as_ref(), member_id, id).await?;
    if kind_of(&attempt) == AttemptKind::Challenge {
        return Err(ApiError::QuizWrongKind);
    }
    if !is_open(&attempt) {
        return Ok(Found::Graded(attempt));
    }
    if rules.expired(&attempt, now) {
        expire(tx, rules, attempt, now).await?;
        return Ok(Found::Expired);
    }
    Ok(Found::Open(attempt))
}

/// Saves answers so far (`PUT …/answers`): each named question's saved answer is replaced; a
/// question left out keeps what it had. After the deadline and its grace: 409 `quiz.expired`.
pub async fn save(
    db: &Db,
    rules: Rules<'_>,
    member_id: i64,
    id: i64,
    answers: &Answers,
    now: DateTime<Utc>,
) -> Result<Saved, ApiError> {
    let outcome = db
        .write(|tx| async move {
            let attempt = match find_for_answers(&tx, rules, member_id, id, now).await? {
                Found::Open(a) => a,
                Found::Graded(_) => return Err(ApiError::QuizFinished),
                Found::Expired => return Ok(None),
            };
            let held = held(tx.as_ref(), id).await?;
            let read = read_answers(&answers.answers, &held)?;
            for h in &held {
                if let Some(given) = read.get(&h.row.question_id) {
                    aq::Entity::update_many()
                        .col_expr(
                            aq::Column::Response,
                            Expr::value(given.as_ref().map(to_json).transpose()?),
                        )
                        .filter(aq::Column::AttemptId.eq(id))
                        .filter(aq::Column::Position.eq(h.row.position))
                        .exec(tx.as_ref())
                        .await?;
                }
            }
            let saved_count = held
                .iter()
                .filter(|h| match read.get(&h.row.question_id) {
                    Some(given) => given.is_some(),
                    None => h.saved.is_some(),
                })
                .count();
            let deadline = attempt.deadline.into();
            Ok(Some(Saved {
                saved_count,
                deadline,
                remaining_s: remaining_s(deadline, now),
            }))
        })
        .await?;
    outcome.ok_or(ApiError::QuizExpired)
}

/// Grades the attempt with `answers` (over what was saved). A second submit replays the first
/// result; after the deadline and its grace: 409 `quiz.expired`, the saved answers graded.
pub async fn submit(
    db: &Db,
    rules: Rules<'_>,
    member_id: i64,
    id: i64,
    answers: &Answers,
    now: DateTime<Utc>,
) -> Result<AttemptResult, ApiError> {
    let outcome = db
        .write(|tx| async move {
            let attempt = match find_for_answers(&tx, rules, member_id, id, now).await? {
                Found::Open(a) => a,
                Found::Graded(a) if a.status == AttemptStatus::Submitted.as_str() => {
                    return stored_result(&a, now).map(Some);
                }
                Found::Graded(_) | Found::Expired => return Ok(None),
            };
            let mut held = held(tx.as_ref(), id).await?;
            let read = read_answers(&answers.answers, &held)?;
            for h in &mut held {
                if let Some(given) = read.get(&h.row.question_id) {
                    h.saved = given.clone();
                }
            }
            close(&tx, rules, attempt, held, AttemptStatus::Submitted, now)
                .await
                .map(Some)
        })
        .await?;
    outcome.ok_or(ApiError::QuizExpired)
}

/// Grades `attempt` if it is open past its deadline and grace; true if it did. For callers
/// holding the member's lock (exams settle a member's overdue attempt before another starts).
pub async fn settle(
    tx: &Tx,
    rules: Rules<'_>,
    attempt: &quiz_attempts::Model,
    now: DateTime<Utc>,
) -> Result<bool, ApiError> {
    if !is_open(attempt) || !rules.expired(attempt, now) {
        return Ok(false);
    }
    expire(tx, rules, attempt.clone(), now).await?;
    Ok(true)
}

/// Grades an attempt left open past its deadline from its saved answers.
async fn expire(
    tx: &Tx,
    rules: Rules<'_>,
    attempt: quiz_attempts::Model,
    now: DateTime<Utc>,
) -> Result<AttemptResult, ApiError> {
    let mut held = held(tx.as_ref(), attempt.id).await?;
    if kind_of(&attempt) == AttemptKind::Challenge {
        // The run is what was asked; the question left unanswered counts as a miss.
        held.retain(|h| h.row.asked_at.is_some());
    }
    close(tx, rules, attempt, held, AttemptStatus::Expired, now).await
}

/// Grades `held` (each with the answer to grade in `saved`; a challenge's are graded already),
/// updates the wrong-answer book, pays, and closes the attempt with its stored result.
async fn close(
    tx: &Tx,
    rules: Rules<'_>,
    attempt: quiz_attempts::Model,
    mut held: Vec<Held>,
    status: AttemptStatus,
    now: DateTime<Utc>,
) -> Result<AttemptResult, ApiError> {
    let kind = kind_of(&attempt);
    let today = local_date(now, rules.tz);
    if kind != AttemptKind::Challenge {
        let mut reviewed = Vec::new();
        for h in &mut held {
            let (correct, earned) = grade(
                &h.key,
                h.saved.as_ref(),
                h.row.score,
                attempt.partial_credit,
            );
            aq::Entity::update_many()
                .col_expr(
                    aq::Column::Response,
                    Expr::value(h.saved.as_ref().map(to_json).transpose()?),
                )
                .col_expr(aq::Column::Correct, Expr::value(correct))
                .col_expr(aq::Column::Earned, Expr::value(earned))
                .filter(aq::Column::AttemptId.eq(attempt.id))
                .filter(aq::Column::Position.eq(h.row.position))
                .exec(tx.as_ref())
                .await?;
            h.row.correct = Some(correct);
            h.row.earned = Some(earned);
            // A question left unanswered (an abandoned attempt) says nothing of what the
            // member knows: it scores nothing but stays out of the book.
            if h.saved.is_some() {
                reviewed.push((h.row.question_id, correct));
            }
        }
        // An exam still open keeps its mistakes out of the book too: the book would say which
        // answers were wrong while others (or a retake) still sit it.
        let exam_open = attempt
            .reveal_at
            .is_some_and(|reveal| now < DateTime::<Utc>::from(reveal));
        if !exam_open {
            review(tx, attempt.member_id, &reviewed, today, now).await?;
        }
    } else {
        for h in &mut held {
            if h.row.correct.is_none() {
                h.row.correct = Some(false);
                h.row.earned = Some(0);
            }
        }
    }
    let score: i32 = held.iter().map(|h| h.row.earned.unwrap_or(0)).sum();
    let correct_count = held.iter().filter(|h| h.row.correct == Some(true)).count() as i32;
    let passed = attempt.pass_score.map(|pass| score >= pass);

    let exam_source;
    let attempt_source = attempt.id.to_string();
    let (source, source_id, units) = match kind {
        AttemptKind::Daily => (Source::QuizDaily, attempt_source.as_str(), correct_count),
        AttemptKind::Practice => (Source::QuizPractice, attempt_source.as_str(), correct_count),
        AttemptKind::Challenge => (
            Source::QuizChallenge,
            attempt_source.as_str(),
            correct_count,
        ),
        // An exam pays once, for its first pass.
        AttemptKind::Exam => {
            exam_source = attempt.exam_id.unwrap_or(attempt.id).to_string();
            (
                Source::QuizExam,
                exam_source.as_str(),
                i32::from(passed == Some(true)),
            )
        }
    };
    let (points, capped) = if units > 0 {
        let paid = award(
            tx,
            Payout {
                member_id: attempt.member_id,
                source,
                source_id,
                units,
                local_date: attempt.local_date,
                note: None,
            },
            now,
        )
        .await?;
        if paid.replayed {
            (0, false)
        } else {
            (paid.points, paid.capped)
        }
    } else {
        (0, false)
    };

    let started: DateTime<Utc> = attempt.started_at.into();
    // An attempt graded after its deadline took until the deadline, not until it was found.
    let finished = match status {
        AttemptStatus::Expired => Ord::min(now, attempt.deadline.into()),
        _ => now,
    };
    let duration = finished - started;
    let too_fast = status == AttemptStatus::Submitted
        && duration.to_std().unwrap_or_default()
            < rules.quiz.min_per_question * held.len().max(1) as u32;
    let result = AttemptResult {
        id: attempt.id,
        kind,
        status,
        score,
        max_score: attempt.max_score,
        correct_count,
        results: held.iter().map(Held::graded).collect(),
        points_awarded: points,
        points_capped: capped,
        passed,
        started_at: started,
        finished_at: finished,
        answers_from: None,
        duration_s: Ord::max(duration.num_seconds(), 0),
    };
    let closed = quiz_attempts::Entity::update_many()
        .col_expr(quiz_attempts::Column::Status, Expr::value(status.as_str()))
        .col_expr(
            quiz_attempts::Column::FinishedAt,
            Expr::value(UtcTime::from(finished)),
        )
        .col_expr(quiz_attempts::Column::Score, Expr::value(score))
        .col_expr(
            quiz_attempts::Column::CorrectCount,
            Expr::value(correct_count),
        )
        .col_expr(quiz_attempts::Column::PointsAwarded, Expr::value(points))
        .col_expr(quiz_attempts::Column::PointsCapped, Expr::value(capped))
        .col_expr(quiz_attempts::Column::TooFast, Expr::value(too_fast))
        .col_expr(
            quiz_attempts::Column::Result,
            Expr::value(to_json(&result)?),
        )
        .filter(quiz_attempts::Column::Id.eq(attempt.id))
        .filter(quiz_attempts::Column::Status.eq(AttemptStatus::Open.as_str()))
        .exec(tx.as_ref())
        .await?;
    if closed.rows_affected != 1 {
        // Under the member's lock nobody else closes it; should it happen, nothing commits.
        return Err(anyhow::anyhow!("attempt {} was closed by another writer", attempt.id).into());
    }
    Ok(shown(result, &attempt, now))
}

// ---------------------------------------------------------------------------------------------
// The challenge, one question at a time.

/// Answers the challenge's current question. A repeat of an answered question (a retry on a
/// bad network) replays how it went.
pub async fn answer(
    db: &Db,
    rules: Rules<'_>,
    member_id: i64,
    id: i64,
    input: &AnswerInput,
    now: DateTime<Utc>,
) -> Result<ChallengeStep, ApiError> {
    let outcome = db
        .write(|tx| async move {
            crate::members::service::lock(&tx, member_id).await?;
            let attempt = own(tx.as_ref(), member_id, id).await?;
            if kind_of(&attempt) != AttemptKind::Challenge {
                return Err(ApiError::QuizWrongKind);
            }
            let mut held = held(tx.as_ref(), id).await?;
            let Some(at) = held
                .iter()
                .position(|h| h.row.question_id == input.question_id)
            else {
                return Err(ApiError::field(
                    "question_id",
                    FieldIssue::new("unknown_question"),
                ));
            };
            if held[at].row.answered_at.is_some() {
                return Ok(Some(replay_step(&attempt, &held, at)));
            }
            if !is_open(&attempt) {
                return Err(ApiError::QuizFinished);
            }
            if held[at].row.asked_at.is_none() {
                return Err(ApiError::field(
                    "question_id",
                    FieldIssue::new("not_current"),
                ));
            }
            if rules.expired(&attempt, now) {
                expire(&tx, rules, attempt, now).await?;
                return Ok(None);
            }
            let h = &held[at];
            let given = read_given(input, h.kind, &h.options, blank_count(&h.key))
                .map_err(|(field, issue)| ApiError::field(field, issue))?;
            let (correct, earned) = grade(&h.key, given.as_ref(), h.row.score, false);
            aq::Entity::update_many()
                .col_expr(
                    aq::Column::Response,
                    Expr::value(given.as_ref().map(to_json).transpose()?),
                )
                .col_expr(aq::Column::Correct, Expr::value(correct))
                .col_expr(aq::Column::Earned, Expr::value(earned))
                .col_expr(aq::Column::AnsweredAt, Expr::value(UtcTime::from(now)))
                .filter(aq::Column::AttemptId.eq(id))
                .filter(aq::Column::Position.eq(h.row.position))
                .exec(tx.as_ref())
                .await?;
            let today = local_date(now, rules.tz);
            review(&tx, member_id, &[(h.row.question_id, correct)], today, now).await?;
            held[at].saved = given;
            held[at].row.correct = Some(correct);
            held[at].row.earned = Some(earned);
            held[at].row.answered_at = Some(now.into());
            let streak = held.iter().filter(|h| h.row.correct == Some(true)).count() as i32;
            let (key, explanation) = (held[at].key.clone(), held[at].row.explanation.clone());
            let step = |next: Option<AskedQuestion>, deadline, points, capped| ChallengeStep {
                correct,
                answer: key.clone(),
                explanation: explanation.clone(),
                streak,
                finished: next.is_none(),
                next_question: next,
                deadline,
                points_awarded: points,
                points_capped: capped,
            };
            if correct && at + 1 < held.len() {
                let deadline = now + rules.per_question();
                aq::Entity::update_many()
                    .col_expr(aq::Column::AskedAt, Expr::value(UtcTime::from(now)))
                    .filter(aq::Column::AttemptId.eq(id))
                    .filter(aq::Column::Position.eq(held[at + 1].row.position))
                    .exec(tx.as_ref())
                    .await?;
                quiz_attempts::Entity::update_many()
                    .col_expr(
                        quiz_attempts::Column::Deadline,
                        Expr::value(UtcTime::from(deadline)),
                    )
                    .col_expr(quiz_attempts::Column::CorrectCount, Expr::value(streak))
                    .filter(quiz_attempts::Column::Id.eq(id))
                    .exec(tx.as_ref())
                    .await?;
                let next = held[at + 1].asked();
                return Ok(Some(step(Some(next), Some(deadline), 0, false)));
            }
            held.truncate(at + 1);
            let result = close(&tx, rules, attempt, held, AttemptStatus::Submitted, now).await?;
            Ok(Some(step(
                None,
                None,
                result.points_awarded,
                result.points_capped,
            )))
        })
        .await?;
    outcome.ok_or(ApiError::QuizExpired)
}

fn replay_step(attempt: &quiz_attempts::Model, held: &[Held], at: usize) -> ChallengeStep {
    let open = is_open(attempt);
    let next = open
        .then(|| {
            held.iter()
                .find(|h| h.row.asked_at.is_some() && h.row.answered_at.is_none())
        })
        .flatten();
    ChallengeStep {
        correct: held[at].row.correct.unwrap_or(false),
        answer: held[at].key.clone(),
        explanation: held[at].row.explanation.clone(),
        streak: held.iter().filter(|h| h.row.correct == Some(true)).count() as i32,
        finished: !open,
        next_question: next.map(Held::asked),
        deadline: next.map(|_| attempt.deadline.into()),
        points_awarded: attempt.points_awarded.unwrap_or(0),
        points_capped: attempt.points_capped,
    }
}

// ---------------------------------------------------------------------------------------------
// The wrong-answer book.

/// Applies graded answers to the member's book. A wrong answer enters the question, due
/// tomorrow. Each review (an answer on or after the due day) climbs a rung of 1, 3, 7 days: a
/// right one waits the rung's interval, and two right reviews in a row take it out. A mistake,
/// at a review or not, ends the run and brings it back tomorrow. A right answer before the due
/// day changes nothing: practising early is not a spaced review.
async fn review(
    tx: &Tx,
    member_id: i64,
    answered: &[(i64, bool)],
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    if answered.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = answered.iter().map(|(id, _)| *id).collect();
    let mut in_book: HashMap<i64, wrong_questions::Model> = wrong_questions::Entity::find()
        .filter(wrong_questions::Column::MemberId.eq(member_id))
        .filter(wrong_questions::Column::QuestionId.is_in(ids))
        .all(tx.as_ref())
        .await?
        .into_iter()
        .map(|w| (w.question_id, w))
        .collect();
    let mut entering = Vec::new();
    let mut leaving = Vec::new();
    for &(question_id, correct) in answered {
        let Some(entry) = in_book.remove(&question_id) else {
            if !correct {
                entering.push(wrong_questions::ActiveModel {
                    member_id: Set(member_id),
                    question_id: Set(question_id),
                    rung: Set(0),
                    right_streak: Set(0),
                    wrong_count: Set(1),
                    due_on: Set(today + chrono::Days::new(LADDER[0])),
                    last_wrong_at: Set(now.into()),
                    added_at: Set(now.into()),
                });
            }
            continue;
        };
        let at_review = entry.due_on <= today;
        if correct && !at_review {
            continue;
        }
        let streak = if correct { entry.right_streak + 1 } else { 0 };
        if streak >= LEAVES_AFTER {
            leaving.push(question_id);
            continue;
        }
        let mut row: wrong_questions::ActiveModel = entry.clone().into();
        row.right_streak = Set(streak);
        // Each review climbs the ladder; a right one waits the rung's interval, a mistake
        // (at a review or not) brings the question back tomorrow.
        let rung = match at_review {
            true => Ord::min(entry.rung + 1, LADDER.len() as i16 - 1),
            false => entry.rung,
        };
        row.rung = Set(rung);
        let wait = if correct {
            LADDER[rung as usize]
        } else {
            LADDER[0]
        };
        row.due_on = Set(today + chrono::Days::new(wait));
        if !correct {
            row.wrong_count = Set(entry.wrong_count + 1);
            row.last_wrong_at = Set(now.into());
        }
        row.update(tx.as_ref()).await?;
    }
    if !entering.is_empty() {
        wrong_questions::Entity::insert_many(entering)
            .exec_without_returning(tx.as_ref())
            .await?;
    }
    if !leaving.is_empty() {
        wrong_questions::Entity::delete_many()
            .filter(wrong_questions::Column::MemberId.eq(member_id))
            .filter(wrong_questions::Column::QuestionId.is_in(leaving))
            .exec(tx.as_ref())
            .await?;
    }
    Ok(())
}

/// My wrong-answer book: due first, then by due date.
pub async fn wrong_book(
    conn: &impl ConnectionTrait,
    rules: Rules<'_>,
    member_id: i64,
    page: &PageQuery,
    now: DateTime<Utc>,
) -> Result<Page<WrongQuestion>, ApiError> {
    let today = local_date(now, rules.tz);
    let offset = page.offset()?;
    let limit = page.limit();
    let rows = wrong_questions::Entity::find()
        .filter(wrong_questions::Column::MemberId.eq(member_id))
        .find_also_related(questions::Entity)
        // A retired question is never asked again, so it cannot be reviewed: not listed.
        .filter(questions::Column::Status.ne(QuestionStatus::Retired.as_str()))
        .order_by(wrong_questions::Column::DueOn, Order::Asc)
        .order_by(wrong_questions::Column::QuestionId, Order::Asc)
        .offset(offset)
        .limit(limit + 1)
        .all(conn)
        .await?;
    let (rows, more) = crate::http::paging::cut_offset(rows, limit);
    let items = rows
        .into_iter()
        .filter_map(|(w, q)| {
            let q = q?;
            Some(WrongQuestion {
                question_id: w.question_id,
                kind: QuestionType::parse(&q.kind)?,
                stem: q.stem,
                category: q.category,
                wrong_count: w.wrong_count,
                right_streak: i32::from(w.right_streak),
                due: w.due_on <= today,
                due_on: w.due_on,
                last_wrong_at: w.last_wrong_at.into(),
            })
        })
        .collect();
    Ok(Page {
        items,
        next_cursor: more.then(|| crate::http::paging::offset_cursor(offset + limit)),
    })
}

// ---------------------------------------------------------------------------------------------
// The periodic expiry.

/// Grades up to `batch` attempts left open past their deadline and its grace, each in its own
/// transaction; returns how many it graded. The caller holds the job's lease.
pub async fn expire_overdue(
    db: &Db,
    rules: Rules<'_>,
    now: DateTime<Utc>,
    batch: u64,
) -> Result<usize, ApiError> {
    let cutoff = UtcTime::from(now - rules.grace());
    let overdue = quiz_attempts::Entity::find()
        .select_only()
        .column(quiz_attempts::Column::Id)
        .column(quiz_attempts::Column::MemberId)
        .filter(quiz_attempts::Column::Status.eq(AttemptStatus::Open.as_str()))
        .filter(quiz_attempts::Column::Deadline.lt(cutoff))
        .order_by_asc(quiz_attempts::Column::Deadline)
        .limit(batch)
        .into_tuple::<(i64, i64)>()
        .all(db.conn())
        .await?;
    let mut graded = 0;
    for (id, member_id) in overdue {
        let done = db
            .write(|tx| async move {
                crate::members::service::lock(&tx, member_id).await?;
                let attempt = own(tx.as_ref(), member_id, id).await?;
                if !is_open(&attempt) || !rules.expired(&attempt, now) {
                    return Ok(false);
                }
                expire(&tx, rules, attempt, now).await?;
                Ok(true)
            })
            .await;
        // One attempt that cannot be graded must not hold up the rest, this round or the next.
        match done {
            Ok(done) => graded += usize::from(done),
            Err(e) => tracing::warn!(attempt = id, error = %e, "grading an overdue attempt failed"),
        }
    }
    Ok(graded)
}
