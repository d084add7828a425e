//! Exams and competitions (竞赛): definitions, who may sit them, starting an attempt (its
//! questions drawn and fixed then), and results for admins.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{
    exam_orgs, exam_questions, exams, members, org_members, questions, quiz_attempt_questions,
    quiz_attempts,
};
use rand::seq::SliceRandom;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;
use validator::Validate;

use crate::audit::service::{Change, record};
use crate::auth::scope::{
    AdminScope, audience, member_org_and_ancestors, orgs_by_item, reaching, visible_orgs,
};
use crate::db::{Db, Tx};
use crate::error::{ApiError, FieldErrors, FieldIssue};
use crate::http::paging::{self, Page, PageQuery};
use crate::points::service::competition_ranks;
use crate::questions::dto::QuestionStatus;
use crate::quiz::dto::{AttemptKind, AttemptStatus, OpenAttempt};
use crate::quiz::service::{self as quiz, NewAttempt, Rules};

use super::dto::{
    Exam, ExamResults, NewExam, OpenExam, QuestionAccuracy, ResultsQuery, ResultsSummary,
    Selection, Standing,
};

const MAX_FIXED: usize = 200;
const MAX_RULES: usize = 20;

fn selection_of(exam: &exams::Model) -> Result<Selection, ApiError> {
    Ok(serde_json::from_str(&exam.selection).map_err(anyhow::Error::from)?)
}

/// (questions, maximum score) of one attempt.
fn size_of(selection: &Selection) -> (i32, i32) {
    match selection {
        Selection::Fixed(picks) => (picks.len() as i32, picks.iter().map(|p| p.score).sum()),
        Selection::Random(rules) => (
            rules.iter().map(|r| r.count as i32).sum(),
            rules.iter().map(|r| r.count as i32 * r.score).sum(),
        ),
    }
}

async fn org_ids_of(
    conn: &impl ConnectionTrait,
    exam_ids: Vec<i64>,
) -> Result<HashMap<i64, Vec<i64>>, ApiError> {
    Ok(orgs_by_item(pairs(conn, Some(exam_ids)).await?))
}

/// (exam, org) rows, of `exam_ids` or of every exam.
async fn pairs(
    conn: &impl ConnectionTrait,
    exam_ids: Option<Vec<i64>>,
) -> Result<Vec<(i64, i64)>, ApiError> {
    let mut query = exam_orgs::Entity::find()
        .select_only()
        .column(exam_orgs::Column::ExamId)
        .column(exam_orgs::Column::OrgId);
    if let Some(ids) = exam_ids {
        query = query.filter(exam_orgs::Column::ExamId.is_in(ids));
    }
    Ok(query.into_tuple().all(conn).await?)
}

fn to_dto(exam: exams::Model, org_ids: Vec<i64>) -> Result<Exam, ApiError> {
    let selection = selection_of(&exam)?;
    let (question_count, max_score) = size_of(&selection);
    Ok(Exam {
        id: exam.id,
        title: exam.title,
        description: exam.description,
        starts_at: exam.starts_at.into(),
        ends_at: exam.ends_at.into(),
        duration_s: exam.duration_s,
        selection,
        pass_score: exam.pass_score,
        max_attempts: exam.max_attempts,
        partial_credit: exam.partial_credit,
        org_ids,
        campaign_id: exam.campaign_id,
        question_count,
        max_score,
        created_at: exam.created_at.into(),
    })
}

