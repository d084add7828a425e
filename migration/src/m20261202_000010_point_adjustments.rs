//! Points adjustments as events of their own: an admin's correction gets a row, and its ledger
//! payout's `source_id` is that row's id, so a retried request can never pay under a new id.
use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::utc;
use crate::m20261122_000001_members_and_auth::Members;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PointAdjustments {
    Table,
    Id,
    MemberId,
    ActorId,
    Points,
    Reason,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(PointAdjustments::Table)
                    .col(big_pk_auto(PointAdjustments::Id))
                    .col(big_integer(PointAdjustments::MemberId))
                    .col(big_integer(PointAdjustments::ActorId))
                    .col(integer(PointAdjustments::Points))
                    .col(string_len(PointAdjustments::Reason, 200))
                    .col(utc(db, PointAdjustments::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_point_adjustments_member")
                            .from(PointAdjustments::Table, PointAdjustments::MemberId)
                            .to(Members::Table, Members::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_point_adjustments_actor")
                            .from(PointAdjustments::Table, PointAdjustments::ActorId)
                            .to(Members::Table, Members::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_point_adjustments_member")
                    .table(PointAdjustments::Table)
                    .col(PointAdjustments::MemberId)
                    .col(PointAdjustments::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PointAdjustments::Table).to_owned())
            .await
    }
}
