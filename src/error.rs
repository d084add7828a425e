//! The one error type of the API. Every variant has a stable `code` and a documented status; the
//! body is `{"code", "message", "details"}` with the message in Chinese, or English when the
//! caller's `Accept-Language` prefers it (see [`crate::http::observe`]). The messages are data:
//! `locales/zh.yml` and `locales/en.yml`, keyed by the code.
use std::borrow::Cow;
use std::collections::BTreeMap;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use sea_orm::DbErr;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

/// The language of `message` in error bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    /// The locale file this language's messages are in (`locales/<tag>.yml`).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The message under `key` in this language, if the locale file has it.
    pub fn lookup(self, key: &str) -> Option<String> {
        let text = rust_i18n::t!(key, locale = self.tag());
        (text != key && !text.ends_with(key)).then(|| text.into_owned())
    }

    /// Chinese unless the caller's most preferred language is English.
    pub fn from_accept_language(header: Option<&str>) -> Self {
        let Some(header) = header else {
            return Lang::Zh;
        };
        let mut best: Option<(f32, &str)> = None;
        for part in header.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or("").trim();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if !tag.is_empty() && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, tag));
            }
        }
        match best {
            Some((_, tag)) if tag.to_ascii_lowercase().starts_with("en") => Lang::En,
            _ => Lang::Zh,
        }
    }
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"code": "validation_failed", "message": "提交的内容有误", "details": {"fields": {"nickname": ["长度应在 1 到 32 个字符之间"]}}}))]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `auth.invalid_token`.
    pub code: String,
    /// For people: Chinese by default, English with `Accept-Language: en`.
    pub message: String,
    /// Structured extras; for `validation_failed`, `fields` maps each field to its messages.
    #[schema(value_type = Object)]
    pub details: Value,
}

/// One problem with one field: a code (`required`, `length`, ...) and its parameters.
#[derive(Debug, Clone)]
pub struct FieldIssue {
    pub code: Cow<'static, str>,
    pub params: BTreeMap<String, Value>,
}

impl FieldIssue {
    pub fn new(code: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code: code.into(),
            params: BTreeMap::new(),
        }
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.params.insert(key.to_owned(), value.into());
        self
    }

    /// The message of `field.<code>` in `lang` (`field.<code>.min_max` and the like when the
    /// issue has `min`/`max`), its `%{param}`s filled in.
    fn message(&self, lang: Lang) -> String {
        let param = |k: &str| {
            self.params
                .get(k)
                .map(|v| v.to_string().trim_matches('"').to_owned())
        };
        let bounds = match (param("min"), param("max")) {
            (Some(_), Some(_)) => Some("min_max"),
            (None, Some(_)) => Some("max"),
            (Some(_), None) => Some("min"),
            (None, None) => None,
        };
        let base = format!("field.{}", self.code);
        let template = bounds
            .and_then(|b| lang.lookup(&format!("{base}.{b}")))
            .or_else(|| lang.lookup(&base))
            .or_else(|| lang.lookup("field.invalid"))
            .unwrap_or_default();
        self.params.keys().fold(template, |text, k| {
            text.replace(&format!("%{{{k}}}"), &param(k).unwrap_or_default())
        })
    }
}

/// One problem in an imported file: its row (the header is row 1) and column.
#[derive(Debug, Clone)]
pub struct RowIssue {
    pub row: usize,
    pub column: String,
    pub issue: FieldIssue,
}

