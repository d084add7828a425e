//! An article's body holds up to 50,000 characters of sanitized HTML, several hundred KB of
//! UTF-8: MySQL's `TEXT` stops at 64 KB, so there it becomes `MEDIUMTEXT` (16 MB). PostgreSQL's
//! `text` and SQLite's have no such limit; nothing changes there.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Articles {
    Table,
    Body,
}

async fn body_as(manager: &SchemaManager<'_>, kind: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() != DatabaseBackend::MySql {
        return Ok(());
    }
    manager
        .alter_table(
            Table::alter()
                .table(Articles::Table)
                .modify_column(
                    ColumnDef::new(Articles::Body)
                        .custom(Alias::new(kind))
                        .not_null(),
                )
                .to_owned(),
        )
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        body_as(manager, "mediumtext").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        body_as(manager, "text").await
    }
}
