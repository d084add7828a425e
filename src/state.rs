//! What handlers share: built once at start-up, handed to actix as `web::Data<AppState>`.
use std::sync::Arc;

use crate::auth::tokens::TokenKeys;
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::db::Db;
use crate::http::metrics::Metrics;
use crate::wechat::WechatClient;

pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub clock: SharedClock,
    pub wechat: WechatClient,
    pub tokens: TokenKeys,
    pub metrics: Metrics,
}
