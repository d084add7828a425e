//! Column types that need a per-backend choice to mean the same thing everywhere.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

/// A UTC instant with microsecond precision.
///
/// PostgreSQL: `timestamptz`. MySQL: `datetime(6)` — MySQL's `timestamp` ends in 2038 and
/// `datetime` without a precision drops the microseconds. SQLite: RFC 3339 text written by Rust.
pub fn utc(backend: DatabaseBackend, col: impl IntoIden) -> ColumnDef {
    let mut def = ColumnDef::new(col);
    match backend {
        DatabaseBackend::MySql => def.custom(Alias::new("datetime(6)")),
        _ => def.timestamp_with_time_zone(),
    };
    def.not_null();
    def
}

/// Like [`utc`], but nullable.
pub fn utc_null(backend: DatabaseBackend, col: impl IntoIden) -> ColumnDef {
    let mut def = utc(backend, col);
    def.null();
    def
}
