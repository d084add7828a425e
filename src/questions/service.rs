//! The question bank: questions with their answers, checked as a whole, versioned on edit, and
//! how answers compare.
use chrono::{DateTime, Utc};
use entity::questions;
use sea_orm::Order;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, QueryFilter, QuerySelect, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Digest;
use unicode_normalization::UnicodeNormalization;

use crate::audit::service::{Change, record};
use crate::db::{Db, insert_unless_duplicate};
use std::collections::HashMap;

use crate::error::{ApiError, FieldErrors, FieldIssue, RowIssue};
use crate::http::export::Cell;
use crate::http::paging::{Page, PageQuery};

use super::dto::{
    AuthoredOption, ImportReport, NewQuestion, Question, QuestionQuery, QuestionStatus,
    QuestionType,
};

/// What a question's `content` column holds: its answer, in the shape its type takes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Content {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<AuthoredOption>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blanks: Vec<Vec<String>>,
}

/// A question read from the bank, parsed.
pub struct Stored {
    pub model: questions::Model,
    pub kind: QuestionType,
    pub content: Content,
}

impl Stored {
    pub fn parse(model: questions::Model) -> Result<Self, ApiError> {
        let kind = QuestionType::parse(&model.kind)
            .ok_or_else(|| anyhow::anyhow!("question {} has an unknown type", model.id))?;
        let content = serde_json::from_str(&model.content).map_err(anyhow::Error::from)?;
        Ok(Self {
            model,
            kind,
            content,
        })
    }
}

/// How answers and stems compare: Unicode compatibility forms folded (full-width letters,
/// digits and spaces become half-width), case folded, surrounding spaces dropped.
pub fn normalise(text: &str) -> String {
    text.nfkc().collect::<String>().trim().to_lowercase()
}

/// The stem's identity within its type: a re-import of the same question finds it.
fn stem_key(stem: &str) -> String {
    let folded: Vec<String> = normalise(stem)
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    hex::encode(sha2::Sha256::digest(folded.join(" ")))
}

/// The rules a schema cannot state: which answer fields the type takes, and how many options
/// are right. `Ok` holds the content to store.
pub fn check(new: &NewQuestion) -> Result<Content, FieldErrors> {
    let mut problems = FieldErrors::new();
    let mut problem = |field: &str, code: &'static str| {
        problems
            .entry(field.to_owned())
            .or_default()
            .push(FieldIssue::new(code));
    };
    let choice = matches!(new.kind, QuestionType::Single | QuestionType::Multiple);
    if !choice && new.options.is_some() {
        problem("options", "not_for_type");
    }
    if new.kind != QuestionType::Judge && new.answer.is_some() {
        problem("answer", "not_for_type");
    }
    if new.kind != QuestionType::Fill && new.blanks.is_some() {
        problem("blanks", "not_for_type");
    }
    let mut content = Content::default();
    match new.kind {
        QuestionType::Single | QuestionType::Multiple => match &new.options {
            None => problem("options", "required"),
            Some(options) => {
                let right = options.iter().filter(|o| o.correct).count();
                if new.kind == QuestionType::Single && right != 1 {
                    problem("options", "one_right");
                }
                if new.kind == QuestionType::Multiple && right < 2 {
                    problem("options", "two_right");
                }
                let mut texts: Vec<String> = options.iter().map(|o| normalise(&o.text)).collect();
                texts.sort();
                texts.dedup();
                if texts.len() != options.len() {
                    problem("options", "duplicate");
                }
                content.options = options
                    .iter()
                    .map(|o| AuthoredOption {
                        text: o.text.trim().to_owned(),
                        correct: o.correct,
                    })
                    .collect();
            }
        },
        QuestionType::Judge => match new.answer {
            None => problem("answer", "required"),
            Some(answer) => content.answer = Some(answer),
        },
        QuestionType::Fill => match &new.blanks {
            None => problem("blanks", "required"),
            Some(blanks) => {
                content.blanks = blanks
                    .iter()
                    .map(|answers| answers.iter().map(|a| a.trim().to_owned()).collect())
                    .collect();
            }
        },
    }
    if problems.is_empty() {
        Ok(content)
    } else {
        Err(problems)
    }
}

fn tags_of(model: &questions::Model) -> Vec<String> {
    serde_json::from_str(&model.tags).unwrap_or_default()
}

pub fn to_dto(stored: Stored) -> Question {
    let Stored {
        model,
        kind,
        content,
    } = stored;
    let tags = tags_of(&model);
    Question {
        id: model.id,
        kind,
        options: matches!(kind, QuestionType::Single | QuestionType::Multiple)
            .then_some(content.options),
        answer: content.answer,
        blanks: (kind == QuestionType::Fill).then_some(content.blanks),
        stem: model.stem,
        explanation: model.explanation,
        category: model.category,
        tags,
        difficulty: model.difficulty,
        source: model.source,
        status: QuestionStatus::parse(&model.status).unwrap_or(QuestionStatus::Draft),
        version: model.version,
        created_at: model.created_at.into(),
        updated_at: model.updated_at.map(Into::into),
    }
}

