use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::http::validate::not_blank;
use crate::questions::dto::QuestionType;
use crate::quiz::dto::AttemptStatus;

/// A question chosen by id, with what it is worth.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
pub struct FixedPick {
    /// The bank question's id.
    pub question_id: i64,
    /// Points it is worth: 1 to 100.
    #[validate(range(min = 1, max = 100))]
    #[schema(minimum = 1, maximum = 100)]
    pub score: i32,
}

/// Questions drawn at random for each attempt: `count` active questions matching every filter
/// given, each worth `score`.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
pub struct RandomRule {
    /// Only this type; absent for any.
    #[serde(rename = "type")]
    pub kind: Option<QuestionType>,
    /// Only this category; absent for any.
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub category: Option<String>,
    /// Only this difficulty (1 to 5); absent for any.
    #[validate(range(min = 1, max = 5))]
    #[schema(minimum = 1, maximum = 5)]
    pub difficulty: Option<i16>,
    /// How many: 1 to 100.
    #[validate(range(min = 1, max = 100))]
    #[schema(minimum = 1, maximum = 100)]
    pub count: u32,
    /// Points each is worth: 1 to 100.
    #[validate(range(min = 1, max = 100))]
    #[schema(minimum = 1, maximum = 100)]
    pub score: i32,
}

/// How an exam chooses its questions: a fixed list, or random rules (one of the two).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Selection {
    /// The same questions for everyone, in this order.
    Fixed(Vec<FixedPick>),
    /// Drawn per attempt, rule by rule; a question is drawn once.
    Random(Vec<RandomRule>),
}

/// `POST /admin/exams`, `PUT /admin/exams/{id}` (竞赛).
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct NewExam {
    /// The exam's title.
    #[validate(length(min = 1, max = 128), custom(function = "not_blank"))]
    #[schema(
        example = "百家网企 网心向党 党史知识竞赛",
        min_length = 1,
        max_length = 128,
        pattern = "\\S"
    )]
    pub title: String,
    /// Longer text; null for none.
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    /// When attempts may begin.
    pub starts_at: DateTime<Utc>,
    /// When the exam closes: no attempt starts after it, and every attempt ends by it.
    pub ends_at: DateTime<Utc>,
    /// Time for one attempt, in seconds: 60 to 86,400.
    #[validate(range(min = 60, max = 86400))]
    #[schema(minimum = 60, maximum = 86400, example = 1200)]
    pub duration_s: i32,
    /// `{"fixed": [...]}` (1 to 200 questions) or `{"random": [...]}` (1 to 20 rules).
    pub selection: Selection,
    /// The score that passes; 0 to the exam's maximum.
    #[validate(range(min = 0, max = 20000))]
    #[schema(minimum = 0, maximum = 20000)]
    pub pass_score: i32,
    /// Attempts each member may make: 1 to 100; default 1.
    #[validate(range(min = 1, max = 100))]
    #[schema(minimum = 1, maximum = 100)]
    pub max_attempts: Option<i32>,
    /// A multiple-choice answer that is a strict subset of the right one earns half its score
    /// (rounded down). Default false.
    #[serde(default)]
    pub partial_credit: bool,
    /// The orgs taking part, each with its subtree: 1 to 100.
    #[validate(length(min = 1, max = 100, code = "items"))]
    #[schema(min_items = 1, max_items = 100)]
    pub org_ids: Vec<i64>,
    /// The campaign it belongs to; null for none.
    pub campaign_id: Option<i64>,
}