/// The rules a schema cannot state: the window, the selection's size, the pass score within
/// reach, the fixed questions existing (checked in the transaction).
fn check(new: &NewExam) -> Result<(), ApiError> {
    let mut problems = FieldErrors::new();
    let mut problem = |field: &str, issue: FieldIssue| {
        problems.entry(field.to_owned()).or_default().push(issue);
    };
    if new.starts_at >= new.ends_at {
        problem("ends_at", FieldIssue::new("after_start"));
    }
    crate::http::validate::storable_instant("starts_at", new.starts_at)?;
    crate::http::validate::storable_instant("ends_at", new.ends_at)?;
    match &new.selection {
        Selection::Fixed(picks) => {
            if picks.is_empty() || picks.len() > MAX_FIXED {
                problem(
                    "selection.fixed",
                    FieldIssue::new("items")
                        .with("min", 1)
                        .with("max", MAX_FIXED),
                );
            }
            let distinct: HashSet<i64> = picks.iter().map(|p| p.question_id).collect();
            if distinct.len() != picks.len() {
                problem("selection.fixed", FieldIssue::new("duplicate"));
            }
            for (i, pick) in picks.iter().enumerate() {
                if pick.validate().is_err() {
                    problem(
                        &format!("selection.fixed[{i}].score"),
                        FieldIssue::new("range").with("min", 1).with("max", 100),
                    );
                }
            }
        }
        Selection::Random(rules) => {
            if rules.is_empty() || rules.len() > MAX_RULES {
                problem(
                    "selection.random",
                    FieldIssue::new("items")
                        .with("min", 1)
                        .with("max", MAX_RULES),
                );
            }
            for (i, rule) in rules.iter().enumerate() {
                if let Err(errors) = rule.validate()
                    && let ApiError::Validation(fields) = ApiError::from(errors)
                {
                    for (field, issues) in fields {
                        problems
                            .entry(format!("selection.random[{i}].{field}"))
                            .or_default()
                            .extend(issues);
                    }
                }
            }
        }
    }
    let (_, max_score) = size_of(&new.selection);
    if new.pass_score > max_score {
        problems.entry("pass_score".into()).or_default().push(
            FieldIssue::new("range")
                .with("min", 0)
                .with("max", max_score),
        );
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(problems))
    }
}

/// Writes `new` into `row` and the exam's orgs, checking every id.
async fn save(
    tx: &DatabaseTransaction,
    mut row: exams::ActiveModel,
    new: &NewExam,
    now: DateTime<Utc>,
) -> Result<(exams::Model, Vec<i64>), ApiError> {
    let org_ids = audience(tx, &new.org_ids, new.campaign_id).await?;
    if let Selection::Fixed(picks) = &new.selection {
        let ids: Vec<i64> = picks.iter().map(|p| p.question_id).collect();
        let found = questions::Entity::find()
            .filter(questions::Column::Id.is_in(ids.clone()))
            .count(tx)
            .await?;
        if found as usize != ids.len() {
            return Err(ApiError::field(
                "selection.fixed",
                FieldIssue::new("unknown_question"),
            ));
        }
    }
    row.title = Set(new.title.trim().to_owned());
    row.description = Set(new.description.clone());
    row.starts_at = Set(new.starts_at.into());
    row.ends_at = Set(new.ends_at.into());
    row.duration_s = Set(new.duration_s);
    row.selection = Set(serde_json::to_string(&new.selection).map_err(anyhow::Error::from)?);
    row.pass_score = Set(new.pass_score);
    row.max_attempts = Set(new.max_attempts.unwrap_or(1));
    row.partial_credit = Set(new.partial_credit);
    row.campaign_id = Set(new.campaign_id);
    let exam = if row.id.is_not_set() {
        row.insert(tx).await?
    } else {
        row.updated_at = Set(Some(now.into()));
        row.update(tx).await?
    };
    exam_orgs::Entity::delete_many()
        .filter(exam_orgs::Column::ExamId.eq(exam.id))
        .exec(tx)
        .await?;
    exam_orgs::Entity::insert_many(org_ids.iter().map(|org| exam_orgs::ActiveModel {
        exam_id: Set(exam.id),
        org_id: Set(*org),
    }))
    .exec_without_returning(tx)
    .await?;
    // A fixed exam's questions, kept out of practice and the daily quiz until it closes.
    exam_questions::Entity::delete_many()
        .filter(exam_questions::Column::ExamId.eq(exam.id))
        .exec(tx)
        .await?;
    if let Selection::Fixed(picks) = &new.selection {
        exam_questions::Entity::insert_many(picks.iter().map(|p| exam_questions::ActiveModel {
            exam_id: Set(exam.id),
            question_id: Set(p.question_id),
        }))
        .exec_without_returning(tx)
        .await?;
    }
    Ok((exam, org_ids))
}

async fn audit(
    tx: &DatabaseTransaction,
    actor: i64,
    action: &str,
    exam: &exams::Model,
    org_ids: &[i64],
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    record(
        tx,
        Change {
            actor_id: actor,
            action,
            entity_type: "exam",
            entity_id: exam.id,
            scope_path: None,
            before: None,
            after: Some(json!({"title": exam.title, "org_ids": org_ids, "starts_at": exam.starts_at.to_string(), "ends_at": exam.ends_at.to_string()})),
        },
        now,
    )
    .await
}

