use actix_web::{get, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::Caller;
use crate::http::ValidJson;
use crate::openapi::{JsonBodyErrors, NeedsLogin};
use crate::state::AppState;

use super::dto::{Member, UpdateMe};
use super::service;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_me).service(put_me);
}

/// The calling member, with their org and roles.
#[utoipa::path(
    tag = "me",
    operation_id = "get_me",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The calling member", body = Member),
        NeedsLogin,
    )
)]
#[get("/me")]
async fn get_me(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<web::Json<Member>, crate::error::ApiError> {
    Ok(web::Json(
        service::view(state.db.conn(), caller.member_id).await?,
    ))
}

/// Edit my nickname, avatar and real name (PUT with the full set: `wx.request` has no PATCH).
#[utoipa::path(
    tag = "me",
    operation_id = "put_me",
    security(("bearer" = [])),
    request_body = UpdateMe,
    responses(
        (status = 200, description = "The member as saved", body = Member),
        JsonBodyErrors, NeedsLogin,
    )
)]
#[put("/me")]
async fn put_me(
    state: web::Data<AppState>,
    caller: Caller,
    body: ValidJson<UpdateMe>,
) -> Result<web::Json<Member>, crate::error::ApiError> {
    let member = service::update_me(
        &state.db,
        caller.member_id,
        body.into_inner(),
        state.clock.now(),
    )
    .await?;
    Ok(web::Json(member))
}