/// Field name → its problems. Ordered, so responses are stable.
pub type FieldErrors = BTreeMap<String, Vec<FieldIssue>>;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 `bad_request`: malformed JSON or query.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 413 `payload_too_large`.
    #[error("payload too large (limit {limit} bytes)")]
    PayloadTooLarge { limit: usize },
    /// 413 `payload_too_large`: a file with more rows than one import takes.
    #[error("more than {max_rows} rows")]
    TooManyRows { max_rows: usize },
    /// 415 `unsupported_media_type`: the body is not `application/json`.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// 422 `validation_failed`, with `details.fields`.
    #[error("validation failed")]
    Validation(FieldErrors),
    /// 415 `media.unsupported_type`: the file's bytes are none of the accepted types.
    #[error("unsupported file type")]
    UnsupportedFileType,
    /// 422 `media.image_too_large`: more pixels than configured (`details.max_pixels`,
    /// `details.max_side`).
    #[error("image too large")]
    ImageTooLarge { max_pixels: u64, max_side: u32 },
    /// 422 `media.unreadable`: an image that cannot be decoded.
    #[error("unreadable image")]
    ImageUnreadable,
    /// 409 `reading.no_makeup_card`: no make-up card held.
    #[error("no make-up card")]
    NoMakeupCard,
    /// 409 `reading.day_counted`: the day already counts for the streak.
    #[error("day already counted")]
    DayCounted,
    /// 409 `class.not_live`: outside the class's window.
    #[error("class not live")]
    ClassNotLive,
    /// 409 `conflict.stale_version`: the thing changed since the `version` the caller saw.
    #[error("stale version")]
    StaleVersion,
    /// 409 `submission.not_reviewable`: the decision does not apply in the submission's status
    /// or stage (approving an approved one, featuring at the first stage...).
    #[error("not reviewable")]
    NotReviewable,
    /// 409 `submission.not_editable`: only pending and rejected submissions are edited.
    #[error("not editable")]
    NotEditable,
    /// 403 `forbidden.review_stage`: the final stage of a two-stage review is for an admin of
    /// an org above the author's, and not the one who decided the first.
    #[error("not this reviewer's stage")]
    ReviewStage,
    /// 422 `validation_failed` for a file of rows: the first [`MAX_ROW_ERRORS`] problems in
    /// `details.fields`, and how many there were in all in `details.error_count`.
    #[error("validation failed in {total} places")]
    RowErrors { fields: FieldErrors, total: usize },
    /// 401 `auth.required`: no bearer token.
    #[error("authentication required")]
    AuthRequired,
    /// 401 `auth.invalid_token`: a token that is tampered, expired, revoked or unknown.
    #[error("invalid token")]
    InvalidToken,
    /// 401 `auth.invalid_code`: WeChat rejected the login code (40029, 40163).
    #[error("invalid WeChat login code")]
    InvalidCode,
    /// 401 `auth.bad_credentials`: wrong username or password.
    #[error("bad credentials")]
    BadCredentials,
    /// 403 `forbidden`: the caller's roles can never do this.
    #[error("forbidden")]
    Forbidden,
    /// 403 `forbidden.own_item`: nobody decides their own case (reviews their own check-in or
    /// submission, adjusts their own points).
    #[error("forbidden: own item")]
    OwnItem,
    /// 404 `not_found`: absent, or outside the caller's scope.
    #[error("not found")]
    NotFound,
    /// 405 `method_not_allowed`, with `Allow` listing the methods the path is served with.
    #[error("method not allowed")]
    MethodNotAllowed { allow: String },
    /// 409 `conflict`.
    #[error("conflict")]
    Conflict,
    /// 404 `invite.not_found`: no such invite code (or it was revoked).
    #[error("invite not found")]
    InviteNotFound,
    /// 410 `invite.expired`.
    #[error("invite expired")]
    InviteExpired,
    /// 410 `invite.used_up`: the code reached its maximum uses.
    #[error("invite used up")]
    InviteUsedUp,
    /// 409 `org.already_member`: the member already belongs to an org; leave it first.
    #[error("already a member of an org")]
    AlreadyInOrg,
    /// 422 `idempotency.key_reused`: the key came with another request before.
    #[error("idempotency key reused")]
    IdempotencyKeyReused,
    /// 422 `checkin.too_far`, with `details: {distance_m, radius_m}`.
    #[error("too far from the site")]
    CheckinTooFar { distance_m: f64, radius_m: i32 },
    /// 409 `checkin.already_today`: one check-in per site per local day, whatever its status.
    #[error("already checked in here today")]
    AlreadyCheckedIn,
    /// 409 `question.duplicate`: another question of the type has the same stem
    /// (`details.question_id`).
    #[error("duplicate question")]
    DuplicateQuestion { id: i64 },
    /// 409 `quiz.daily_done`: today's daily quiz is already submitted.
    #[error("daily quiz done")]
    DailyQuizDone,
    /// 409 `quiz.expired`: past the deadline and its grace; the attempt was graded from its
    /// saved answers.
    #[error("attempt expired")]
    QuizExpired,
    /// 409 `quiz.finished`: the attempt is submitted or the run is over.
    #[error("attempt finished")]
    QuizFinished,
    /// 409 `quiz.wrong_kind`: not an operation of this kind of attempt (answer one at a time is
    /// for challenges, submit for the rest).
    #[error("not for this kind of attempt")]
    QuizWrongKind,
    /// 409 `quiz.attempt_open`: another open attempt of the member holds a question this one
    /// needs; finish it first (`details.attempt_id`).
    #[error("another attempt is open")]
    AttemptOpen { attempt_id: i64 },
    /// 409 `quiz.no_questions`: the bank has no active question to ask.
    #[error("no questions")]
    NoQuestions,
    /// 409 `exam.closed`: outside the exam's window, or not for the member's org.
    #[error("exam closed")]
    ExamClosed,
    /// 409 `exam.no_attempts_left`: every allowed attempt is used.
    #[error("no attempts left")]
    NoAttemptsLeft,
    /// 422 `validation_failed` for a file of rows: `details.rows` lists the first
    /// [`MAX_ROW_ERRORS`] problems by row and column, `details.error_count` counts all.
    #[error("import failed in {total} places")]
    ImportErrors { rows: Vec<RowIssue>, total: usize },
    /// 429 `rate_limited`, with `Retry-After` in seconds.
    #[error("rate limited for {retry_after_secs}s")]
    RateLimited { retry_after_secs: u64 },
    /// 502 `wechat.error`: WeChat answered with an error we do not expect.
    #[error("WeChat error")]
    WechatError,
    /// 503 `wechat.unavailable`: WeChat busy (-1), timed out or unreachable.
    #[error("WeChat unavailable")]
    WechatUnavailable,
    /// 503 `service_unavailable` with `Retry-After`: too busy right now (password hashing).
    #[error("busy; retry in {retry_after_secs}s")]
    Busy { retry_after_secs: u64 },
    /// 503 `service_unavailable`: a dependency (the database) is down.
    #[error("service unavailable")]
    ServiceUnavailable,
    /// 503 `service_unavailable` with `Retry-After`: the database cannot be reached (refused,
    /// cut off, or no connection free within the acquire timeout); logged with its cause.
    #[error("database unavailable: {0}")]
    DatabaseDown(DbErr),
    /// 500 `internal`: a database failure; logged with its cause, never shown.
    #[error("database error: {0}")]
    Database(DbErr),
    /// 500 `internal`: anything else unexpected; logged with its cause chain, never shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// A single-field validation failure.
    pub fn field(field: &str, issue: FieldIssue) -> Self {
        ApiError::Validation(BTreeMap::from([(field.to_owned(), vec![issue])]))
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::PayloadTooLarge { .. } | ApiError::TooManyRows { .. } => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::Validation(_) | ApiError::RowErrors { .. } => "validation_failed",
            ApiError::UnsupportedFileType => "media.unsupported_type",
            ApiError::ImageTooLarge { .. } => "media.image_too_large",
            ApiError::ImageUnreadable => "media.unreadable",
            ApiError::AuthRequired => "auth.required",
            ApiError::InvalidToken => "auth.invalid_token",
            ApiError::InvalidCode => "auth.invalid_code",
            ApiError::BadCredentials => "auth.bad_credentials",
            ApiError::Forbidden => "forbidden",
            ApiError::OwnItem => "forbidden.own_item",
            ApiError::NotFound => "not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::Conflict => "conflict",
            ApiError::InviteNotFound => "invite.not_found",
            ApiError::InviteExpired => "invite.expired",
            ApiError::InviteUsedUp => "invite.used_up",
            ApiError::AlreadyInOrg => "org.already_member",
            ApiError::IdempotencyKeyReused => "idempotency.key_reused",
            ApiError::CheckinTooFar { .. } => "checkin.too_far",
            ApiError::AlreadyCheckedIn => "checkin.already_today",
            ApiError::DuplicateQuestion { .. } => "question.duplicate",
            ApiError::DailyQuizDone => "quiz.daily_done",
            ApiError::QuizExpired => "quiz.expired",
            ApiError::QuizFinished => "quiz.finished",
            ApiError::QuizWrongKind => "quiz.wrong_kind",
            ApiError::NoQuestions => "quiz.no_questions",
            ApiError::AttemptOpen { .. } => "quiz.attempt_open",
            ApiError::ExamClosed => "exam.closed",
            ApiError::NoAttemptsLeft => "exam.no_attempts_left",
            ApiError::NoMakeupCard => "reading.no_makeup_card",
            ApiError::DayCounted => "reading.day_counted",
            ApiError::ClassNotLive => "class.not_live",
            ApiError::StaleVersion => "conflict.stale_version",
            ApiError::NotReviewable => "submission.not_reviewable",
            ApiError::NotEditable => "submission.not_editable",
            ApiError::ReviewStage => "forbidden.review_stage",
            ApiError::ImportErrors { .. } => "validation_failed",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::WechatError => "wechat.error",
            ApiError::WechatUnavailable => "wechat.unavailable",
            ApiError::ServiceUnavailable | ApiError::Busy { .. } | ApiError::DatabaseDown(_) => {
                "service_unavailable"
            }
            ApiError::Database(_) | ApiError::Internal(_) => "internal",
        }
    }

    /// The key of this error's message in the locale files: `error.<code>`, or a more
    /// particular one where one code has several messages.
    pub fn message_key(&self) -> Cow<'static, str> {
        match self {
            ApiError::TooManyRows { .. } => "error.payload_too_large.rows".into(),
            other => format!("error.{}", other.code()).into(),
        }
    }

    fn message(&self, lang: Lang) -> String {
        lang.lookup(&self.message_key())
            .or_else(|| lang.lookup("error.internal"))
            .unwrap_or_default()
    }

    fn details(&self, lang: Lang) -> Value {
        match self {
            ApiError::Validation(fields) => json!({ "fields": messages(fields, lang) }),
            ApiError::RowErrors { fields, total } => json!({
                "fields": messages(fields, lang),
                "error_count": total,
                "truncated": *total > fields.len(),
            }),
            ApiError::ImportErrors { rows, total } => json!({
                "rows": rows.iter().map(|r| json!({
                    "row": r.row,
                    "column": r.column,
                    "code": r.issue.code,
                    "message": r.issue.message(lang),
                })).collect::<Vec<_>>(),
                "error_count": total,
                "truncated": *total > rows.len(),
            }),
            ApiError::DuplicateQuestion { id } => json!({ "question_id": id }),
            ApiError::AttemptOpen { attempt_id } => json!({ "attempt_id": attempt_id }),
            ApiError::BadRequest(reason) => json!({ "reason": reason }),
            ApiError::PayloadTooLarge { limit } => json!({ "limit_bytes": limit }),
            ApiError::TooManyRows { max_rows } => json!({ "max_rows": max_rows }),
            ApiError::ImageTooLarge {
                max_pixels,
                max_side,
            } => json!({ "max_pixels": max_pixels, "max_side": max_side }),
            ApiError::RateLimited { retry_after_secs } => {
                json!({ "retry_after": retry_after_secs })
            }
            ApiError::CheckinTooFar {
                distance_m,
                radius_m,
            } => {
                json!({ "distance_m": distance_m, "radius_m": radius_m })
            }
            _ => json!({}),
        }
    }

    pub fn body(&self, lang: Lang) -> ErrorBody {
        ErrorBody {
            code: self.code().to_owned(),
            message: self.message(lang),
            details: self.details(lang),
        }
    }

    /// The full response in `lang`.
    pub fn render(&self, lang: Lang) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        if let ApiError::RateLimited { retry_after_secs } | ApiError::Busy { retry_after_secs } =
            self
        {
            res.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        if let ApiError::DatabaseDown(_) = self {
            res.insert_header((header::RETRY_AFTER, "1"));
        }
        if let ApiError::MethodNotAllowed { allow } = self {
            res.insert_header((header::ALLOW, allow.as_str()));
        }
        res.json(self.body(lang))
    }

    /// True for failures that a fresh attempt of the same transaction can get past: deadlocks
    /// and serialization failures (MySQL 1213 / SQLSTATE 40001, PostgreSQL 40P01) and SQLite's
    /// busy database.
    pub fn is_transient(&self) -> bool {
        let ApiError::Database(
            DbErr::Exec(sea_orm::RuntimeErr::SqlxError(e))
            | DbErr::Query(sea_orm::RuntimeErr::SqlxError(e)),
        ) = self
        else {
            return false;
        };
        let sea_orm::sqlx::Error::Database(db) = e.as_ref() else {
            return false;
        };
        matches!(db.code().as_deref(), Some("40001" | "40P01" | "5" | "517"))
    }

    /// True when the database refused a write for a unique constraint.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, ApiError::Database(e) if matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))))
    }
}

