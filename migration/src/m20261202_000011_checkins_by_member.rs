//! `/me/checkins` pages a member's check-ins newest first by id: an index in that order.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Checkins {
    Table,
    MemberId,
    Id,
}

const NAME: &str = "ix_checkins_member_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NAME)
                    .table(Checkins::Table)
                    .col(Checkins::MemberId)
                    .col(Checkins::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(NAME).table(Checkins::Table).to_owned())
            .await
    }
}
