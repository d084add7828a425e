//! What handlers share: built once at start-up, handed to actix as `web::Data<AppState>`.
use std::sync::Arc;

use crate::auth::password::AdminLoginLimits;
use crate::auth::tokens::TokenKeys;
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::db::Db;
use crate::http::metrics::Metrics;
use crate::rate_limit::RateLimiter;
use crate::storage::Storage;
use crate::wechat::WechatClient;

pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub clock: SharedClock,
    pub wechat: WechatClient,
    /// Where media files live.
    pub storage: Storage,
    pub tokens: TokenKeys,
    pub metrics: Arc<Metrics>,
    /// Join attempts per member: 10 a minute, so invite codes cannot be guessed.
    pub join_limiter: RateLimiter,
    /// Uploads per member: 30 a minute (a nine-photo story and its retries fit easily).
    pub upload_limiter: RateLimiter,
    /// Admin-login password checks: how many at once, and how many per client IP.
    pub admin_login: AdminLoginLimits,
}

impl AppState {
    /// The current instant, from the clock (tests move it).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}

/// What every handler takes first.
pub type State = actix_web::web::Data<AppState>;
