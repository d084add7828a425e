use actix_web::get;
use actix_web::web::Json;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::Caller;
use crate::http::Reply;
use crate::http::responses::NeedsLogin;
use crate::state::State;

use super::dto::MyBadges;
use super::service;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(my_badges);
}

/// The badges I have earned, with when.
#[utoipa::path(
    tag = "points",
    responses((status = 200, description = "My badges, newest first", body = MyBadges), NeedsLogin)
)]
#[get("/me/badges")]
async fn my_badges(state: State, caller: Caller) -> Reply<MyBadges> {
    Ok(Json(
        service::mine(state.db.conn(), caller.member_id).await?,
    ))
}
