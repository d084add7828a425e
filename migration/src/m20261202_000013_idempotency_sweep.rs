//! Expired idempotency keys are swept by age: an index for it. Keys left `in_progress` by the
//! old three-transaction scheme (a crash between claim and answer) are dropped: nothing now
//! writes that state visibly, and such a row would make its retry fail.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    State,
    CreatedAt,
}

const NAME: &str = "ix_idempotency_keys_created";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .exec_stmt(
                Query::delete()
                    .from_table(IdempotencyKeys::Table)
                    .and_where(Expr::col(IdempotencyKeys::State).ne("done"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(NAME)
                    .table(IdempotencyKeys::Table)
                    .col(IdempotencyKeys::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(NAME)
                    .table(IdempotencyKeys::Table)
                    .to_owned(),
            )
            .await
    }
}
