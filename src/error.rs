//! The one error type of the API. Every variant has a stable `code` and a documented status; the
//! body is `{"code", "message", "details"}` with the message in Chinese, or English when the
//! caller's `Accept-Language` prefers it (see [`crate::http::observe`]).
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

    fn message(&self, lang: Lang) -> String {
        let p = |k: &str| {
            self.params
                .get(k)
                .map(|v| v.to_string().trim_matches('"').to_owned())
        };
        match (self.code.as_ref(), lang) {
            ("required", Lang::Zh) => "必填".into(),
            ("required", Lang::En) => "is required".into(),
            ("length", _) => match (p("min"), p("max"), lang) {
                (Some(min), Some(max), Lang::Zh) => format!("长度应在 {min} 到 {max} 个字符之间"),
                (Some(min), Some(max), Lang::En) => {
                    format!("must be {min} to {max} characters long")
                }
                (None, Some(max), Lang::Zh) => format!("长度不能超过 {max} 个字符"),
                (None, Some(max), Lang::En) => format!("must be at most {max} characters long"),
                (Some(min), None, Lang::Zh) => format!("长度至少 {min} 个字符"),
                (Some(min), None, Lang::En) => format!("must be at least {min} characters long"),
                (None, None, Lang::Zh) => "长度不符合要求".into(),
                (None, None, Lang::En) => "has the wrong length".into(),
            },
            ("items", _) => match (p("min"), p("max"), lang) {
                (Some(min), Some(max), Lang::Zh) => format!("应有 {min} 到 {max} 项"),
                (Some(min), Some(max), Lang::En) => format!("must have {min} to {max} items"),
                (None, Some(max), Lang::Zh) => format!("不能超过 {max} 项"),
                (None, Some(max), Lang::En) => format!("must have at most {max} items"),
                (Some(min), None, Lang::Zh) => format!("至少 {min} 项"),
                (Some(min), None, Lang::En) => format!("must have at least {min} items"),
                (None, None, Lang::Zh) => "项数不符合要求".into(),
                (None, None, Lang::En) => "has the wrong number of items".into(),
            },
            ("range", _) => match (p("min"), p("max"), lang) {
                (Some(min), Some(max), Lang::Zh) => format!("应在 {min} 到 {max} 之间"),
                (Some(min), Some(max), Lang::En) => format!("must be between {min} and {max}"),
                (_, _, Lang::Zh) => "超出允许范围".into(),
                (_, _, Lang::En) => "is out of range".into(),
            },
            ("url", Lang::Zh) => "须为有效的 http(s) 链接".into(),
            ("url", Lang::En) => "must be a valid http(s) URL".into(),
            ("blank", Lang::Zh) => "不能为空白".into(),
            ("blank", Lang::En) => "must not be blank".into(),
            ("parent_kind", Lang::Zh) => "上级组织的类别须高于本组织".into(),
            ("parent_kind", Lang::En) => "the parent must be of a higher kind".into(),
            ("parent_required", Lang::Zh) => "只有行业党委可以没有上级组织".into(),
            ("parent_required", Lang::En) => "only an industry committee may have no parent".into(),
            ("cycle", Lang::Zh) => "不能移动到自身或下级组织之下".into(),
            ("cycle", Lang::En) => "an org cannot move under itself or its descendants".into(),
            ("party_org_only", Lang::Zh) => "只有企业党组织有企业档案".into(),
            ("party_org_only", Lang::En) => "only a party_org has an enterprise record".into(),
            ("future", Lang::Zh) => "须为一年内的未来时间".into(),
            ("future", Lang::En) => "must be in the future, at most a year ahead".into(),
            ("org_required", Lang::Zh) => "此角色须指定组织".into(),
            ("org_required", Lang::En) => "this role needs an org_id".into(),
            ("no_org", Lang::Zh) => "平台管理员角色不属于任何组织".into(),
            ("no_org", Lang::En) => "platform_admin takes no org_id".into(),
            ("wechat_code", Lang::Zh) => "授权码无效或已使用，请重新授权".into(),
            ("wechat_code", Lang::En) => {
                "the code is invalid or was already used; ask again".into()
            }
            ("non_zero", Lang::Zh) => "不能为 0".into(),
            ("non_zero", Lang::En) => "must not be 0".into(),
            ("coordinates", Lang::Zh) => "lat 与 lng 须同时给出且在有效范围内".into(),
            ("coordinates", Lang::En) => "lat and lng go together, within range".into(),
            ("captured_window", Lang::Zh) => "须在过去 24 小时内，且不晚于现在 5 分钟".into(),
            ("captured_window", Lang::En) => {
                "must be within the last 24 hours and at most 5 minutes ahead".into()
            }
            ("duplicate", Lang::Zh) => "不能重复".into(),
            ("duplicate", Lang::En) => "must not repeat".into(),
            ("after_start", Lang::Zh) => "须晚于开始时间".into(),
            ("after_start", Lang::En) => "must be after the start".into(),
            ("idempotency_key", Lang::Zh) => "须为不超过 128 个字符的可见 ASCII 字符串".into(),
            ("idempotency_key", Lang::En) => "must be visible ASCII, at most 128 characters".into(),
            ("year_range", Lang::Zh) => "年份须在 1970 到 9999 之间".into(),
            ("year_range", Lang::En) => "must be in the years 1970 to 9999".into(),
            ("cursor", Lang::Zh) => "分页游标无效".into(),
            ("cursor", Lang::En) => "is not a cursor this API gave out".into(),
            ("username", Lang::Zh) => "须为 3 到 32 个小写字母、数字或 ._-".into(),
            ("username", Lang::En) => {
                "must be 3 to 32 lowercase letters, digits, '.', '_' or '-'".into()
            }
            ("control_characters", Lang::Zh) => "不能包含控制字符（如 NUL）".into(),
            ("control_characters", Lang::En) => {
                "must not contain control characters such as NUL (tab and newline are allowed)"
                    .into()
            }
            ("invalid_type", Lang::Zh) => "类型或格式不正确".into(),
            ("invalid_type", Lang::En) => match p("reason") {
                Some(reason) => format!("has the wrong type or format: {reason}"),
                None => "has the wrong type or format".into(),
            },
            (_, Lang::Zh) => "无效".into(),
            (_, Lang::En) => "is invalid".into(),
        }
    }
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
    /// 500 `internal`: a database failure; logged with its cause, never shown.
    #[error("database error: {0}")]
    Database(#[from] DbErr),
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
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::WechatError => "wechat.error",
            ApiError::WechatUnavailable => "wechat.unavailable",
            ApiError::ServiceUnavailable | ApiError::Busy { .. } => "service_unavailable",
            ApiError::Database(_) | ApiError::Internal(_) => "internal",
        }
    }

    fn message(&self, lang: Lang) -> &'static str {
        let (zh, en) = match self {
            ApiError::BadRequest(_) => ("请求格式不正确", "The request is malformed"),
            ApiError::PayloadTooLarge { .. } => ("请求内容过大", "The request body is too large"),
            ApiError::TooManyRows { .. } => (
                "文件行数超过单次导入上限，请分批导入",
                "The file has more rows than one import takes; split it",
            ),
            ApiError::UnsupportedMediaType => (
                "请求内容须为 JSON（Content-Type: application/json）",
                "The request body must be JSON (Content-Type: application/json)",
            ),
            ApiError::Validation(_) | ApiError::RowErrors { .. } => {
                ("提交的内容有误", "Some fields are invalid")
            }
            ApiError::AuthRequired => ("请先登录", "Login required"),
            ApiError::InvalidToken => (
                "登录已失效，请重新登录",
                "The token is invalid or has expired",
            ),
            ApiError::InvalidCode => (
                "微信登录凭证无效或已被使用，请重新登录",
                "The WeChat login code is invalid or was already used",
            ),
            ApiError::BadCredentials => ("用户名或密码错误", "Wrong username or password"),
            ApiError::Forbidden => ("无权执行此操作", "You are not allowed to do this"),
            ApiError::OwnItem => (
                "不能审核或调整与自己有关的事项",
                "You cannot decide your own case",
            ),
            ApiError::NotFound => ("资源不存在", "Not found"),
            ApiError::MethodNotAllowed { .. } => ("不支持该请求方法", "Method not allowed"),
            ApiError::Conflict => ("与现有数据冲突", "This conflicts with existing data"),
            ApiError::InviteNotFound => ("邀请码不存在", "No such invite code"),
            ApiError::CheckinTooFar { .. } => (
                "距离遗址太远，请走近后再打卡",
                "Too far from the site; move closer and try again",
            ),
            ApiError::AlreadyCheckedIn => {
                ("今天已在这里打过卡了", "You already checked in here today")
            }
            ApiError::IdempotencyKeyReused => (
                "该幂等键已用于另一个请求",
                "This Idempotency-Key was used with a different request",
            ),
            ApiError::InviteExpired => ("邀请码已过期", "The invite code has expired"),
            ApiError::InviteUsedUp => ("邀请码已达使用上限", "The invite code has been used up"),
            ApiError::AlreadyInOrg => (
                "你已加入组织，请先退出当前组织",
                "You already belong to an organisation; leave it first",
            ),
            ApiError::RateLimited { .. } => (
                "操作过于频繁，请稍后再试",
                "Too many requests; try again later",
            ),
            ApiError::WechatError => (
                "微信服务返回错误，请稍后重试",
                "WeChat returned an error; try again later",
            ),
            ApiError::WechatUnavailable => (
                "微信服务暂时不可用，请稍后重试",
                "WeChat is unavailable; try again later",
            ),
            ApiError::ServiceUnavailable | ApiError::Busy { .. } => (
                "服务暂时不可用，请稍后重试",
                "The service is unavailable; try again later",
            ),
            ApiError::Database(_) | ApiError::Internal(_) => {
                ("服务器内部错误", "Internal server error")
            }
        };
        match lang {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    fn details(&self, lang: Lang) -> Value {
        match self {
            ApiError::Validation(fields) => json!({ "fields": messages(fields, lang) }),
            ApiError::RowErrors { fields, total } => json!({
                "fields": messages(fields, lang),
                "error_count": total,
                "truncated": *total > fields.len(),
            }),
            ApiError::BadRequest(reason) => json!({ "reason": reason }),
            ApiError::PayloadTooLarge { limit } => json!({ "limit_bytes": limit }),
            ApiError::TooManyRows { max_rows } => json!({ "max_rows": max_rows }),
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
            message: self.message(lang).to_owned(),
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

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge { .. } | ApiError::TooManyRows { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Validation(_) | ApiError::RowErrors { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::AuthRequired
            | ApiError::InvalidToken
            | ApiError::InvalidCode
            | ApiError::BadCredentials => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden | ApiError::OwnItem => StatusCode::FORBIDDEN,
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
            ApiError::WechatUnavailable | ApiError::ServiceUnavailable | ApiError::Busy { .. } => {
                StatusCode::SERVICE_UNAVAILABLE
            }
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