async fn find(conn: &impl ConnectionTrait, id: i64) -> Result<exams::Model, ApiError> {
    exams::Entity::find_by_id(id)
        .filter(exams::Column::DeletedAt.is_null())
        .one(conn)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Creates an exam (platform admins; audited).
pub async fn create(
    db: &Db,
    actor: i64,
    new: NewExam,
    now: DateTime<Utc>,
) -> Result<Exam, ApiError> {
    check(&new)?;
    let new = &new;
    db.write(|tx| async move {
        let row = exams::ActiveModel {
            created_by: Set(actor),
            created_at: Set(now.into()),
            updated_at: Set(None),
            deleted_at: Set(None),
            ..Default::default()
        };
        let (exam, org_ids) = save(&tx, row, new, now).await?;
        audit(&tx, actor, "exam.create", &exam, &org_ids, now).await?;
        to_dto(exam, org_ids)
    })
    .await
}

/// Replaces an exam's definition. Attempts already started keep their questions and terms.
pub async fn update(
    db: &Db,
    actor: i64,
    id: i64,
    new: NewExam,
    grace: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<Exam, ApiError> {
    check(&new)?;
    let new = &new;
    db.write(|tx| async move {
        let row: exams::ActiveModel = find(tx.as_ref(), id).await?.into();
        let (exam, org_ids) = save(&tx, row, new, now).await?;
        // Attempts already started show their answers after the close as it is now.
        let reveal = entity::time::UtcTime::from(DateTime::<Utc>::from(exam.ends_at) + grace);
        quiz_attempts::Entity::update_many()
            .col_expr(
                quiz_attempts::Column::RevealAt,
                sea_orm::sea_query::Expr::value(reveal),
            )
            .filter(quiz_attempts::Column::ExamId.eq(id))
            .exec(tx.as_ref())
            .await?;
        audit(&tx, actor, "exam.update", &exam, &org_ids, now).await?;
        to_dto(exam, org_ids)
    })
    .await
}

/// Withdraws an exam: members no longer see it; its attempts and results stay.
pub async fn delete(db: &Db, actor: i64, id: i64, now: DateTime<Utc>) -> Result<(), ApiError> {
    db.write(|tx| async move {
        let exam = find(tx.as_ref(), id).await?;
        let mut row: exams::ActiveModel = exam.clone().into();
        row.deleted_at = Set(Some(now.into()));
        row.update(tx.as_ref()).await?;
        audit(&tx, actor, "exam.delete", &exam, &[], now).await
    })
    .await
}

/// Exams for admins: every one for platform admins; for org admins those reaching an org in
/// their scope.
pub async fn list(
    conn: &impl ConnectionTrait,
    scope: &AdminScope,
    page: &PageQuery,
) -> Result<Page<Exam>, ApiError> {
    let mut query = exams::Entity::find().filter(exams::Column::DeletedAt.is_null());
    if !scope.is_platform() {
        query = query.filter(exams::Column::Id.is_in(in_scope(conn, scope).await?));
    }
    let rows = page
        .window(query, exams::Column::Id, sea_orm::Order::Desc)?
        .all(conn)
        .await?;
    let (rows, next_cursor) = paging::cut(rows, page.limit(), |e| e.id);
    let by_exam = org_ids_of(conn, rows.iter().map(|e| e.id).collect()).await?;
    let mut orgs = visible_orgs(conn, scope, by_exam).await?;
    let items = rows
        .into_iter()
        .map(|e| {
            let ids = orgs.remove(&e.id).unwrap_or_default();
            to_dto(e, ids)
        })
        .collect::<Result<_, _>>()?;
    Ok(Page { items, next_cursor })
}

/// The exams reaching an org inside `scope`.
async fn in_scope(
    conn: &impl ConnectionTrait,
    scope: &AdminScope,
) -> Result<HashSet<i64>, ApiError> {
    reaching(conn, scope, pairs(conn, None).await?).await
}

pub async fn get(
    conn: &impl ConnectionTrait,
    scope: &AdminScope,
    id: i64,
) -> Result<Exam, ApiError> {
    let exam = find(conn, id).await?;
    if !scope.is_platform() && !in_scope(conn, scope).await?.contains(&id) {
        return Err(ApiError::NotFound);
    }
    let by_exam = org_ids_of(conn, vec![id]).await?;
    let ids = visible_orgs(conn, scope, by_exam)
        .await?
        .remove(&id)
        .unwrap_or_default();
    to_dto(exam, ids)
}

/// The exams the member's org takes part in that have not closed, soonest closing first.
pub async fn open_for(
    conn: &impl ConnectionTrait,
    member_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<OpenExam>, ApiError> {
    let ancestors = member_org_and_ancestors(conn, member_id).await?;
    let ids: Vec<i64> = exam_orgs::Entity::find()
        .filter(exam_orgs::Column::OrgId.is_in(ancestors))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| r.exam_id)
        .collect();
    let rows = exams::Entity::find()
        .filter(exams::Column::Id.is_in(ids))
        .filter(exams::Column::DeletedAt.is_null())
        .filter(exams::Column::EndsAt.gt(entity::time::UtcTime::from(now)))
        .order_by_asc(exams::Column::EndsAt)
        .all(conn)
        .await?;
    let mine = quiz_attempts::Entity::find()
        .filter(quiz_attempts::Column::MemberId.eq(member_id))
        .filter(quiz_attempts::Column::ExamId.is_in(rows.iter().map(|e| e.id).collect::<Vec<_>>()))
        .all(conn)
        .await?;
    rows.into_iter()
        .map(|exam| {
            let (question_count, max_score) = size_of(&selection_of(&exam)?);
            let attempts: Vec<&quiz_attempts::Model> =
                mine.iter().filter(|a| a.exam_id == Some(exam.id)).collect();
            Ok(OpenExam {
                open: exam.starts_at <= now && now < DateTime::<Utc>::from(exam.ends_at),
                attempts_used: attempts.len() as i32,
                best_score: attempts.iter().filter_map(|a| a.score).max(),
                id: exam.id,
                title: exam.title,
                description: exam.description,
                starts_at: exam.starts_at.into(),
                ends_at: exam.ends_at.into(),
                duration_s: exam.duration_s,
                question_count,
                max_score,
                pass_score: exam.pass_score,
                max_attempts: exam.max_attempts,
            })
        })
        .collect()
}

/// The bank questions an attempt gets, with their scores: the fixed list, or each rule's
/// count drawn at random from the active questions matching it (none twice).
/// None is one the member's open attempts hold: a fixed one held is 409 `quiz.attempt_open`, as
/// is a rule left short by held ones; a rule the bank cannot fill (the pass score could be out
/// of reach) is 409 `quiz.no_questions`.
async fn draw(
    conn: &impl ConnectionTrait,
    member_id: i64,
    selection: &Selection,
) -> Result<Vec<(i64, i32)>, ApiError> {
    let held = quiz::held_open(conn, member_id).await?;
    let rules = match selection {
        Selection::Fixed(picks) => {
            if let Some(attempt_id) = picks.iter().find_map(|p| held.get(&p.question_id)) {
                return Err(ApiError::AttemptOpen {
                    attempt_id: *attempt_id,
                });
            }
            return Ok(picks.iter().map(|p| (p.question_id, p.score)).collect());
        }
        Selection::Random(rules) => rules,
    };
    let mut taken: HashSet<i64> = held.keys().copied().collect();
    // An open attempt holding a question a rule could have drawn, for the 409 when short.
    let mut blocked_by = None;
    let mut picked = Vec::new();
    for rule in rules {
        let mut query = questions::Entity::find()
            .select_only()
            .column(questions::Column::Id)
            .filter(questions::Column::Status.eq(QuestionStatus::Active.as_str()));
        if let Some(kind) = rule.kind {
            query = query.filter(questions::Column::Kind.eq(kind.as_str()));
        }
        if let Some(category) = &rule.category {
            query = query.filter(questions::Column::Category.eq(category.as_str()));
        }
        if let Some(difficulty) = rule.difficulty {
            query = query.filter(questions::Column::Difficulty.eq(difficulty));
        }
        let mut pool: Vec<i64> = query.into_tuple::<i64>().all(conn).await?;
        if blocked_by.is_none() {
            blocked_by = pool.iter().find_map(|id| held.get(id).copied());
        }
        pool.retain(|id| !taken.contains(id));
        pool.shuffle(&mut rand::rng());
        for id in pool.into_iter().take(rule.count as usize) {
            taken.insert(id);
            picked.push((id, rule.score));
        }
    }
    let wanted: usize = rules.iter().map(|r| r.count as usize).sum();
    if picked.len() < wanted {
        // Short because the member's open attempt holds some: finishing it is the way on.
        return Err(match blocked_by {
            Some(attempt_id) => ApiError::AttemptOpen { attempt_id },
            None => ApiError::NoQuestions,
        });
    }
    Ok(picked)
}

/// Starts (or resumes) the member's attempt at an exam their org takes part in: while an
/// attempt is open, the same one comes back. Outside the window 409 `exam.closed`; every
/// attempt used 409 `exam.no_attempts_left`. The deadline is the earlier of the duration's end
/// and the exam's close.
pub async fn start_attempt(
    tx: &Tx,
    rules: Rules<'_>,
    member_id: i64,
    exam_id: i64,
    now: DateTime<Utc>,
) -> Result<OpenAttempt, ApiError> {
    crate::members::service::lock(tx, member_id).await?;
    let exam = find(tx.as_ref(), exam_id).await?;
    let ancestors = member_org_and_ancestors(tx.as_ref(), member_id).await?;
    let reaches = exam_orgs::Entity::find()
        .filter(exam_orgs::Column::ExamId.eq(exam_id))
        .filter(exam_orgs::Column::OrgId.is_in(ancestors))
        .count(tx.as_ref())
        .await?;
    if reaches == 0 {
        return Err(ApiError::NotFound);
    }
    let ends_at: DateTime<Utc> = exam.ends_at.into();
    if now < exam.starts_at.into() || now >= ends_at {
        return Err(ApiError::ExamClosed);
    }
    let earlier = quiz_attempts::Entity::find()
        .filter(quiz_attempts::Column::ExamId.eq(exam_id))
        .filter(quiz_attempts::Column::MemberId.eq(member_id))
        .all(tx.as_ref())
        .await?;
    for attempt in &earlier {
        if quiz::settle(tx, rules, attempt, now).await? {
            continue;
        }
        if attempt.status == AttemptStatus::Open.as_str() {
            return quiz::open_attempt(tx.as_ref(), attempt, now).await;
        }
    }
    if earlier.len() as i32 >= exam.max_attempts {
        return Err(ApiError::NoAttemptsLeft);
    }
    let selection = selection_of(&exam)?;
    let picked = draw(tx.as_ref(), member_id, &selection).await?;
    let questions = quiz::fix_for_exam(tx.as_ref(), &picked).await?;
    let deadline = std::cmp::min(
        now + chrono::Duration::seconds(exam.duration_s.into()),
        ends_at,
    );
    let new = NewAttempt {
        member_id,
        kind: AttemptKind::Exam,
        exam_id: Some(exam_id),
        attempt_no: Some(earlier.len() as i32 + 1),
        category: None,
        deadline,
        partial_credit: exam.partial_credit,
        pass_score: Some(exam.pass_score),
        // Answers are shown once no attempt can still be submitted: the close and its grace.
        reveal_at: Some(ends_at + rules.grace()),
    };
    let attempt = quiz::start(tx, &new, &questions, rules, now).await?;
    quiz::open_attempt(tx.as_ref(), &attempt, now).await
}

/// The exam's graded attempts by members in the admin's scope (and `org_id`'s subtree):
/// standings by best score (equal scores share a rank), the pass rate, per-question accuracy.
pub async fn results(
    conn: &impl ConnectionTrait,
    scope: &AdminScope,
    exam_id: i64,
    query: &ResultsQuery,
) -> Result<ExamResults, ApiError> {
    let exam = get(conn, scope, exam_id).await?;
    let mut filter = scope.member_filter(quiz_attempts::Column::MemberId);
    if let Some(org_id) = query.org_id {
        let org = scope.find_org(conn, org_id).await?;
        filter = filter.add(
            quiz_attempts::Column::MemberId
                .in_subquery(crate::auth::scope::members_under(&org.path)),
        );
    }
    let attempts = quiz_attempts::Entity::find()
        .filter(quiz_attempts::Column::ExamId.eq(exam_id))
        .filter(quiz_attempts::Column::Status.ne(AttemptStatus::Open.as_str()))
        .filter(filter)
        .order_by_asc(quiz_attempts::Column::Id)
        .all(conn)
        .await?;
    let member_ids: Vec<i64> = attempts.iter().map(|a| a.member_id).collect();
    let names: HashMap<i64, Option<String>> = members::Entity::find()
        .filter(members::Column::Id.is_in(member_ids.clone()))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| (m.id, m.nickname))
        .collect();
    let org_of: HashMap<i64, i64> = org_members::Entity::find()
        .filter(org_members::Column::MemberId.is_in(member_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| (m.member_id, m.org_id))
        .collect();
    let duration = |a: &quiz_attempts::Model| {
        a.finished_at.map_or(0, |f| {
            (DateTime::<Utc>::from(f) - DateTime::<Utc>::from(a.started_at)).num_seconds()
        })
    };
    // Each member's best: the highest score, then the shortest time.
    let mut best: HashMap<i64, (&quiz_attempts::Model, i32)> = HashMap::new();
    for a in &attempts {
        let entry = best.entry(a.member_id).or_insert((a, 0));
        entry.1 += 1;
        let (held, _) = entry;
        let better =
            a.score > held.score || (a.score == held.score && duration(a) < duration(held));
        if better {
            *held = a;
        }
    }
    let mut bests: Vec<(&quiz_attempts::Model, i32)> = best.into_values().collect();
    bests.sort_by(|(a, _), (b, _)| {
        b.score
            .cmp(&a.score)
            .then(duration(a).cmp(&duration(b)))
            .then(a.member_id.cmp(&b.member_id))
    });
    let scores: Vec<i64> = bests
        .iter()
        .map(|(a, _)| i64::from(a.score.unwrap_or(0)))
        .collect();
    let ranks = competition_ranks(&scores);
    let standings: Vec<Standing> = bests
        .iter()
        .zip(ranks)
        .map(|((a, count), rank)| Standing {
            rank,
            member_id: a.member_id,
            nickname: names.get(&a.member_id).cloned().flatten(),
            org_id: org_of.get(&a.member_id).copied(),
            attempt_id: a.id,
            score: a.score.unwrap_or(0),
            // The terms the attempt was sat (and paid) under, whatever the exam says now.
            passed: a.score.unwrap_or(0) >= a.pass_score.unwrap_or(exam.pass_score),
            status: AttemptStatus::parse(&a.status).unwrap_or(AttemptStatus::Submitted),
            duration_s: duration(a),
            too_fast: a.too_fast.unwrap_or(false),
            attempts: *count,
            finished_at: a
                .finished_at
                .map_or_else(|| a.started_at.into(), Into::into),
        })
        .collect();
    let participants = standings.len() as i64;
    let passed = standings.iter().filter(|s| s.passed).count() as i64;
    let summary = ResultsSummary {
        participants,
        attempts: attempts.len() as i64,
        passed,
        pass_rate: if participants == 0 {
            0.0
        } else {
            passed as f64 / participants as f64
        },
        average_score: if participants == 0 {
            0.0
        } else {
            scores.iter().sum::<i64>() as f64 / participants as f64
        },
        max_score: exam.max_score,
    };
    let mut per_question: std::collections::BTreeMap<i64, QuestionAccuracy> = Default::default();
    for q in quiz_attempt_questions::Entity::find()
        .filter(
            quiz_attempt_questions::Column::AttemptId
                .is_in(attempts.iter().map(|a| a.id).collect::<Vec<_>>()),
        )
        .filter(quiz_attempt_questions::Column::Correct.is_not_null())
        .order_by_asc(quiz_attempt_questions::Column::AttemptId)
        .all(conn)
        .await?
    {
        let entry = per_question
            .entry(q.question_id)
            .or_insert(QuestionAccuracy {
                question_id: q.question_id,
                stem: String::new(),
                answered: 0,
                correct: 0,
                accuracy: 0.0,
            });
        entry.stem = q.stem;
        entry.answered += 1;
        entry.correct += i64::from(q.correct == Some(true));
        entry.accuracy = entry.correct as f64 / entry.answered as f64;
    }
    Ok(ExamResults {
        exam_id,
        summary,
        standings,
        questions: per_question.into_values().collect(),
    })
}
