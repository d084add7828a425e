use actix_web::web::{Path, Query};
use actix_web::{HttpResponse, get};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::Admin;
use crate::error::ApiError;
use crate::http::export::{Outcome, stream, turn};
use crate::http::responses::{AdminOnly, InScope};
use crate::state::State;

use super::dto::{Dataset, DatasetQuery};
use super::service;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(export_dataset);
}

/// A dataset of my part of the tree as a file, read from a database cursor into a temporary
/// file and then sent (memory stays flat however many rows): CSV (UTF-8 with a BOM,
/// a header row, then a row per record; text that a spreadsheet would take for a formula
/// starts with `'`) or XLSX (typed columns, Chinese headers, such text marked as text; past
/// 1,048,575 rows the table goes on in another sheet). Phones are masked unless a platform
/// admin asks `phones=full`. Every export is recorded in the audit log before it is sent (who, the dataset, its
/// filters), and completed with the rows sent and whether all were. The
/// rows of a dataset are those its figure counts: `checkins` holds every status (the
/// overview's `checkins` is its `accepted` rows), `quiz_results` and `exam_results` the
/// finished attempts, `reading` a row per member, article and day (`articles_completed` is
/// the rows with a completion time), `classes` a row per member and class (`class_attendances`
/// is the rows with an attendance time), `campaign_report` the report's participants.
#[utoipa::path(
    tag = "admin",
    params(("dataset" = inline(Dataset), Path, description = "What to export"), DatasetQuery),
    responses(
        (status = 200, description = "The file", content((String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        AdminOnly, InScope,
    )
)]
#[get("/admin/exports/{dataset}")]
async fn export_dataset(
    state: State,
    admin: Admin,
    dataset: Path<Dataset>,
    query: Query<DatasetQuery>,
) -> Result<HttpResponse, ApiError> {
    let conn = state.db.conn().clone();
    let mut export = service::prepare(
        &conn,
        admin.member_id,
        &admin.scope,
        *dataset,
        &query,
        state.now(),
        state.settings.timezone,
    )
    .await?;
    let entry = service::audit_start(&state.db, &export, state.now()).await?;
    // Waiting for a turn holds no database connection: the cursor opens after it.
    let turn = turn().await;
    let rows = match service::rows(&conn, &mut export).await {
        Ok(rows) => rows,
        Err(e) => {
            let nothing = Outcome {
                rows: 0,
                complete: false,
            };
            if let Err(audit) = service::audit_outcome(&state.db, entry, &export, nothing).await {
                tracing::error!(error = ?audit, entry, "recording an export's outcome failed");
            }
            return Err(e);
        }
    };
    let state = state.clone();
    let (format, name, header) = (export.format, export.name.clone(), export.header.clone());
    Ok(stream(format, &name, header, rows, turn, move |outcome| {
        Box::pin(async move {
            if let Err(e) = service::audit_outcome(&state.db, entry, &export, outcome).await {
                tracing::error!(error = ?e, entry, "recording an export's outcome failed");
            }
        })
    }))
}
