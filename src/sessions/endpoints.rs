use actix_web::web::Json;
use actix_web::{HttpResponse, post, web};
use secrecy::ExposeSecret;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::{ApiError, ErrorBody};
use crate::http::Reply;
use crate::http::responses::JsonBodyErrors;
use crate::http::{ClientIp, ValidJson};
use crate::state::{AppState, State};

use super::dto::{AdminLogin, DevLogin, RefreshRequest, TokenPair, WechatLogin};
use super::service;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(wechat_login)
        .service(dev_login)
        .service(admin_login)
        .service(refresh)
        .service(logout);
}

/// Log in with a `wx.login` code. Creates the member on first login.
#[utoipa::path(
    tag = "auth",
    security(()),
    request_body = WechatLogin,
    responses(
        (status = 200, description = "Logged in", body = TokenPair),
        (status = 401, description = "`auth.invalid_code`: WeChat refused the code (40029 invalid, 40163 used)", body = ErrorBody),
        (status = 429, description = "`rate_limited`: WeChat's frequency limit (45011); see `Retry-After`", body = ErrorBody),
        (status = 502, description = "`wechat.error`: WeChat answered with an unexpected error", body = ErrorBody),
        (status = 503, description = "`wechat.unavailable`: WeChat busy (-1), timed out or unreachable", body = ErrorBody),
        JsonBodyErrors,
    )
)]
#[post("/auth/wechat-login")]
async fn wechat_login(state: State, body: ValidJson<WechatLogin>) -> Reply<TokenPair> {
    let pair = service::wechat_login(
        &state.db,
        &state.wechat,
        &state.tokens,
        body.code.trim(),
        state.now(),
    )
    .await?;
    Ok(Json(pair))
}

/// Log in as any openid without WeChat. Exists only when `REDTRAIL_DEV_LOGIN=true`
/// (never in production); otherwise it answers 404 like any unknown path.
#[utoipa::path(
    tag = "auth",
    security(()),
    request_body = DevLogin,
    responses(
        (status = 200, description = "Logged in", body = TokenPair),
        (status = 404, description = "`not_found`: dev login is disabled", body = ErrorBody),
        JsonBodyErrors,
    )
)]
#[post("/auth/dev-login")]
async fn dev_login(
    state: State,
    _enabled: DevLoginEnabled,
    body: ValidJson<DevLogin>,
) -> Reply<TokenPair> {
    let body = body.into_inner();
    let pair = service::dev_login(
        &state.db,
        &state.tokens,
        body.openid.trim(),
        body.nickname.as_deref(),
        state.now(),
    )
    .await?;
    Ok(Json(pair))
}

/// Log in to an admin account with username and password. After 5 failures for one username
/// within 15 minutes it answers 429 until enough of them are 15 minutes old; each client IP
/// may also make only so many password checks in 15 minutes (`REDTRAIL_ADMIN_LOGIN_PER_IP`,
/// default 30). Password hashing runs a few at a time; when all are busy for 2 s the answer is
/// 503 with `Retry-After`.
#[utoipa::path(
    tag = "auth",
    security(()),
    request_body = AdminLogin,
    responses(
        (status = 200, description = "Logged in", body = TokenPair),
        (status = 401, description = "`auth.bad_credentials`", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many failures for this username, or too many attempts from this IP; see `Retry-After`", body = ErrorBody),
        (status = 503, description = "`service_unavailable`: every password check is busy; see `Retry-After`", body = ErrorBody),
        JsonBodyErrors,
    )
)]
#[post("/auth/admin-login")]
async fn admin_login(
    state: State,
    client_ip: ClientIp,
    body: ValidJson<AdminLogin>,
) -> Reply<TokenPair> {
    let pair = service::admin_login(
        &state.db,
        &state.tokens,
        &state.admin_login,
        client_ip.0,
        &body.username,
        body.password.expose_secret(),
        state.now(),
    )
    .await?;
    Ok(Json(pair))
}

/// Trade a refresh token for a new pair; the used refresh token stops working.
#[utoipa::path(
    tag = "auth",
    security(()),
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new token pair", body = TokenPair),
        (status = 401, description = "`auth.invalid_token`: unknown, used, revoked or expired", body = ErrorBody),
        JsonBodyErrors,
    )
)]
#[post("/auth/refresh")]
async fn refresh(state: State, body: ValidJson<RefreshRequest>) -> Reply<TokenPair> {
    let pair = service::refresh(
        &state.db,
        &state.tokens,
        body.refresh_token.expose_secret(),
        state.now(),
    )
    .await?;
    Ok(Json(pair))
}

/// Revoke a refresh token. Idempotent.
#[utoipa::path(
    tag = "auth",
    security(()),
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "Revoked"),
        JsonBodyErrors,
    )
)]
#[post("/auth/logout")]
async fn logout(state: State, body: ValidJson<RefreshRequest>) -> Result<HttpResponse, ApiError> {
    service::logout(&state.db, body.refresh_token.expose_secret(), state.now()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Extracted only when dev login is enabled; otherwise 404 before the body is read, so the
/// route answers like a path that does not exist (startup also leaves it out of the paths
/// that answer 405).
struct DevLoginEnabled;

impl actix_web::FromRequest for DevLoginEnabled {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let enabled = req
            .app_data::<web::Data<AppState>>()
            .is_some_and(|s| s.settings.dev_login);
        std::future::ready(if enabled {
            Ok(DevLoginEnabled)
        } else {
            Err(ApiError::NotFound)
        })
    }
}
