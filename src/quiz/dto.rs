//! Two kinds of question go out: [`AskedQuestion`] while an attempt is open — it has no field
//! that could carry an answer, a right/wrong flag or an explanation — and [`GradedQuestion`]
//! once the question is graded. Nothing is blanked: the open attempt's type cannot say it.
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::questions::dto::QuestionType;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttemptKind {
    /// 每日答题: one scored attempt a local day.
    Daily,
    /// 专项练习: by category or from the wrong-answer book, any number.
    Practice,
    /// 挑战答题: one question at a time until the first mistake.
    Challenge,
    /// 竞赛: a timed exam.
    Exam,
}

impl AttemptKind {
    pub const ALL: [AttemptKind; 4] = [
        AttemptKind::Daily,
        AttemptKind::Practice,
        AttemptKind::Challenge,
        AttemptKind::Exam,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AttemptKind::Daily => "daily",
            AttemptKind::Practice => "practice",
            AttemptKind::Challenge => "challenge",
            AttemptKind::Exam => "exam",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttemptStatus {
    /// Being answered.
    Open,
    /// Submitted (or, for a challenge, the run ended) and graded.
    Submitted,
    /// Left open past its deadline, then graded from its saved answers.
    Expired,
}

impl AttemptStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptStatus::Open => "open",
            AttemptStatus::Submitted => "submitted",
            AttemptStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            AttemptStatus::Open,
            AttemptStatus::Submitted,
            AttemptStatus::Expired,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// An option as this attempt shows it: keys are lettered A, B, C… in the order shown, which
/// is this attempt's own shuffle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ShownOption {
    /// The option's key in this attempt: A, B, C… in shown order.
    #[schema(example = "A")]
    pub key: String,
    /// The option's text.
    #[schema(example = "1925年")]
    pub text: String,
}

/// A question being asked: what to show, and nothing of its answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct AskedQuestion {
    /// The bank question's id: answers name it.
    pub id: i64,
    /// The question's type.
    #[serde(rename = "type")]
    pub kind: QuestionType,
    /// The question's text.
    pub stem: String,
    /// The options in this attempt's order; `judge` shows 正确 and 错误; empty for `fill`.
    pub options: Vec<ShownOption>,
    /// `fill` only: how many blanks to fill.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blank_count: Option<usize>,
    /// What the question is worth.
    pub score: i32,
    /// The member's answer saved so far (`PUT …/answers`); null if none.
    pub saved: Option<Given>,
}

/// An answer as given: option keys for `single`, `multiple` and `judge`; the blanks' text, in
/// order, for `fill`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Given {
    /// Option keys chosen.
    Keys(Vec<String>),
    /// Text for each blank, in order.
    Blanks(Vec<String>),
}

/// One answer: `keys` for a choice (`judge` too), or `text` (one blank) or `blanks` (each
/// blank in order) for `fill`.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
pub struct AnswerInput {
    /// The question answered (its bank id, as asked).
    pub question_id: i64,
    /// Chosen option keys, e.g. `["A", "C"]`.
    #[validate(length(max = 8))]
    #[schema(max_items = 8)]
    pub keys: Option<Vec<String>>,
    /// A one-blank `fill` answer.
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub text: Option<String>,
    /// A `fill` answer, blank by blank.
    #[validate(length(max = 10))]
    #[schema(max_items = 10)]
    pub blanks: Option<Vec<String>>,
}

/// `PUT …/answers` and `POST …/submit`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct Answers {
    /// At most one per question of the attempt.
    #[validate(length(max = 200), nested)]
    #[schema(max_items = 200)]
    pub answers: Vec<AnswerInput>,
}

/// `POST /quiz/practice`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct NewPractice {
    /// Only this category; absent for any.
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub category: Option<String>,
    /// How many questions: 1 to 50 (fewer if the bank has fewer).
    #[validate(range(min = 1, max = 50))]
    #[schema(minimum = 1, maximum = 50, example = 10)]
    pub count: u32,
    /// Practise my wrong-answer book (due questions first) instead of the bank.
    #[serde(default)]
    pub from_wrong_book: bool,
}

/// An open attempt: its questions as asked and how long is left.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenAttempt {
    /// Attempt id.
    pub id: i64,
    /// Always `open`.
    pub status: AttemptStatus,
    /// What kind of attempt it is.
    pub kind: AttemptKind,
    /// For a challenge: the one question being asked; else every question, in order.
    pub questions: Vec<AskedQuestion>,
    /// For a challenge: answer the current question by then; else submit by then.
    pub deadline: DateTime<Utc>,
    /// Seconds until `deadline`, by the server's clock (the phone's may be wrong).
    pub remaining_s: i64,
    /// When the attempt began.
    pub started_at: DateTime<Utc>,
    /// The most the attempt can score.
    pub max_score: i32,
    /// Exams only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exam_id: Option<i64>,
}

