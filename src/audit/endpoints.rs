use actix_web::get;
use actix_web::web::{Json, Query};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::Admin;
use crate::http::Reply;
use crate::http::paging::{Page, PageQuery};
use crate::http::responses::AdminOnly;
use crate::state::State;

use super::dto::{AuditEntry, AuditFilter};
use super::service;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_audit_log);
}

/// Who did what to what, when: the admin writes within the caller's scope, newest first.
#[utoipa::path(
    tag = "admin",
    params(AuditFilter, PageQuery),
    responses((status = 200, description = "Entries, newest first", body = Page<AuditEntry>), AdminOnly)
)]
#[get("/admin/audit-log")]
async fn list_audit_log(
    state: State,
    admin: Admin,
    filter: Query<AuditFilter>,
    page: Query<PageQuery>,
) -> Reply<Page<AuditEntry>> {
    let page = service::list(state.db.conn(), &admin.scope, filter.into_inner(), &page).await?;
    Ok(Json(page))
}