fn summary(q: &questions::Model) -> serde_json::Value {
    json!({"type": q.kind, "stem": q.stem, "category": q.category, "status": q.status, "version": q.version})
}

async fn audit(
    tx: &DatabaseTransaction,
    actor: i64,
    action: &str,
    id: i64,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    record(
        tx,
        Change {
            actor_id: actor,
            action,
            entity_type: "question",
            entity_id: id,
            scope_path: None,
            before,
            after,
        },
        now,
    )
    .await
}

/// The row for `new` (checked already), as created or as replacing an older version.
pub fn row_of(new: &NewQuestion, content: &Content) -> Result<questions::ActiveModel, ApiError> {
    let tags: Vec<&str> = new.tags.iter().map(|t| t.trim()).collect();
    Ok(questions::ActiveModel {
        kind: Set(new.kind.as_str().to_owned()),
        stem: Set(new.stem.trim().to_owned()),
        stem_key: Set(stem_key(&new.stem)),
        content: Set(serde_json::to_string(content).map_err(anyhow::Error::from)?),
        explanation: Set(new
            .explanation
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_owned)),
        category: Set(new.category.trim().to_owned()),
        tags: Set(serde_json::to_string(&tags).map_err(anyhow::Error::from)?),
        difficulty: Set(new.difficulty),
        source: Set(new
            .source
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)),
        status: Set(new
            .status
            .unwrap_or(QuestionStatus::Active)
            .as_str()
            .to_owned()),
        ..Default::default()
    })
}

/// Fills what an edit leaves out from `old` (the status, when not named: fixing a typo must
/// not revive a retired question), and says whether the edit changes nothing.
fn keep_unnamed(
    row: &mut questions::ActiveModel,
    new: &NewQuestion,
    old: &questions::Model,
) -> bool {
    if new.status.is_none() {
        row.status = Set(old.status.clone());
    }
    [
        (&row.kind, &old.kind),
        (&row.stem, &old.stem),
        (&row.content, &old.content),
        (&row.category, &old.category),
        (&row.tags, &old.tags),
        (&row.status, &old.status),
    ]
    .iter()
    .all(|(new, old)| new.as_ref() == *old)
        && row.explanation.as_ref() == &old.explanation
        && row.source.as_ref() == &old.source
        && row.difficulty.as_ref() == &old.difficulty
}

/// What saving one question did.
pub enum Saved {
    Created(questions::Model),
    Updated(questions::Model),
    /// The bank already holds it exactly so.
    Unchanged(questions::Model),
}

/// Adds `new`, or when `replace` names a question, makes `new` its next version. Inside the
/// caller's transaction; the unique (type, stem) decides a duplicate, which is 409
/// `question.duplicate` naming the question that holds it.
async fn save(
    tx: &DatabaseTransaction,
    actor: i64,
    new: &NewQuestion,
    content: &Content,
    replace: Option<questions::Model>,
    now: DateTime<Utc>,
) -> Result<Saved, ApiError> {
    let mut row = row_of(new, content)?;
    let Some(old) = replace else {
        row.version = Set(1);
        row.created_by = Set(actor);
        row.created_at = Set(now.into());
        row.updated_by = Set(None);
        row.updated_at = Set(None);
        return match insert_unless_duplicate(tx, row.clone()).await? {
            Some(created) => {
                audit(
                    tx,
                    actor,
                    "question.create",
                    created.id,
                    None,
                    Some(summary(&created)),
                    now,
                )
                .await?;
                Ok(Saved::Created(created))
            }
            None => Err(duplicate(tx, &row).await),
        };
    };
    let same = keep_unnamed(&mut row, new, &old);
    if same {
        return Ok(Saved::Unchanged(old));
    }
    row.id = Set(old.id);
    row.version = Set(old.version + 1);
    row.updated_by = Set(Some(actor));
    row.updated_at = Set(Some(now.into()));
    let before = summary(&old);
    // In a savepoint: a unique violation aborts a PostgreSQL transaction, and the 409 wants to
    // name the question that holds the stem.
    let savepoint = tx.begin().await?;
    let saved = match row.clone().update(&savepoint).await {
        Ok(saved) => {
            savepoint.commit().await?;
            saved
        }
        Err(e) => {
            let err = ApiError::from(e);
            let _ = savepoint.rollback().await;
            if !err.is_unique_violation() {
                return Err(err);
            }
            return Err(duplicate(tx, &row).await);
        }
    };
    audit(
        tx,
        actor,
        "question.update",
        saved.id,
        Some(before),
        Some(summary(&saved)),
        now,
    )
    .await?;
    Ok(Saved::Updated(saved))
}

