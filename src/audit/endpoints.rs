use actix_web::{get, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::Admin;
use crate::error::ApiError;
use crate::http::paging::{Page, PageQuery};
use crate::http::responses::AdminOnly;
use crate::state::AppState;

use super::dto::{AuditEntry, AuditFilter};
use super::service;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_audit_log);
}

/// Who did what to what, when: the admin writes within the caller's scope, newest first.
#[utoipa::path(
    tag = "admin",
    operation_id = "list_audit_log",
    params(AuditFilter, PageQuery),
    responses((status = 200, description = "Entries, newest first", body = Page<AuditEntry>), AdminOnly)
)]
#[get("/admin/audit-log")]
async fn list_audit_log(
    state: web::Data<AppState>,
    admin: Admin,
    filter: web::Query<AuditFilter>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Page<AuditEntry>>, ApiError> {
    let page = service::list(state.db.conn(), &admin.scope, filter.into_inner(), &page).await?;
    Ok(web::Json(page))
}