/// `POST /quiz/challenge`: the run and its first question.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChallengeStarted {
    /// The run's attempt id.
    pub id: i64,
    /// The first question; the next comes with the answer to this one.
    pub question: AskedQuestion,
    /// Answer by then.
    pub deadline: DateTime<Utc>,
    /// Seconds left to answer, by the server's clock.
    pub remaining_s: i64,
    /// Most questions in the run.
    pub max_questions: i32,
}

/// The right answer, in the attempt's keys or as the accepted text per blank.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RightAnswer {
    /// The right option keys, in this attempt's letters.
    Keys(Vec<String>),
    /// Per blank, the answers accepted.
    Blanks(Vec<Vec<String>>),
}

/// A graded question: the answer, whether it was right, and the explanation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GradedQuestion {
    /// The bank question's id.
    pub question_id: i64,
    /// The question's type.
    #[serde(rename = "type")]
    pub kind: QuestionType,
    /// The question's text, as asked.
    pub stem: String,
    /// The options as this attempt showed them.
    pub options: Vec<ShownOption>,
    /// What the member answered; null if nothing.
    pub given: Option<Given>,
    /// Whether the answer was right.
    pub correct: bool,
    /// The right answer.
    pub answer: RightAnswer,
    /// 解析; null if the question has none.
    pub explanation: Option<String>,
    /// What the question was worth.
    pub score: i32,
    /// Points of `score` earned (a strict subset of a multiple's answer may earn half when the
    /// exam allows partial credit).
    pub earned: i32,
}

/// A graded attempt: what `POST …/submit` answers, and a second submit replays.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttemptResult {
    /// Attempt id.
    pub id: i64,
    /// What kind of attempt it was.
    pub kind: AttemptKind,
    /// `submitted`, or `expired` (graded from the answers saved by the deadline).
    pub status: AttemptStatus,
    /// Points of the attempt's score earned.
    pub score: i32,
    /// The most the attempt could score.
    pub max_score: i32,
    /// Questions answered right.
    pub correct_count: i32,
    /// Every question graded, in the attempt's order (an open exam's: empty, see
    /// `answers_from`).
    pub results: Vec<GradedQuestion>,
    /// Ledger points paid for it (0 when a cap or an earlier pass used them up).
    pub points_awarded: i32,
    /// A daily cap cut the payout.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub points_capped: bool,
    /// Exams: whether the score reached the pass score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passed: Option<bool>,
    /// When the attempt began.
    pub started_at: DateTime<Utc>,
    /// When it was graded.
    pub finished_at: DateTime<Utc>,
    /// From start to submit (or to the deadline, for an expired one), in seconds.
    pub duration_s: i64,
    /// An exam still open: `results` is empty until then, so that its answers reach nobody
    /// still sitting it; absent when they are shown.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub answers_from: Option<DateTime<Utc>>,
}

/// `GET /quiz/attempts/{id}`: open (`status: open`), or graded (`submitted`, `expired`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum AttemptView {
    Open(OpenAttempt),
    Graded(AttemptResult),
}

/// `POST …/answer` (challenge): how the answer went, and the next question if the run goes on.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChallengeStep {
    /// Whether the answer was right.
    pub correct: bool,
    /// The right answer.
    pub answer: RightAnswer,
    /// 解析; null if the question has none.
    pub explanation: Option<String>,
    /// Right answers in the run so far.
    pub streak: i32,
    /// The run is over (a mistake, or the last question).
    pub finished: bool,
    /// The next question; null when the run is over.
    pub next_question: Option<AskedQuestion>,
    /// Answer the next question by then; null when finished.
    pub deadline: Option<DateTime<Utc>>,
    /// Paid when the run finishes; 0 before.
    pub points_awarded: i32,
    /// The daily cap cut the payout.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub points_capped: bool,
}

/// `PUT …/answers`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Saved {
    /// Questions with a saved answer now.
    pub saved_count: usize,
    /// Submit by then.
    pub deadline: DateTime<Utc>,
    /// Seconds until `deadline`, by the server's clock.
    pub remaining_s: i64,
}

/// One entry of my wrong-answer book (错题本).
#[derive(Debug, Serialize, ToSchema)]
pub struct WrongQuestion {
    /// The bank question's id.
    pub question_id: i64,
    /// The question's type.
    #[serde(rename = "type")]
    pub kind: QuestionType,
    /// The question's text.
    pub stem: String,
    /// The question's category.
    pub category: String,
    /// Times answered wrong.
    pub wrong_count: i32,
    /// Right reviews in a row since the last mistake; two take it out of the book.
    pub right_streak: i32,
    /// When it is next due for review (a local date): tomorrow after a mistake; after a right
    /// review 1, then 3, then 7 days.
    pub due_on: NaiveDate,
    /// Due today or earlier.
    pub due: bool,
    /// When it was last answered wrong.
    pub last_wrong_at: DateTime<Utc>,
}
