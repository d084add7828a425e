//! Badges earned. The catalogue (what each badge asks) is code in `src/badges`; what a member
//! has earned, and when, is here. The primary key makes every badge once per member.
use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::utc;
use crate::m20261122_000001_members_and_auth::Members;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MemberBadges {
    Table,
    MemberId,
    Badge,
    AwardedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(MemberBadges::Table)
                    .col(big_integer(MemberBadges::MemberId))
                    .col(string_len(MemberBadges::Badge, 32))
                    .col(utc(db, MemberBadges::AwardedAt))
                    .primary_key(
                        Index::create()
                            .col(MemberBadges::MemberId)
                            .col(MemberBadges::Badge),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_member_badges_member")
                            .from(MemberBadges::Table, MemberBadges::MemberId)
                            .to(Members::Table, Members::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MemberBadges::Table).to_owned())
            .await
    }
}