/// The 409 for a row whose (type, stem) another question holds.
async fn duplicate(tx: &DatabaseTransaction, row: &questions::ActiveModel) -> ApiError {
    let holder = questions::Entity::find()
        .filter(questions::Column::Kind.eq(row.kind.as_ref().clone()))
        .filter(questions::Column::StemKey.eq(row.stem_key.as_ref().clone()))
        .one(tx)
        .await;
    match holder {
        Ok(Some(q)) => ApiError::DuplicateQuestion { id: q.id },
        Ok(None) => ApiError::Conflict,
        Err(e) => e.into(),
    }
}

async fn find(conn: &impl ConnectionTrait, id: i64) -> Result<questions::Model, ApiError> {
    questions::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(ApiError::NotFound)
}

pub async fn create(
    db: &Db,
    actor: i64,
    new: NewQuestion,
    now: DateTime<Utc>,
) -> Result<Question, ApiError> {
    let content = check(&new).map_err(ApiError::Validation)?;
    let (new, content) = (&new, &content);
    db.write(|tx| async move {
        match save(&tx, actor, new, content, None, now).await? {
            Saved::Created(q) | Saved::Updated(q) | Saved::Unchanged(q) => {
                Ok(to_dto(Stored::parse(q)?))
            }
        }
    })
    .await
}

/// Replaces the question with `edit` as its next version. Attempts already started keep the
/// version they were given.
pub async fn update(
    db: &Db,
    actor: i64,
    id: i64,
    edit: NewQuestion,
    now: DateTime<Utc>,
) -> Result<Question, ApiError> {
    let content = check(&edit).map_err(ApiError::Validation)?;
    let (edit, content) = (&edit, &content);
    db.write(|tx| async move {
        let old = find(tx.as_ref(), id).await?;
        match save(&tx, actor, edit, content, Some(old), now).await? {
            Saved::Created(q) | Saved::Updated(q) | Saved::Unchanged(q) => {
                Ok(to_dto(Stored::parse(q)?))
            }
        }
    })
    .await
}

/// Retires the question: never drawn again, kept for the attempts that hold it.
pub async fn retire(db: &Db, actor: i64, id: i64, now: DateTime<Utc>) -> Result<(), ApiError> {
    db.write(|tx| async move {
        let old = find(tx.as_ref(), id).await?;
        if old.status == QuestionStatus::Retired.as_str() {
            return Ok(());
        }
        let before = summary(&old);
        let mut row: questions::ActiveModel = old.into();
        row.status = Set(QuestionStatus::Retired.as_str().to_owned());
        row.updated_by = Set(Some(actor));
        row.updated_at = Set(Some(now.into()));
        let saved = row.update(tx.as_ref()).await?;
        audit(
            &tx,
            actor,
            "question.retire",
            id,
            Some(before),
            Some(summary(&saved)),
            now,
        )
        .await
    })
    .await
}

pub async fn get(conn: &impl ConnectionTrait, id: i64) -> Result<Question, ApiError> {
    Ok(to_dto(Stored::parse(find(conn, id).await?)?))
}

/// The bank, oldest first, filtered.
pub async fn list(
    conn: &impl ConnectionTrait,
    filter: QuestionQuery,
    page: &PageQuery,
) -> Result<Page<Question>, ApiError> {
    use sea_orm::QueryTrait;
    let query = questions::Entity::find()
        .apply_if(filter.kind, |q, k| {
            q.filter(questions::Column::Kind.eq(k.as_str()))
        })
        .apply_if(filter.status, |q, s| {
            q.filter(questions::Column::Status.eq(s.as_str()))
        })
        .apply_if(filter.category, |q, c| {
            q.filter(questions::Column::Category.eq(c))
        })
        .apply_if(filter.q, |q, text| {
            q.filter(questions::Column::Stem.contains(text))
        });
    let rows = page
        .window(query, questions::Column::Id, Order::Asc)?
        .all(conn)
        .await?;
    let rows = rows
        .into_iter()
        .map(|m| Stored::parse(m).map(to_dto))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(rows, page.limit(), |q| q.id, |q| q))
}

/// Most data rows one import takes.
pub const MAX_IMPORT_ROWS: usize = 5_000;

