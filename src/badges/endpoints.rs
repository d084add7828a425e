use actix_web::{get, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::responses::NeedsLogin;
use crate::state::AppState;

use super::dto::MyBadges;
use super::service;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(my_badges);
}

/// The badges I have earned, with when.
#[utoipa::path(
    tag = "points",
    operation_id = "my_badges",
    responses((status = 200, description = "My badges, newest first", body = MyBadges), NeedsLogin)
)]
#[get("/me/badges")]
async fn my_badges(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<web::Json<MyBadges>, ApiError> {
    Ok(web::Json(
        service::mine(state.db.conn(), caller.member_id).await?,
    ))
}
