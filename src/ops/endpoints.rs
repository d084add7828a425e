use actix_web::web::Json;
use actix_web::{HttpResponse, get, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::{ApiError, ErrorBody};
use crate::http::Reply;
use crate::state::State;

use super::dto::Health;
use super::service;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(healthz).service(readyz).service(metrics);
}

/// Liveness: the process answers.
#[utoipa::path(tag = "ops", operation_id = "healthz", security(()), responses((status = 200, description = "Alive", body = Health)))]
#[get("/healthz")]
async fn healthz() -> web::Json<Health> {
    Json(Health { status: "ok" })
}

/// Readiness: the database is reachable.
#[utoipa::path(
    tag = "ops",
    security(()),
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "`service_unavailable`: the database is unreachable", body = ErrorBody),
    )
)]
#[get("/readyz")]
async fn readyz(state: State) -> Reply<Health> {
    service::ready(&state.db).await?;
    Ok(Json(Health { status: "ok" }))
}

/// Prometheus metrics: `http_requests_total` and `http_request_duration_seconds` by method,
/// route pattern and status.
#[utoipa::path(
    tag = "ops",
    security(()),
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"))
)]
#[get("/metrics")]
async fn metrics(state: State) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render()?))
}
