use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::tokens::Token;
use crate::http::validate::{not_blank, secret_length};
use crate::members::dto::Member;

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct WechatLogin {
    /// The one-time code from `wx.login`.
    #[validate(length(min = 1, max = 128), custom(function = "not_blank"))]
    #[schema(
        example = "0a3Xyz000abcDEF1gHI2jkl3mNO4Xyz0",
        min_length = 1,
        max_length = 128,
        pattern = "\\S"
    )]
    pub code: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct DevLogin {
    /// Any openid; the member is created on first use.
    #[validate(length(min = 1, max = 64), custom(function = "not_blank"))]
    #[schema(
        example = "dev-openid-1",
        min_length = 1,
        max_length = 64,
        pattern = "\\S"
    )]
    pub openid: String,
    /// Set on the member when it is created.
    #[validate(length(min = 1, max = 32))]
    #[schema(min_length = 1, max_length = 32)]
    pub nickname: Option<String>,
}

// Secrets are validated by hand: validator's derive would copy the value into the error.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AdminLogin {
    /// The admin account's username; case and surrounding spaces are ignored.
    #[schema(example = "admin", min_length = 1, max_length = 64)]
    pub username: String,
    /// Never logged: `Debug` prints `[REDACTED]`.
    #[schema(value_type = String, min_length = 1, max_length = 256)]
    pub password: SecretString,
}

impl Validate for AdminLogin {
    fn validate(&self) -> Result<(), validator::ValidationErrors> {
        let mut errors = validator::ValidationErrors::new();
        if !(1..=64).contains(&self.username.chars().count()) {
            let mut err = validator::ValidationError::new("length");
            err.add_param("min".into(), &1);
            err.add_param("max".into(), &64);
            errors.add("username", err);
        }
        if let Err(err) = secret_length(&self.password, 1, 256) {
            errors.add("password", err);
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshRequest {
    /// The refresh token from the last login or refresh; each works once.
    #[schema(value_type = String, min_length = 1, max_length = 128)]
    pub refresh_token: SecretString,
}

impl Validate for RefreshRequest {
    fn validate(&self) -> Result<(), validator::ValidationErrors> {
        let mut errors = validator::ValidationErrors::new();
        if let Err(err) = secret_length(&self.refresh_token, 1, 128) {
            errors.add("refresh_token", err);
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// What every login and refresh returns.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPair {
    /// Send as `Authorization: Bearer <access_token>`.
    #[schema(value_type = String)]
    pub access_token: Token,
    /// Use once at `/auth/refresh`; the answer carries its replacement.
    #[schema(value_type = String)]
    pub refresh_token: Token,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    #[schema(example = 7200)]
    pub expires_in: u64,
    /// Seconds until the refresh token expires, if unused.
    #[schema(example = 2592000)]
    pub refresh_expires_in: u64,
    /// The member now logged in.
    pub member: Member,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_print_as_redacted_in_debug_output() {
        let login: AdminLogin =
            serde_json::from_str(r#"{"username": "root", "password": "hunter2-secret"}"#).unwrap();
        let refresh: RefreshRequest =
            serde_json::from_str(r#"{"refresh_token": "refresh-secret"}"#).unwrap();
        let printed = format!(
            "{login:?} {refresh:?} {:?}",
            Token::new("token-secret".into())
        );
        for secret in ["hunter2-secret", "refresh-secret", "token-secret"] {
            assert!(!printed.contains(secret), "{printed}");
        }
        assert!(printed.contains("root"));
        let settings = crate::config::Settings::from_source(&crate::config::Source::from_map([
            (
                "REDTRAIL_JWT_SECRET",
                "jwt-secret-0123456789abcdef0123456789",
            ),
            ("REDTRAIL_WECHAT_SECRET", "wechat-app-secret"),
        ]))
        .unwrap();
        let printed = format!("{settings:?} {:?}", settings.wechat.secret);
        assert!(!printed.contains("jwt-secret-0123") && !printed.contains("wechat-app-secret"));
    }
}