impl From<DbErr> for ApiError {
    /// A database that cannot be reached is an outage (503, retry), not a bug (500).
    fn from(e: DbErr) -> Self {
        use sea_orm::sqlx::Error as Sqlx;
        // None free in time; a connection refused, reset or cut in its handshake, or broken
        // under a statement. Not a refused login or a missing database (a misconfiguration,
        // 500: retrying does not mend it), and not a failed COMMIT (see `Db::write`).
        let down = match &e {
            DbErr::ConnectionAcquire(_) => true,
            DbErr::Conn(sea_orm::RuntimeErr::SqlxError(x)) => matches!(
                x.as_ref(),
                Sqlx::Io(_)
                    | Sqlx::Tls(_)
                    | Sqlx::Protocol(_)
                    | Sqlx::PoolTimedOut
                    | Sqlx::PoolClosed
            ),
            DbErr::Exec(sea_orm::RuntimeErr::SqlxError(x))
            | DbErr::Query(sea_orm::RuntimeErr::SqlxError(x)) => matches!(
                x.as_ref(),
                Sqlx::Io(_) | Sqlx::Tls(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed
            ),
            _ => false,
        };
        if down {
            ApiError::DatabaseDown(e)
        } else {
            ApiError::Database(e)
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge { .. } | ApiError::TooManyRows { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            ApiError::UnsupportedMediaType | ApiError::UnsupportedFileType => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            ApiError::ImageTooLarge { .. } | ApiError::ImageUnreadable => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::Validation(_)
            | ApiError::RowErrors { .. }
            | ApiError::ImportErrors { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::DuplicateQuestion { .. }
            | ApiError::DailyQuizDone
            | ApiError::QuizExpired
            | ApiError::QuizFinished
            | ApiError::QuizWrongKind
            | ApiError::NoQuestions
            | ApiError::AttemptOpen { .. }
            | ApiError::ExamClosed
            | ApiError::NoAttemptsLeft
            | ApiError::NoMakeupCard
            | ApiError::DayCounted
            | ApiError::ClassNotLive
            | ApiError::StaleVersion
            | ApiError::NotReviewable
            | ApiError::NotEditable => StatusCode::CONFLICT,
            ApiError::AuthRequired
            | ApiError::InvalidToken
            | ApiError::InvalidCode
            | ApiError::BadCredentials => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden | ApiError::OwnItem | ApiError::ReviewStage => {
                StatusCode::FORBIDDEN
            }
            ApiError::NotFound | ApiError::InviteNotFound => StatusCode::NOT_FOUND,
            ApiError::InviteExpired | ApiError::InviteUsedUp => StatusCode::GONE,
            ApiError::AlreadyInOrg => StatusCode::CONFLICT,
            ApiError::IdempotencyKeyReused | ApiError::CheckinTooFar { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::AlreadyCheckedIn => StatusCode::CONFLICT,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict => StatusCode::CONFLICT,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::WechatError => StatusCode::BAD_GATEWAY,
            ApiError::WechatUnavailable
            | ApiError::ServiceUnavailable
            | ApiError::Busy { .. }
            | ApiError::DatabaseDown(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Database(_) | ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Chinese by default; the observe middleware re-renders it when the caller prefers English.
    fn error_response(&self) -> HttpResponse {
        self.render(Lang::Zh)
    }
}

fn messages(fields: &FieldErrors, lang: Lang) -> BTreeMap<&String, Vec<String>> {
    fields
        .iter()
        .map(|(name, issues)| (name, issues.iter().map(|i| i.message(lang)).collect()))
        .collect()
}

/// How many problems a file import reports at most; the rest are counted.
pub const MAX_ROW_ERRORS: usize = 100;

impl From<validator::ValidationErrors> for ApiError {
    fn from(errors: validator::ValidationErrors) -> Self {
        let mut fields = FieldErrors::new();
        collect_validation(&errors, "", &mut fields);
        ApiError::Validation(fields)
    }
}

fn collect_validation(errors: &validator::ValidationErrors, prefix: &str, out: &mut FieldErrors) {
    use validator::ValidationErrorsKind as K;
    for (field, kind) in errors.errors() {
        let name = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            K::Field(list) => out.entry(name).or_default().extend(list.iter().map(|e| {
                let mut issue = FieldIssue::new(e.code.clone());
                for (k, v) in &e.params {
                    if k != "value" {
                        issue.params.insert(k.to_string(), v.clone());
                    }
                }
                issue
            })),
            K::Struct(inner) => collect_validation(inner, &name, out),
            K::List(items) => {
                for (index, inner) in items {
                    collect_validation(inner, &format!("{name}[{index}]"), out);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The string literals that follow `marker` in `text`.
    fn literals_after<'a>(text: &'a str, marker: &str) -> Vec<&'a str> {
        text.match_indices(marker)
            .filter_map(|(at, _)| text[at + marker.len()..].split('"').next())
            .collect()
    }

    fn sources() -> Vec<(std::path::PathBuf, String)> {
        fn walk(dir: &std::path::Path, out: &mut Vec<(std::path::PathBuf, String)>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    // Tests name codes that do not exist, on purpose.
                    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
                    out.push((path, code.to_owned()));
                }
            }
        }
        let mut out = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut out,
        );
        out
    }

    fn locale_keys(tag: &str) -> std::collections::BTreeSet<String> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("locales")
            .join(format!("{tag}.yml"));
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with('_'))
            .filter_map(|l| l.split_once(": ").map(|(k, _)| k.trim().to_owned()))
            .collect()
    }

    /// Every code the code base can answer with, found in its source: the `ApiError` codes
    /// and message keys, and every field-issue code (`FieldIssue::new`, `ValidationError::new`,
    /// `code = ` in a validate attribute, and the validator's own `length` and `range`).
    #[test]
    fn every_code_has_a_message_in_both_languages() {
        let this = include_str!("error.rs")
            .split("#[cfg(test)]")
            .next()
            .unwrap();
        let codes_fn = &this[this.find("pub fn code(&self)").unwrap()..];
        let codes_fn = &codes_fn[..codes_fn.find("\n    }\n").unwrap()];
        let mut keys: Vec<String> = literals_after(codes_fn, "=> \"")
            .into_iter()
            .map(|code| format!("error.{code}"))
            .collect();
        keys.extend(
            literals_after(this, "\"error.")
                .into_iter()
                .map(|k| format!("error.{k}")),
        );
        keys.retain(|k| k != "error." && !k.contains('{'));
        let mut fields = vec!["invalid".to_owned(), "required".to_owned()];
        for (_, text) in sources() {
            for marker in ["FieldIssue::new(\"", "ValidationError::new(\"", "code = \""] {
                fields.extend(literals_after(&text, marker).into_iter().map(str::to_owned));
            }
            for builtin in ["length", "range"] {
                if text.contains(&format!("#[validate({builtin}("))
                    || text.contains(&format!(", {builtin}("))
                {
                    fields.push(builtin.to_owned());
                }
            }
        }
        keys.extend(fields.iter().map(|code| format!("field.{code}")));
        assert!(keys.len() > 40, "found only {} codes: {keys:?}", keys.len());
        for lang in [Lang::Zh, Lang::En] {
            let missing: Vec<_> = keys.iter().filter(|k| lang.lookup(k).is_none()).collect();
            assert!(
                missing.is_empty(),
                "{} has no message for {missing:?}",
                lang.tag()
            );
        }
        let (zh, en) = (locale_keys("zh"), locale_keys("en"));
        assert_eq!(
            zh.symmetric_difference(&en).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "keys in only one language"
        );
    }

    #[test]
    fn messages_fill_in_their_parameters() {
        let issue = FieldIssue::new("length").with("min", 1).with("max", 32);
        assert_eq!(issue.message(Lang::Zh), "长度应在 1 到 32 个字符之间");
        assert_eq!(issue.message(Lang::En), "must be 1 to 32 characters long");
        let issue = FieldIssue::new("range").with("min", 20);
        assert_eq!(issue.message(Lang::En), "is out of range");
        assert_eq!(FieldIssue::new("no_such_code").message(Lang::Zh), "无效");
        assert_eq!(
            ApiError::TooManyRows { max_rows: 1 }.body(Lang::En).message,
            "The file has more rows than one import takes; split it"
        );
    }

    #[test]
    fn english_only_when_it_is_the_callers_first_choice() {
        assert_eq!(Lang::from_accept_language(None), Lang::Zh);
        assert_eq!(Lang::from_accept_language(Some("en")), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(
            Lang::from_accept_language(Some("zh-CN,zh;q=0.9,en;q=0.8")),
            Lang::Zh
        );
        assert_eq!(
            Lang::from_accept_language(Some("zh;q=0.5, en;q=0.8")),
            Lang::En
        );
    }
}