/// Imports a sheet (see [`super::sheet`]): all or nothing. Every problem is listed by row and
/// column (422, the first [`MAX_ROW_ERRORS`](crate::error::MAX_ROW_ERRORS)); a question whose
/// type and stem the bank holds is updated (a new version) rather than added, one left as it
/// is counts as unchanged. With `dry_run` nothing is written and the counts say what would be.
pub async fn import(
    db: &Db,
    actor: i64,
    file: &[u8],
    dry_run: bool,
    now: DateTime<Utc>,
) -> Result<ImportReport, ApiError> {
    let table = super::sheet::read_table(file)?;
    if table.len() > MAX_IMPORT_ROWS + 1 {
        return Err(ApiError::TooManyRows {
            max_rows: MAX_IMPORT_ROWS,
        });
    }
    let (parsed, mut issues) = super::sheet::parse(&table);
    // The bank's rules on what read well, and one row per (type, stem) in a file: a second is a
    // mistake, not an update.
    let mut seen: HashMap<(QuestionType, String), usize> = HashMap::new();
    let mut rows = Vec::with_capacity(parsed.len());
    for (row, question) in parsed {
        let content = match check(&question) {
            Ok(content) => content,
            Err(fields) => {
                for (field, list) in fields {
                    for issue in list {
                        let column = super::sheet::column_of(&field, &issue.code);
                        issues.push(RowIssue { row, column, issue });
                    }
                }
                continue;
            }
        };
        let key = stem_key(&question.stem);
        if let Some(first) = seen.insert((question.kind, key.clone()), row) {
            let issue = FieldIssue::new("duplicate").with("row", first);
            let column = "stem".into();
            issues.push(RowIssue { row, column, issue });
            continue;
        }
        rows.push((question, content, key));
    }
    if !issues.is_empty() {
        issues.sort_by_key(|i| i.row);
        return Err(import_errors(issues));
    }
    if rows.is_empty() {
        return Err(ApiError::field("file", FieldIssue::new("required")));
    }
    let rows = &rows;
    let mut report = ImportReport {
        dry_run,
        rows: rows.len(),
        created: 0,
        updated: 0,
        unchanged: 0,
    };
    if dry_run {
        // Read only: a dry run never takes the writer's turn.
        let mut existing = holders(db.conn(), rows, false).await?;
        for (question, content, key) in rows {
            match existing.remove(&(question.kind.as_str().to_owned(), key.clone())) {
                None => report.created += 1,
                Some(old) => match keep_unnamed(&mut row_of(question, content)?, question, &old) {
                    true => report.unchanged += 1,
                    false => report.updated += 1,
                },
            }
        }
        return Ok(report);
    }
    let report = &report;
    db.write(|tx| async move {
        let mut report = report.clone();
        // Locked, so an admin's edit meanwhile waits instead of being lost under one version.
        let mut existing = holders(tx.as_ref(), rows, true).await?;
        for (question, content, key) in rows {
            let old = existing.remove(&(question.kind.as_str().to_owned(), key.clone()));
            match save(&tx, actor, question, content, old, now).await? {
                Saved::Created(_) => report.created += 1,
                Saved::Updated(_) => report.updated += 1,
                Saved::Unchanged(_) => report.unchanged += 1,
            }
        }
        Ok(report)
    })
    .await
}

/// The bank's questions holding the rows' (type, stem), by (type, stem key).
async fn holders(
    conn: &impl ConnectionTrait,
    rows: &[(NewQuestion, Content, String)],
    lock: bool,
) -> Result<HashMap<(String, String), questions::Model>, ApiError> {
    use sea_orm::QueryOrder;
    let mut existing = HashMap::new();
    // Sorted, so two imports lock shared rows in one order and do not deadlock.
    let mut keys: Vec<String> = rows.iter().map(|(_, _, k)| k.clone()).collect();
    keys.sort_unstable();
    keys.dedup();
    for chunk in keys.chunks(500) {
        let mut query = questions::Entity::find()
            .filter(questions::Column::StemKey.is_in(chunk.to_vec()))
            .order_by_asc(questions::Column::StemKey);
        if lock && conn.get_database_backend() != sea_orm::DatabaseBackend::Sqlite {
            query = query.lock_exclusive();
        }
        for q in query.all(conn).await? {
            existing.insert((q.kind.clone(), q.stem_key.clone()), q);
        }
    }
    Ok(existing)
}

fn import_errors(mut rows: Vec<RowIssue>) -> ApiError {
    let total = rows.len();
    rows.truncate(crate::error::MAX_ROW_ERRORS);
    ApiError::ImportErrors { rows, total }
}

/// The whole bank as sheet rows, in id order: what [`import`] reads back unchanged.
pub async fn export(conn: &impl ConnectionTrait) -> Result<Vec<Vec<Cell>>, ApiError> {
    use sea_orm::QueryOrder;
    let mut rows = Vec::new();
    let mut after = 0;
    loop {
        let batch = questions::Entity::find()
            .filter(questions::Column::Id.gt(after))
            .order_by_asc(questions::Column::Id)
            .limit(1000)
            .all(conn)
            .await?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        for model in batch {
            rows.push(super::sheet::row_of(&to_dto(Stored::parse(model)?)));
        }
    }
    Ok(rows)
}
