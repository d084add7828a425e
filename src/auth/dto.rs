use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::http::validate::not_blank;
use crate::members::dto::Member;

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct WechatLogin {
    /// The one-time code from `wx.login`.
    #[validate(length(min = 1, max = 128), custom(function = "not_blank"))]
    #[schema(example = "0a3Xyz000abcDEF1gHI2jkl3mNO4Xyz0")]
    pub code: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct DevLogin {
    /// Any openid; the member is created on first use.
    #[validate(length(min = 1, max = 64), custom(function = "not_blank"))]
    #[schema(example = "dev-openid-1")]
    pub openid: String,
    /// Set on the member when it is created.
    #[validate(length(min = 1, max = 32))]
    pub nickname: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct AdminLogin {
    #[validate(length(min = 1, max = 64))]
    #[schema(example = "admin")]
    pub username: String,
    #[validate(length(min = 1, max = 256))]
    pub password: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct RefreshRequest {
    #[validate(length(min = 1, max = 128))]
    pub refresh_token: String,
}

/// What every login and refresh returns.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPair {
    /// Send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Use once at `/auth/refresh`; the answer carries its replacement.
    pub refresh_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    #[schema(example = 7200)]
    pub expires_in: u64,
    /// Seconds until the refresh token expires, if unused.
    #[schema(example = 2592000)]
    pub refresh_expires_in: u64,
    pub member: Member,
}
