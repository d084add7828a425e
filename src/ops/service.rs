use crate::db::Db;
use crate::error::ApiError;

/// Ready when the database answers.
pub async fn ready(db: &Db) -> Result<(), ApiError> {
    db.ping().await.map_err(|e| {
        tracing::warn!(error = %e, "readiness check: database unreachable");
        ApiError::ServiceUnavailable
    })
}
