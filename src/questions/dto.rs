use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::http::validate::{labels, not_blank};

/// What kind of question it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionType {
    /// 单选: exactly one option is right.
    Single,
    /// 多选: two or more options are right.
    Multiple,
    /// 判断: true or false, shown as the options 正确 and 错误.
    Judge,
    /// 填空: one or more blanks, each with its accepted answers.
    Fill,
}

impl QuestionType {
    pub const ALL: [QuestionType; 4] = [
        QuestionType::Single,
        QuestionType::Multiple,
        QuestionType::Judge,
        QuestionType::Fill,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            QuestionType::Single => "single",
            QuestionType::Multiple => "multiple",
            QuestionType::Judge => "judge",
            QuestionType::Fill => "fill",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionStatus {
    /// Being written: never drawn into a quiz.
    Draft,
    /// Drawn into quizzes.
    Active,
    /// No longer drawn; attempts that hold it keep it.
    Retired,
}

impl QuestionStatus {
    pub const ALL: [QuestionStatus; 3] = [
        QuestionStatus::Draft,
        QuestionStatus::Active,
        QuestionStatus::Retired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            QuestionStatus::Draft => "draft",
            QuestionStatus::Active => "active",
            QuestionStatus::Retired => "retired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// One option of a choice question as authored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, ToSchema)]
pub struct AuthoredOption {
    /// The option's text.
    #[validate(length(min = 1, max = 500), custom(function = "not_blank"))]
    #[schema(example = "1925年", min_length = 1, max_length = 500, pattern = "\\S")]
    pub text: String,
    /// Whether choosing it is right.
    pub correct: bool,
}

/// A question as an admin writes it: `POST /admin/questions`, `PUT /admin/questions/{id}`.
/// Which answer fields it takes depends on `type`: `options` for `single` and `multiple`
/// (2 to 8; a single has exactly one right, a multiple at least two), `answer` for `judge`,
/// `blanks` for `fill` (each blank's accepted answers; comparing ignores surrounding spaces,
/// full-/half-width and case). The others must be absent.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct NewQuestion {
    /// `single`, `multiple`, `judge` or `fill`.
    #[serde(rename = "type")]
    pub kind: QuestionType,
    /// The question; for `fill`, mark each blank in it (e.g. `（ ）`).
    #[validate(length(min = 1, max = 2000), custom(function = "not_blank"))]
    #[schema(
        example = "中共番禺县工委旧址位于今天的哪个区？",
        min_length = 1,
        max_length = 2000,
        pattern = "\\S"
    )]
    pub stem: String,
    /// `single` and `multiple` only: the options in authored order (shown shuffled).
    #[validate(length(min = 2, max = 8), nested)]
    #[schema(min_items = 2, max_items = 8)]
    pub options: Option<Vec<AuthoredOption>>,
    /// `judge` only: whether the statement is true.
    pub answer: Option<bool>,
    /// `fill` only: per blank, in order, the answers accepted (1 to 10 blanks, each 1 to 10
    /// answers of 1 to 100 characters).
    #[validate(length(min = 1, max = 10), custom(function = "blank_answers"))]
    #[schema(min_items = 1, max_items = 10)]
    pub blanks: Option<Vec<Vec<String>>>,
    /// 解析: shown with the answer once the question is graded.
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub explanation: Option<String>,
    /// 分类, e.g. 党史; practice is by category.
    #[validate(length(min = 1, max = 64), custom(function = "not_blank"))]
    #[schema(example = "党史", min_length = 1, max_length = 64, pattern = "\\S")]
    pub category: String,
    /// At most 10 tags of 1 to 32 characters.
    #[serde(default)]
    #[validate(length(max = 10), custom(function = "labels"))]
    #[schema(max_items = 10)]
    pub tags: Vec<String>,
    /// 1 (easy) to 5 (hard).
    #[validate(range(min = 1, max = 5))]
    #[schema(minimum = 1, maximum = 5, example = 2)]
    pub difficulty: i16,
    /// Where the question comes from (an article, a book); null for none.
    #[validate(length(max = 255))]
    #[schema(max_length = 255)]
    pub source: Option<String>,
    /// Default `active` for a new question; an edit without it keeps the status.
    pub status: Option<QuestionStatus>,
}

fn blank_answers(blanks: &[Vec<String>]) -> Result<(), validator::ValidationError> {
    let fits = blanks.iter().all(|answers| {
        (1..=10).contains(&answers.len())
            && answers
                .iter()
                .all(|a| (1..=100).contains(&a.chars().count()) && !a.trim().is_empty())
    });
    if fits {
        return Ok(());
    }
    Err(validator::ValidationError::new("blank_answers"))
}

/// A question as admins see it: everything, answers included.
#[derive(Debug, Serialize, ToSchema)]
pub struct Question {
    /// Question id.
    pub id: i64,
    /// The question's type.
    #[serde(rename = "type")]
    pub kind: QuestionType,
    /// The question's text.
    pub stem: String,
    /// `single` and `multiple`: the options in authored order with their flags; else absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<AuthoredOption>>,
    /// `judge`: whether the statement is true; else absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<bool>,
    /// `fill`: the accepted answers per blank; else absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blanks: Option<Vec<Vec<String>>>,
    /// 解析; null for none.
    pub explanation: Option<String>,
    /// 分类.
    pub category: String,
    /// Tags.
    pub tags: Vec<String>,
    /// 1 (easy) to 5 (hard).
    pub difficulty: i16,
    /// Where it comes from; null for none.
    pub source: Option<String>,
    /// `draft`, `active` (drawn into quizzes) or `retired`.
    pub status: QuestionStatus,
    /// Goes up with every edit; an attempt records the version it asked.
    pub version: i32,
    /// When it was added.
    pub created_at: DateTime<Utc>,
    /// When it was last edited; null if never.
    pub updated_at: Option<DateTime<Utc>>,
}

/// `GET /admin/questions` filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QuestionQuery {
    #[serde(rename = "type")]
    #[param(rename = "type", inline)]
    pub kind: Option<QuestionType>,
    #[param(inline)]
    pub status: Option<QuestionStatus>,
    /// Exactly this category.
    pub category: Option<String>,
    /// Part of the stem.
    pub q: Option<String>,
}

/// `POST /admin/questions/import`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Check every row and count what would change, writing nothing.
    pub dry_run: Option<bool>,
}

/// The multipart form of an import.
#[derive(Debug, ToSchema)]
pub struct ImportForm {
    /// The sheet: `.xlsx`, or UTF-8 CSV (a BOM is fine), under the template's header.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// What an import did (or, with `dry_run`, would do).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReport {
    /// Nothing was written.
    pub dry_run: bool,
    /// Data rows read (blank rows skipped).
    pub rows: usize,
    /// Questions added.
    pub created: usize,
    /// Questions of the same type and stem that got a new version.
    pub updated: usize,
    /// Questions already exactly so.
    pub unchanged: usize,
}

/// `?format=` of a sheet download.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SheetQuery {
    /// `xlsx` or `csv` (the default; UTF-8 with a BOM).
    #[param(inline)]
    pub format: Option<crate::http::export::Format>,
}