/// An exam as admins see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Exam {
    /// Exam id.
    pub id: i64,
    /// The exam's title.
    pub title: String,
    /// Longer text; null when none.
    pub description: Option<String>,
    /// When attempts may begin.
    pub starts_at: DateTime<Utc>,
    /// When the exam closes.
    pub ends_at: DateTime<Utc>,
    /// Time for one attempt, in seconds.
    pub duration_s: i32,
    /// How questions are chosen.
    pub selection: Selection,
    /// The score that passes.
    pub pass_score: i32,
    /// Attempts each member may make.
    pub max_attempts: i32,
    /// Whether a strict subset of a multiple's answer earns half.
    pub partial_credit: bool,
    /// The orgs taking part, in id order (for an org admin, those inside their scope).
    pub org_ids: Vec<i64>,
    /// The campaign it belongs to; null when none.
    pub campaign_id: Option<i64>,
    /// Questions in one attempt.
    pub question_count: i32,
    /// The most one attempt can score.
    pub max_score: i32,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// An exam as a member sees it in `GET /exams`.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenExam {
    /// Exam id.
    pub id: i64,
    /// The exam's title.
    pub title: String,
    /// Longer text; null when none.
    pub description: Option<String>,
    /// When attempts may begin.
    pub starts_at: DateTime<Utc>,
    /// When the exam closes.
    pub ends_at: DateTime<Utc>,
    /// Time for one attempt, in seconds.
    pub duration_s: i32,
    /// Questions in one attempt.
    pub question_count: i32,
    /// The most one attempt can score.
    pub max_score: i32,
    /// The score that passes.
    pub pass_score: i32,
    /// Attempts each member may make.
    pub max_attempts: i32,
    /// My attempts so far.
    pub attempts_used: i32,
    /// My best graded score; null before any.
    pub best_score: Option<i32>,
    /// Open for attempts now.
    pub open: bool,
}

/// `GET /admin/exams/{id}/results` and its export.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResultsQuery {
    /// Only members in this org's subtree (inside the caller's scope).
    pub org_id: Option<i64>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Only members in this org's subtree (inside the caller's scope).
    pub org_id: Option<i64>,
    /// `csv` (UTF-8 with a BOM; the default) or `xlsx`.
    #[param(inline)]
    pub format: Option<crate::http::export::Format>,
}

/// One member's standing: their best graded attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct Standing {
    /// 1 for the best score; equal scores share a rank (1, 1, 3).
    pub rank: u64,
    /// The member.
    pub member_id: i64,
    /// The member's nickname; null if none.
    pub nickname: Option<String>,
    /// The member's org now; null outside one.
    pub org_id: Option<i64>,
    /// The best attempt's id.
    pub attempt_id: i64,
    /// Its score.
    pub score: i32,
    /// Whether it reached the pass score.
    pub passed: bool,
    /// Its status: `submitted` or `expired`.
    pub status: AttemptStatus,
    /// From start to grading, in seconds.
    pub duration_s: i64,
    /// Finished far faster than a person reads (`REDTRAIL_QUIZ_MIN_MS_PER_QUESTION`): worth a
    /// look, not penalised.
    pub too_fast: bool,
    /// Graded attempts the member made.
    pub attempts: i32,
    /// When the best attempt was graded.
    pub finished_at: DateTime<Utc>,
}

/// How one question fared across the graded attempts.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionAccuracy {
    /// The bank question's id.
    pub question_id: i64,
    /// Its text, as the latest attempt asked it.
    pub stem: String,
    /// Times it was graded.
    pub answered: i64,
    /// Times it was right.
    pub correct: i64,
    /// `correct / answered`, 0 to 1.
    pub accuracy: f64,
}

/// The totals over members.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResultsSummary {
    /// Members with a graded attempt.
    pub participants: i64,
    /// Graded attempts.
    pub attempts: i64,
    /// Members whose best attempt passed.
    pub passed: i64,
    /// `passed / participants`, 0 to 1 (0 with no participants).
    pub pass_rate: f64,
    /// The mean of members' best scores.
    pub average_score: f64,
    /// The most one attempt could score.
    pub max_score: i32,
}

/// An exam's results in the caller's scope.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExamResults {
    /// The exam.
    pub exam_id: i64,
    /// Totals.
    pub summary: ResultsSummary,
    /// Members by rank (best score first; equal scores by shorter time).
    pub standings: Vec<Standing>,
    /// Per question, in id order.
    pub questions: Vec<QuestionAccuracy>,
}
